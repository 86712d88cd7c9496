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

    const queue = (id: number, now: Date, notBefore: Date, messageId = `<c.${now.getTime()}@sudi.example>`) =>
      store.queueConfirmation(id, { now, notBefore, messageId });

    it('queueConfirmation: takes the 24-hour slot and queues the mail in one go; none again until notBefore passes the last one', async () => {
      const s = await add('e@example.org');
      expect(await queue(s.id, T0, at(-DAY), '<c1@sudi.example>')).toBe(true);
      expect((await store.getSubscriber(s.id))!.confirmationSentAt).toEqual(T0);
      expect(await store.listQueuedConfirmations(10)).toEqual([
        { subscriberId: s.id, issuedAt: T0, messageId: '<c1@sudi.example>', attempts: 0, nextAttemptAt: T0, leaseUntil: null, leaseOwner: null, lastError: null },
      ]);
      expect(await queue(s.id, at(DAY - 1), at(-1))).toBe(false);
      // notBefore equal to the last one is not "older than": still refused.
      expect(await queue(s.id, at(DAY), T0)).toBe(false);
      expect(await store.listQueuedConfirmations(10)).toHaveLength(1);
      expect(await queue(99999, T0, at(-DAY))).toBe(false);
      expect(await store.nextConfirmationDue()).toEqual(T0);
    });

    it('insertSubscriber with a confirmation: the pending Subscriber, its slot and its queued mail together; a duplicate adds none of them', async () => {
      const s = await store.insertSubscriber({ email: 'new@example.org', status: 'pending', lang: 'en', source: 'web', now: T0, confirmation: { messageId: '<n1@sudi.example>' } });
      expect(s).toMatchObject({ status: 'pending', confirmationSentAt: T0 });
      expect(await store.listQueuedConfirmations(10)).toMatchObject([{ subscriberId: s.id, issuedAt: T0, messageId: '<n1@sudi.example>', nextAttemptAt: T0 }]);
      await expect(
        store.insertSubscriber({ email: 'new@example.org', status: 'pending', lang: 'en', source: 'web', now: at(5), confirmation: { messageId: '<n2@sudi.example>' } }),
      ).rejects.toMatchObject({ code: 'E_CONFLICT' });
      expect(await store.listQueuedConfirmations(10)).toMatchObject([{ messageId: '<n1@sudi.example>' }]);
      // Without one: no slot, nothing queued.
      const plain = await add('plain@example.org');
      expect(plain.confirmationSentAt).toBeNull();
      expect(await store.listQueuedConfirmations(10)).toHaveLength(1);
    });

    it('queueConfirmation is race-safe: of 50 concurrent calls (two connections) exactly one queues a mail', async () => {
      const s = await add('f@example.org');
      const other = opts.openSecond ? await opts.openSecond(store) : store;
      if (other !== store) extra.push(other);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? other : store).queueConfirmation(s.id, { now: T0, notBefore: at(-DAY), messageId: `<c${i}@x>` })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.listQueuedConfirmations(10)).toHaveLength(1);
    });

    it('claimConfirmations leases due mail once; a live lease is skipped, an expired or dead one taken over', async () => {
      const a = await add('qa@example.org');
      const b = await add('qb@example.org');
      await queue(a.id, T0, at(-DAY));
      await queue(b.id, at(5), at(-DAY));
      expect(await store.claimConfirmations({ owner: 'w1', now: at(1), leaseMs: 1000, limit: 10 })).toMatchObject([{ subscriberId: a.id, leaseOwner: 'w1', leaseUntil: at(1001) }]);
      expect(await store.claimConfirmations({ owner: 'w2', now: at(10), leaseMs: 1000, limit: 10 })).toMatchObject([{ subscriberId: b.id, leaseOwner: 'w2' }]);
      expect(await store.claimConfirmations({ owner: 'w3', now: at(20), leaseMs: 1000, limit: 10 })).toEqual([]);
      expect((await store.confirmationLeaseOwners(at(20))).sort()).toEqual(['w1', 'w2']);
      expect(await store.nextConfirmationDue()).toEqual(at(1001));
      // w1 is known dead: its mail is taken over before the lease expires; w2's only after.
      expect(await store.claimConfirmations({ owner: 'w3', now: at(20), leaseMs: 1000, limit: 10, takeOverFrom: ['w1'] })).toMatchObject([{ subscriberId: a.id, leaseOwner: 'w3' }]);
      expect(await store.claimConfirmations({ owner: 'w3', now: at(1010), leaseMs: 1000, limit: 10 })).toMatchObject([{ subscriberId: b.id, leaseOwner: 'w3' }]);
      // The old holder cannot settle what it lost.
      expect(await store.settleConfirmation(a.id, 'w1', { kind: 'done' })).toBe(false);
    });

    it('claimConfirmations is race-safe: 40 mails, 8 claimers on two connections, each mail leased once', async () => {
      const other = opts.openSecond ? await opts.openSecond(store) : store;
      if (other !== store) extra.push(other);
      for (let i = 0; i < 40; i++) await queue((await add(`race${i}@example.org`)).id, T0, at(-DAY));
      const batches = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? other : store).claimConfirmations({ owner: `w${i}`, now: at(1), leaseMs: 60_000, limit: 7 })),
      );
      const ids = batches.flat().map((q) => q.subscriberId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(40);
    });

    it('settleConfirmation: done removes the row and keeps the slot; retry keeps it for later; given-up removes it and frees the slot', async () => {
      const [d, r, g] = [await add('done@example.org'), await add('retry@example.org'), await add('gone@example.org')];
      for (const s of [d, r, g]) await queue(s.id, T0, at(-DAY));
      await store.claimConfirmations({ owner: 'w', now: at(1), leaseMs: 60_000, limit: 10 });
      expect(await store.settleConfirmation(d.id, 'w', { kind: 'done' })).toBe(true);
      expect(await store.settleConfirmation(r.id, 'w', { kind: 'retry', nextAttemptAt: at(30_000), error: '451 4.3.0 try later' })).toBe(true);
      expect(await store.settleConfirmation(g.id, 'w', { kind: 'given-up', error: '550 5.1.1 no such user' })).toBe(true);
      expect(await store.listQueuedConfirmations(10)).toEqual([
        { subscriberId: r.id, issuedAt: T0, messageId: `<c.${T0.getTime()}@sudi.example>`, attempts: 1, nextAttemptAt: at(30_000), leaseUntil: null, leaseOwner: null, lastError: '451 4.3.0 try later' },
      ]);
      expect((await store.getSubscriber(d.id))!.confirmationSentAt).toEqual(T0);
      expect((await store.getSubscriber(g.id))!.confirmationSentAt).toBeNull();
      // The freed slot: a new sign-up queues a fresh mail at once.
      expect(await queue(g.id, at(2), at(2 - DAY))).toBe(true);
      // Not due yet, then due.
      expect(await store.claimConfirmations({ owner: 'w', now: at(29_999), leaseMs: 60_000, limit: 10 })).toMatchObject([{ subscriberId: g.id }]);
      expect(await store.claimConfirmations({ owner: 'w', now: at(30_000), leaseMs: 60_000, limit: 10 })).toMatchObject([{ subscriberId: r.id, attempts: 1 }]);
    });

    it('deleting a Subscriber drops their queued mail', async () => {
      const s = await add('bye@example.org');
      await queue(s.id, T0, at(-DAY));
      await store.deleteSubscriber(s.id);
      expect(await store.listQueuedConfirmations(10)).toEqual([]);
      expect(await store.nextConfirmationDue()).toBeNull();
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
