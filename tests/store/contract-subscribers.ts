/**
 * The SubscriberStore contract: what every Store implementation must do with Subscribers, run
 * against SQLite (tests/store/sqlite.test.ts) and PostgreSQL.
 *
 * `makeStore` returns a fresh, empty Store; the suite closes it. `openSecond`, when given, opens a
 * second Store on the same database (another connection, as another process would), so the race
 * for the confirmation slot runs across connections too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SudiError } from '../../src/errors.ts';
import type { Store } from '../../src/store/store.ts';

export interface SubscriberContractOptions {
  openSecond?: (first: Store) => Promise<Store>;
}

const T0 = new Date('2024-04-20T01:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const DAY = 24 * 3600 * 1000;

export function subscriberStoreContract(makeStore: () => Promise<Store>, opts: SubscriberContractOptions = {}): void {
  describe('SubscriberStore contract', () => {
    let store: Store;
    const extra: Store[] = [];

    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await store.close();
    });

    const add = (email: string, status: 'pending' | 'active' | 'unsubscribed' = 'pending', now = T0) =>
      store.insertSubscriber({ email, status, lang: 'both', source: 'test', now });

    it('inserts and reads back every field, by id and by email', async () => {
      const s = await store.insertSubscriber({ email: 'ann@example.org', status: 'pending', lang: 'zh', source: 'web', now: T0 });
      expect(s).toEqual({
        id: expect.any(Number),
        email: 'ann@example.org',
        status: 'pending',
        lang: 'zh',
        source: 'web',
        createdAt: T0,
        updatedAt: T0,
        confirmedAt: null,
        unsubscribedAt: null,
        suppressedAt: null,
        confirmationSentAt: null,
      });
      expect(await store.getSubscriber(s.id)).toEqual(s);
      expect(await store.findSubscriberByEmail('ann@example.org')).toEqual(s);
      expect(await store.findSubscriberByEmail('nobody@example.org')).toBeNull();
      expect(await store.getSubscriber(s.id + 1000)).toBeNull();
    });

    it('an active insert records confirmedAt; emails are unique (E_CONFLICT)', async () => {
      const s = await add('bob@example.org', 'active');
      expect(s.confirmedAt).toEqual(T0);
      const dup = add('bob@example.org').catch((e) => e);
      await expect(dup).resolves.toBeInstanceOf(SudiError);
      expect(((await dup) as SudiError).code).toBe('E_CONFLICT');
      expect(await store.countSubscribers()).toBe(1);
    });

    it('status changes set the matching timestamp once; a repeat changes nothing', async () => {
      const s = await add('c@example.org');
      const active = await store.setSubscriberStatus(s.id, 'active', at(1000));
      expect(active).toMatchObject({ status: 'active', confirmedAt: at(1000), updatedAt: at(1000) });
      const again = await store.setSubscriberStatus(s.id, 'active', at(2000));
      expect(again).toMatchObject({ status: 'active', confirmedAt: at(1000), updatedAt: at(1000) });
      const gone = await store.setSubscriberStatus(s.id, 'unsubscribed', at(3000));
      expect(gone).toMatchObject({ status: 'unsubscribed', unsubscribedAt: at(3000), confirmedAt: at(1000) });
      const back = await store.setSubscriberStatus(s.id, 'pending', at(4000));
      expect(back).toMatchObject({ status: 'pending', unsubscribedAt: at(3000), updatedAt: at(4000) });
      const bounced = await store.setSubscriberStatus(s.id, 'bounced', at(5000));
      expect(bounced).toMatchObject({ status: 'bounced', suppressedAt: at(5000) });
      const complained = await store.setSubscriberStatus(s.id, 'complained', at(6000));
      expect(complained).toMatchObject({ status: 'complained', suppressedAt: at(6000) });
      expect(await store.setSubscriberStatus(99999, 'active', T0)).toBeNull();
    });

    it('updateSubscriber changes language and source; an empty patch returns the row unchanged', async () => {
      const s = await add('d@example.org');
      expect(await store.updateSubscriber(s.id, { lang: 'en' }, at(10))).toMatchObject({ lang: 'en', source: 'test', updatedAt: at(10) });
      expect(await store.updateSubscriber(s.id, { source: 'import:x.csv' }, at(20))).toMatchObject({ lang: 'en', source: 'import:x.csv', updatedAt: at(20) });
      expect(await store.updateSubscriber(s.id, {}, at(30))).toMatchObject({ updatedAt: at(20) });
      expect(await store.updateSubscriber(99999, { lang: 'zh' }, T0)).toBeNull();
    });

    it('claimConfirmationSlot: first claim wins, then none until notBefore passes the last one', async () => {
      const s = await add('e@example.org');
      expect(await store.claimConfirmationSlot(s.id, T0, at(-DAY))).toBe(true);
      expect((await store.getSubscriber(s.id))!.confirmationSentAt).toEqual(T0);
      expect(await store.claimConfirmationSlot(s.id, at(DAY - 1), at(-1))).toBe(false);
      // notBefore equal to the last claim is not "older than": still refused.
      expect(await store.claimConfirmationSlot(s.id, at(DAY), T0)).toBe(false);
      expect(await store.claimConfirmationSlot(s.id, at(DAY + 1), at(1))).toBe(true);
      expect((await store.getSubscriber(s.id))!.confirmationSentAt).toEqual(at(DAY + 1));
      expect(await store.claimConfirmationSlot(99999, T0, at(-DAY))).toBe(false);
    });

    it('claimConfirmationSlot is race-safe: of 50 concurrent claims (two connections) exactly one wins', async () => {
      const s = await add('f@example.org');
      const other = opts.openSecond ? await opts.openSecond(store) : store;
      if (other !== store) extra.push(other);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? other : store).claimConfirmationSlot(s.id, T0, at(-DAY))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('deleteSubscriber removes the row (and says whether there was one)', async () => {
      const s = await add('g@example.org');
      expect(await store.deleteSubscriber(s.id)).toBe(true);
      expect(await store.deleteSubscriber(s.id)).toBe(false);
      expect(await store.getSubscriber(s.id)).toBeNull();
      // The address can come back as a new row with a new id.
      const again = await add('g@example.org');
      expect(again.id).not.toBe(s.id);
    });

    it('listSubscribers pages by id with a status filter; countSubscribers agrees', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 25; i++) ids.push((await add(`u${String(i).padStart(2, '0')}@example.org`, i % 3 === 0 ? 'active' : 'pending')).id);
      const seen: number[] = [];
      let afterId: number | undefined;
      for (;;) {
        const page = await store.listSubscribers({ afterId, limit: 7 });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(7);
        seen.push(...page.map((s) => s.id));
        afterId = page.at(-1)!.id;
      }
      expect(seen).toEqual([...ids].sort((a, b) => a - b));
      const active = await store.listSubscribers({ status: 'active', limit: 100 });
      expect(active.map((s) => s.status)).toEqual(Array(9).fill('active'));
      expect(await store.countSubscribers('active')).toBe(9);
      expect(await store.countSubscribers('pending')).toBe(16);
      expect(await store.countSubscribers()).toBe(25);
      expect(await store.listSubscribers({ status: 'bounced', limit: 10 })).toEqual([]);
    });

    it('keeps non-ASCII-free normalized emails and long ones (254 characters) intact', async () => {
      const long = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.org`;
      expect(long.length).toBe(254);
      const s = await add(long);
      expect((await store.findSubscriberByEmail(long))!.id).toBe(s.id);
      const idn = await add('x@xn--bcher-kva.de');
      expect((await store.getSubscriber(idn.id))!.email).toBe('x@xn--bcher-kva.de');
    });
  });
}
