/**
 * The LedgerStore contract: what every Store implementation must do with Sends and Deliveries,
 * run against SQLite and PostgreSQL (tests/store/sqlite.test.ts, tests/store/postgres.test.ts).
 *
 * `makeStore` returns a fresh, empty Store; the suite closes it. `openSecond`, when given, opens a
 * second Store on the same database (another connection, as another process would have), so the
 * concurrency cases race across connections and not only inside one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';

export interface LedgerContractOptions {
  openSecond?: (first: Store) => Promise<Store>;
}

const T0 = new Date('2024-04-20T01:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const ISSUE = '2024-04-15';
const OTHER = '2024-04-22';

export function ledgerStoreContract(makeStore: () => Promise<Store>, opts: LedgerContractOptions = {}): void {
  describe('LedgerStore contract', () => {
    let store: Store;
    const extra: Store[] = [];

    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await store.close();
    });

    const second = async () => {
      if (!opts.openSecond) return store;
      const s = await opts.openSecond(store);
      extra.push(s);
      return s;
    };

    /** n active Subscribers (ids returned in insertion order), plus optional others. */
    async function subscribers(n: number, status: 'active' | 'pending' | 'unsubscribed' = 'active', from = 0) {
      const ids: number[] = [];
      for (let i = from; i < from + n; i++) {
        const s = await store.insertSubscriber({ email: `${status}-${i}@example.org`, status, lang: i % 2 ? 'en' : 'zh', source: 'test', now: T0 });
        ids.push(s.id);
      }
      return ids;
    }

    const claim = (s: Store, owner: string, now: Date, limit = 100, leaseMs = 60_000, issueId: string | undefined = ISSUE) =>
      s.claimDeliveries({ issueId, owner, now, leaseMs, limit });

    it('startSend snapshots the active Subscribers once; a second start finds the same Send', async () => {
      const active = await subscribers(5);
      await subscribers(2, 'pending');
      await subscribers(1, 'unsubscribed');
      const first = await store.startSend(ISSUE, { trigger: 'schedule', now: T0 });
      expect(first.created).toBe(true);
      expect(first.send).toMatchObject({ issueId: ISSUE, trigger: 'schedule', total: 5, finishedAt: null, pausedUntil: null });
      expect(first.send.createdAt.getTime()).toBe(T0.getTime());

      // Someone confirming after the start is not part of this Send.
      await subscribers(1, 'active', 100);
      const again = await store.startSend(ISSUE, { trigger: 'http', now: at(5000) });
      expect(again.created).toBe(false);
      expect(again.send).toMatchObject({ issueId: ISSUE, trigger: 'schedule', total: 5 });

      const rows = await store.listDeliveries({ issueId: ISSUE, limit: 100 });
      expect(rows.map((d) => d.subscriberId)).toEqual(active);
      for (const d of rows) expect(d).toMatchObject({ state: 'queued', attempts: 0, leaseOwner: null, messageId: null });
      expect(await store.getSend(ISSUE)).toEqual(first.send);
      expect(await store.getSend('1999-01-04')).toBeNull();
      expect((await store.listSends()).map((s) => s.issueId)).toEqual([ISSUE]);
    });

    it('concurrent startSend of one Issue → exactly one Send, one Delivery per Subscriber', async () => {
      await subscribers(40);
      const other = await second();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? other : store).startSend(ISSUE, { trigger: i % 2 ? 'http' : 'cli', now: at(i) })),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      for (const r of results) expect(r.send.total).toBe(40);
      const counts = await store.deliveryCounts(ISSUE);
      expect(counts.queued).toBe(40);
      expect(await store.listDeliveries({ issueId: ISSUE, limit: 1000 })).toHaveLength(40);
    });

    it('claims lease due rows in batches with the Subscriber re-read, then nothing is left', async () => {
      const ids = await subscribers(7);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      const a = await claim(store, 'w1', at(10), 4, 30_000);
      expect(a).toHaveLength(4);
      for (const d of a) {
        expect(d).toMatchObject({ issueId: ISSUE, state: 'sending', attempts: 1, leaseOwner: 'w1' });
        expect(d.leaseUntil?.getTime()).toBe(at(30_010).getTime());
        const sub = (await store.getSubscriber(d.subscriberId))!;
        expect(d.email).toBe(sub.email);
        expect(d.lang).toBe(sub.lang);
      }
      const b = await claim(store, 'w2', at(20), 4, 30_000);
      expect(b).toHaveLength(3);
      expect([...a, ...b].map((d) => d.subscriberId).sort((x, y) => x - y)).toEqual(ids);
      expect(await claim(store, 'w3', at(30))).toEqual([]);
      expect((await store.deliveryCounts(ISSUE)).sending).toBe(7);
    });

    it('concurrent claimers get disjoint batches that together cover every Delivery', async () => {
      const ids = await subscribers(240);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      const other = await second();
      const got: number[] = [];
      const worker = async (s: Store, owner: string) => {
        for (;;) {
          const batch = await claim(s, owner, at(100), 17);
          if (batch.length === 0) return;
          for (const d of batch) {
            expect(d.leaseOwner).toBe(owner);
            got.push(d.subscriberId);
          }
        }
      };
      await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((o, i) => worker(i % 2 ? other : store, o)));
      expect(got).toHaveLength(240);
      expect(new Set(got).size).toBe(240);
      expect([...got].sort((x, y) => x - y)).toEqual(ids);
    });

    it('an expired lease is taken over; the old owner can no longer record an outcome', async () => {
      const [id] = await subscribers(1);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      const [d] = await claim(store, 'dead', at(0), 10, 1000);
      expect(d?.subscriberId).toBe(id);
      await store.setMessageId(ISSUE, id!, '<m1@example.org>');

      expect(await claim(store, 'alive', at(500), 10, 1000)).toEqual([]);
      const [taken] = await claim(store, 'alive', at(1500), 10, 1000);
      expect(taken).toMatchObject({ subscriberId: id, state: 'sending', attempts: 2, leaseOwner: 'alive', messageId: '<m1@example.org>' });

      expect(await store.recordOutcome(ISSUE, id!, { owner: 'dead', state: 'accepted', code: 250, response: '250 ok', now: at(1600) })).toBe(false);
      expect(await store.recordOutcome(ISSUE, id!, { owner: 'alive', state: 'accepted', code: 250, response: '250 queued', now: at(1700) })).toBe(true);
      const [row] = await store.listDeliveries({ issueId: ISSUE, limit: 10 });
      expect(row).toMatchObject({ state: 'accepted', attempts: 2, lastCode: 250, lastResponse: '250 queued', messageId: '<m1@example.org>' });
      expect(row!.updatedAt.getTime()).toBe(at(1700).getTime());
      // An outcome is recorded once: a second one (late duplicate) is refused.
      expect(await store.recordOutcome(ISSUE, id!, { owner: 'alive', state: 'failed', code: 550, now: at(1800) })).toBe(false);
      expect((await store.deliveryCounts(ISSUE)).accepted).toBe(1);
    });

    it('a Subscriber no longer active at claim time is suppressed, not handed out', async () => {
      const [keep, gone, bounced] = await subscribers(3);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      await store.setSubscriberStatus(gone!, 'unsubscribed', at(1));
      await store.setSubscriberStatus(bounced!, 'bounced', at(1));
      const got = await claim(store, 'w', at(2));
      expect(got.map((d) => d.subscriberId)).toEqual([keep]);
      const counts = await store.deliveryCounts(ISSUE);
      expect(counts).toMatchObject({ sending: 1, suppressed: 2, queued: 0 });
      expect(await claim(store, 'w', at(120_000))).toHaveLength(1); // only the expired lease of `keep`
    });

    it('deferred and unknown rows come back when their retry time has come; unknown without one is final', async () => {
      const [a, b, c] = await subscribers(3);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      await claim(store, 'w', at(0), 10, 1000);
      expect(await store.recordOutcome(ISSUE, a!, { owner: 'w', state: 'deferred', code: 451, response: '451 try later', nextAttemptAt: at(60_000), now: at(10) })).toBe(true);
      expect(await store.recordOutcome(ISSUE, b!, { owner: 'w', state: 'unknown', code: null, response: 'connection lost', nextAttemptAt: at(30_000), now: at(10) })).toBe(true);
      expect(await store.recordOutcome(ISSUE, c!, { owner: 'w', state: 'unknown', code: null, response: 'connection lost', nextAttemptAt: null, now: at(10) })).toBe(true);

      expect(await claim(store, 'w', at(29_999))).toEqual([]);
      expect((await claim(store, 'w', at(30_000))).map((d) => [d.subscriberId, d.attempts])).toEqual([[b, 2]]);
      const later = await claim(store, 'w', at(60_001));
      expect(later.map((d) => [d.subscriberId, d.attempts])).toEqual([[a, 2]]);
      expect(await store.finishSendIfDone(ISSUE, at(60_002))).toMatchObject({ finishedAt: null });
      expect(await store.recordOutcome(ISSUE, a!, { owner: 'w', state: 'accepted', code: 250, now: at(60_003) })).toBe(true);
      expect(await store.recordOutcome(ISSUE, b!, { owner: 'w', state: 'accepted', code: 250, now: at(60_003) })).toBe(true);
      // c (unknown, no retry time) is never handed out again, and does not keep the Send open.
      expect(await claim(store, 'w', at(10_000_000))).toEqual([]);
      const done = await store.finishSendIfDone(ISSUE, at(60_004));
      expect(done?.finishedAt?.getTime()).toBe(at(60_004).getTime());
    });

    it('each claimed row tells the state it had before: queued, deferred, unknown, or sending (a takeover)', async () => {
      const [a, b, c] = await subscribers(3);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      const first = await claim(store, 'w', at(0), 10, 1000);
      expect(first.map((d) => d.previousState)).toEqual(['queued', 'queued', 'queued']);
      await store.recordOutcome(ISSUE, a!, { owner: 'w', state: 'deferred', code: 451, nextAttemptAt: at(10), now: at(5) });
      await store.recordOutcome(ISSUE, b!, { owner: 'w', state: 'unknown', nextAttemptAt: at(10), now: at(5) });
      // c keeps its lease until it expires at 1000.
      const again = await claim(store, 'w2', at(2000), 10, 1000);
      expect(again.map((d) => [d.subscriberId, d.previousState])).toEqual([
        [a, 'deferred'],
        [b, 'unknown'],
        [c, 'sending'],
      ]);
    });

    it('serves expired leases first, then due retries, then queued rows', async () => {
      const [a, b, c, d, e] = await subscribers(5);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      await claim(store, 'w', at(0), 3, 1000); // a, b, c leased until 1000
      await store.recordOutcome(ISSUE, a!, { owner: 'w', state: 'deferred', code: 451, nextAttemptAt: at(10), now: at(5) });
      await store.recordOutcome(ISSUE, b!, { owner: 'w', state: 'accepted', code: 250, now: at(5) });
      // Due now: c (expired lease), a (retry), d and e (queued). One at a time shows the order.
      const order: [number, string][] = [];
      for (let i = 0; i < 4; i++) for (const x of await claim(store, 'w2', at(2000), 1)) order.push([x.subscriberId, x.previousState]);
      expect(order).toEqual([
        [c, 'sending'],
        [a, 'deferred'],
        [d, 'queued'],
        [e, 'queued'],
      ]);
    });

    it('rows suppressed at claim time do not take places in the batch', async () => {
      const ids = await subscribers(6);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      for (const id of ids.slice(0, 4)) await store.setSubscriberStatus(id, 'unsubscribed', at(1));
      const got = await claim(store, 'w', at(2), 2);
      expect(got.map((x) => x.subscriberId)).toEqual(ids.slice(4));
      expect((await store.deliveryCounts(ISSUE)).suppressed).toBe(4);
    });

    it('a paused Send hands out nothing until the pause ends; a pause is never shortened', async () => {
      await subscribers(3);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      await store.pauseSend(ISSUE, at(60_000));
      await store.pauseSend(ISSUE, at(30_000));
      expect((await store.getSend(ISSUE))?.pausedUntil?.getTime()).toBe(at(60_000).getTime());
      expect(await claim(store, 'w', at(59_000))).toEqual([]);
      expect(await claim(store, 'w', at(60_000))).toHaveLength(3);
    });

    it('a pause records why; resumeSend lifts it at once and makes deferred rows due now', async () => {
      const [a] = await subscribers(3);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      await claim(store, 'w', at(1), 1);
      await store.recordOutcome(ISSUE, a!, { owner: 'w', state: 'deferred', code: 451, response: '451 4.7.1 slow down', nextAttemptAt: at(600_000), now: at(2) });
      await store.pauseSend(ISSUE, at(600_000), '451 4.7.1 slow down');
      await store.pauseSend(ISSUE, at(300_000), 'shorter, ignored');
      expect(await store.getSend(ISSUE)).toMatchObject({ pausedUntil: at(600_000), pauseReason: '451 4.7.1 slow down' });
      expect(await store.resumeSend(ISSUE, at(10))).toEqual({ pausedUntil: at(600_000), reason: '451 4.7.1 slow down' });
      expect(await store.getSend(ISSUE)).toMatchObject({ pausedUntil: null, pauseReason: null });
      expect(await store.resumeSend(ISSUE, at(11))).toBeNull(); // nothing paused any more
      const got = await claim(store, 'w2', at(12));
      expect(got.map((d) => [d.subscriberId, d.previousState])).toContainEqual([a, 'deferred']);
      expect(got).toHaveLength(3);
    });

    it('releaseDelivery puts a claimed row back unsent without counting the attempt, only for the lease holder', async () => {
      const [a, b] = await subscribers(2);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      await claim(store, 'w', at(1));
      expect(await store.releaseDelivery(ISSUE, a!, { owner: 'other', state: 'queued', nextAttemptAt: null, now: at(2) })).toBe(false);
      expect(await store.releaseDelivery(ISSUE, a!, { owner: 'w', state: 'queued', nextAttemptAt: null, now: at(2) })).toBe(true);
      expect(await store.releaseDelivery(ISSUE, b!, { owner: 'w', state: 'deferred', nextAttemptAt: at(50), now: at(2) })).toBe(true);
      const rows = await store.listDeliveries({ issueId: ISSUE, limit: 10 });
      expect(rows.map((d) => [d.state, d.attempts, d.leaseOwner, d.nextAttemptAt?.getTime() ?? null])).toEqual([
        ['queued', 0, null, null],
        ['deferred', 0, null, at(50).getTime()],
      ]);
      expect((await claim(store, 'w', at(10))).map((d) => d.subscriberId)).toEqual([a]);
      expect((await claim(store, 'w', at(50))).map((d) => [d.subscriberId, d.attempts])).toEqual([[b, 1]]);
    });

    it('finishSendIfDone waits for every open Delivery; a finished Send is never claimed from', async () => {
      const [a, b] = await subscribers(2);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      expect(await store.finishSendIfDone(ISSUE, at(1))).toMatchObject({ finishedAt: null });
      await claim(store, 'w', at(2), 1);
      expect(await store.finishSendIfDone(ISSUE, at(3))).toMatchObject({ finishedAt: null }); // one queued, one sending
      await claim(store, 'w', at(4), 1);
      await store.recordOutcome(ISSUE, a!, { owner: 'w', state: 'accepted', code: 250, now: at(5) });
      expect(await store.finishSendIfDone(ISSUE, at(6))).toMatchObject({ finishedAt: null }); // b still sending
      await store.recordOutcome(ISSUE, b!, { owner: 'w', state: 'failed', code: 550, response: '550 5.1.1 no such user', now: at(7) });
      const done = await store.finishSendIfDone(ISSUE, at(8));
      expect(done?.finishedAt?.getTime()).toBe(at(8).getTime());
      // Finishing twice keeps the first time.
      expect((await store.finishSendIfDone(ISSUE, at(9)))?.finishedAt?.getTime()).toBe(at(8).getTime());
      expect(await store.finishSendIfDone('1999-01-04', at(9))).toBeNull();
    });

    it('claims without an Issue take from every unfinished Send; with one, only from it', async () => {
      await subscribers(2);
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      await store.startSend(OTHER, { trigger: 'cli', now: T0 });
      expect((await claim(store, 'w', at(1), 100, 60_000, OTHER)).map((d) => d.issueId)).toEqual([OTHER, OTHER]);
      const any = await claim(store, 'w', at(2), 100, 60_000, undefined);
      expect(any.map((d) => d.issueId)).toEqual([ISSUE, ISSUE]);
      expect((await store.listSends()).map((s) => s.issueId).sort()).toEqual([ISSUE, OTHER]);
    });

    it('deliveryCounts names every state; listDeliveries pages by Subscriber id and filters by state', async () => {
      const ids = await subscribers(5);
      const empty = await store.deliveryCounts(ISSUE);
      expect(empty).toEqual({ queued: 0, sending: 0, accepted: 0, deferred: 0, failed: 0, suppressed: 0, unknown: 0 });
      await store.startSend(ISSUE, { trigger: 'cli', now: T0 });
      await claim(store, 'w', at(1), 2);
      await store.recordOutcome(ISSUE, ids[0]!, { owner: 'w', state: 'accepted', code: 250, now: at(2) });
      expect(await store.deliveryCounts(ISSUE)).toEqual({ queued: 3, sending: 1, accepted: 1, deferred: 0, failed: 0, suppressed: 0, unknown: 0 });

      const page1 = await store.listDeliveries({ issueId: ISSUE, limit: 2 });
      const page2 = await store.listDeliveries({ issueId: ISSUE, limit: 2, afterSubscriberId: page1.at(-1)!.subscriberId });
      const page3 = await store.listDeliveries({ issueId: ISSUE, limit: 2, afterSubscriberId: page2.at(-1)!.subscriberId });
      expect([...page1, ...page2, ...page3].map((d) => d.subscriberId)).toEqual(ids);
      const open = await store.listDeliveries({ issueId: ISSUE, states: ['queued', 'sending'], limit: 10 });
      expect(open.map((d) => d.subscriberId)).toEqual(ids.slice(1));
      expect(await store.listDeliveries({ issueId: OTHER, limit: 10 })).toEqual([]);
    });
  });
}
