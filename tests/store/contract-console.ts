/**
 * The ConsoleStore contract (src/store/console-store.ts): what the operator's Console asks of every
 * Store, run against SQLite (tests/store/sqlite.test.ts) and PostgreSQL (tests/store/postgres.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';

const T0 = new Date('2024-04-17T10:00:00.000Z'); // a Wednesday
const DAY = 24 * 3600 * 1000;
const at = (ms: number) => new Date(T0.getTime() + ms);

export function consoleStoreContract(makeStore: () => Promise<Store>): void {
  describe('ConsoleStore contract', () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    const add = (email: string, status: 'pending' | 'active', lang: 'zh' | 'en' | 'both', now = T0) => store.insertSubscriber({ email, status, lang, source: 'test', now });

    it('searches by a literal part of the address, by status and language, paged by id', async () => {
      const a = await add('ann@example.org', 'active', 'zh');
      const b = await add('bob_x@example.org', 'active', 'en');
      const c = await add('carl%@example.net', 'pending', 'en');
      await store.setSubscriberStatus(a.id, 'unsubscribed', at(DAY));
      const emails = async (q: Parameters<Store['searchSubscribers']>[0]) => (await store.searchSubscribers(q)).map((s) => s.email);
      expect(await emails({ text: 'EXAMPLE.ORG', limit: 10 })).toEqual(['ann@example.org', 'bob_x@example.org']);
      // % and _ are not wildcards: "bo_" (as a pattern it would match "bob") matches nothing.
      expect(await emails({ text: '_', limit: 10 })).toEqual(['bob_x@example.org']);
      expect(await emails({ text: '%', limit: 10 })).toEqual(['carl%@example.net']);
      expect(await emails({ text: 'bo_', limit: 10 })).toEqual([]);
      expect(await emails({ lang: 'en', limit: 10 })).toEqual(['bob_x@example.org', 'carl%@example.net']);
      expect(await emails({ lang: 'en', status: 'pending', limit: 10 })).toEqual(['carl%@example.net']);
      expect(await emails({ status: 'unsubscribed', limit: 10 })).toEqual(['ann@example.org']);
      expect(await emails({ limit: 1, afterId: b.id })).toEqual([c.email]);
      expect(await emails({ limit: 2 })).toHaveLength(2);
    });

    it('tallies Subscribers by status and language', async () => {
      await add('a@example.org', 'active', 'zh');
      await add('b@example.org', 'active', 'zh');
      await add('c@example.org', 'pending', 'en');
      expect(await store.tallySubscribers()).toEqual([
        { status: 'active', lang: 'zh', n: 2 },
        { status: 'pending', lang: 'en', n: 1 },
      ]);
    });

    it('counts sign-ups, confirmations and departures per week starting Monday 00:00 UTC', async () => {
      const a = await add('a@example.org', 'pending', 'zh'); // week of Mon 2024-04-15
      await add('b@example.org', 'active', 'en'); // signed up and confirmed the same week
      await store.setSubscriberStatus(a.id, 'active', at(7 * DAY)); // confirmed the next week
      const c = await add('c@example.org', 'active', 'both', at(7 * DAY));
      await store.setSubscriberStatus(c.id, 'bounced', at(14 * DAY));
      await add('old@example.org', 'active', 'zh', at(-30 * DAY)); // before `since`
      expect(await store.subscriberGrowth(at(-2 * DAY))).toEqual([
        { weekStart: new Date('2024-04-15T00:00:00.000Z'), signedUp: 2, confirmed: 1, left: 0 },
        { weekStart: new Date('2024-04-22T00:00:00.000Z'), signedUp: 1, confirmed: 2, left: 0 },
        { weekStart: new Date('2024-04-29T00:00:00.000Z'), signedUp: 0, confirmed: 0, left: 1 },
      ]);
    });

    it('retries failed Deliveries of active Subscribers only, and unfinishes the Send', async () => {
      const ok = await add('ok@example.org', 'active', 'zh');
      const gone = await add('gone@example.org', 'active', 'en');
      const other = await add('other@example.org', 'active', 'en');
      await store.startSend('2024-04-15', { trigger: 'cli', now: T0 });
      const claimed = await store.claimDeliveries({ issueId: '2024-04-15', owner: 'o', now: T0, leaseMs: 60_000, limit: 10 });
      expect(claimed).toHaveLength(3);
      for (const d of claimed) {
        await store.recordOutcome(d.issueId, d.subscriberId, { owner: 'o', state: 'failed', code: 554, response: '554 5.6.0 rejected', now: at(1000) });
      }
      await store.setSubscriberStatus(gone.id, 'bounced', at(2000));
      expect((await store.finishSendIfDone('2024-04-15', at(3000)))?.finishedAt).toEqual(at(3000));

      expect(await store.retryFailedDeliveries('2024-04-15', { subscriberIds: [other.id], now: at(4000) })).toBe(1);
      expect(await store.retryFailedDeliveries('2024-04-15', { now: at(5000) })).toBe(1);
      expect(await store.retryFailedDeliveries('2024-04-15', { now: at(6000) })).toBe(0);
      const rows = await store.listDeliveries({ issueId: '2024-04-15', limit: 10 });
      expect(rows.map((d) => [d.subscriberId, d.state, d.attempts])).toEqual([
        [ok.id, 'queued', 0],
        [gone.id, 'failed', 1],
        [other.id, 'queued', 0],
      ]);
      expect((await store.getSend('2024-04-15'))?.finishedAt).toBeNull();
      // Queued again: the next claim takes them, with the same Message-ID rules as any queued row.
      expect((await store.claimDeliveries({ issueId: '2024-04-15', owner: 'p', now: at(7000), leaseMs: 60_000, limit: 10 })).map((d) => d.subscriberId)).toEqual([ok.id, other.id]);
      expect(await store.retryFailedDeliveries('2024-04-22', { now: at(8000) })).toBe(0);
    });

    it("lists one Subscriber's Deliveries, newest Issue first", async () => {
      const a = await add('a@example.org', 'active', 'zh');
      await add('b@example.org', 'active', 'zh');
      await store.startSend('2024-04-15', { trigger: 'cli', now: T0 });
      await store.startSend('2024-04-22', { trigger: 'http', now: at(7 * DAY) });
      const rows = await store.subscriberDeliveries(a.id, 10);
      expect(rows.map((d) => [d.issueId, d.subscriberId, d.state])).toEqual([
        ['2024-04-22', a.id, 'queued'],
        ['2024-04-15', a.id, 'queued'],
      ]);
      expect(await store.subscriberDeliveries(a.id, 1)).toHaveLength(1);
    });
  });
}
