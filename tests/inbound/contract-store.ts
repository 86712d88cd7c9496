/**
 * The InboundStore contract, run against SQLite and PostgreSQL (tests/inbound/store.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewInboundEvent } from '../../src/store/inbound-store.ts';
import type { Store } from '../../src/store/store.ts';

const T0 = new Date('2024-04-20T01:00:00.000Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);
const ISSUES = ['2024-04-15', '2024-04-22', '2024-04-29', '2024-05-06'];
const opts = (min = 100) => ({ now: at(min), softBounceLimit: 3 });

export function inboundStoreContract(makeStore: () => Promise<Store>): void {
  describe('InboundStore contract', () => {
    let store: Store;
    let seq = 0;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    async function subscriber(email = 'reader@example.net') {
      return store.insertSubscriber({ email, status: 'active', lang: 'en', source: 'test', now: T0 });
    }

    /** Sends the Issue to every active Subscriber, all Accepted, each with a Message-ID. */
    async function sendAccepted(issueId: string, min = 0) {
      await store.startSend(issueId, { trigger: 'cli', now: at(min) });
      const claimed = await store.claimDeliveries({ issueId, owner: 'o', now: at(min), leaseMs: 60_000, limit: 100 });
      for (const d of claimed) {
        await store.setMessageId(issueId, d.subscriberId, `<m.${issueId}.${d.subscriberId}@example.org>`);
        await store.recordOutcome(issueId, d.subscriberId, { owner: 'o', state: 'accepted', code: 250, response: '250 ok', now: at(min) });
      }
    }

    const event = (e: Partial<NewInboundEvent> & Pick<NewInboundEvent, 'kind'>): NewInboundEvent => ({
      fingerprint: `fp-${++seq}`,
      source: 'file',
      subscriberId: null,
      issueId: null,
      status: null,
      diagnostic: null,
      detail: null,
      ...e,
    });

    it('a hard bounce makes the Subscriber bounced and the Delivery failed with its diagnostic; the same event again changes nothing', async () => {
      const s = await subscriber();
      await sendAccepted(ISSUES[0]!);
      const e = event({ kind: 'hard_bounce', subscriberId: s.id, issueId: ISSUES[0]!, status: '5.1.1', diagnostic: '550 5.1.1 User unknown' });
      const first = await store.applyInboundEvent(e, opts());
      expect(first).toMatchObject({ recorded: true, event: { kind: 'hard_bounce', outcome: 'subscriber bounced; delivery failed' } });
      expect((await store.getSubscriber(s.id))!.status).toBe('bounced');
      expect((await store.getSubscriber(s.id))!.suppressedAt).toEqual(at(100));
      const [d] = await store.listDeliveries({ issueId: ISSUES[0]!, limit: 10 });
      expect(d).toMatchObject({ state: 'failed', lastCode: 550, lastResponse: '5.1.1 550 5.1.1 User unknown' });

      // The operator re-activates the address; the same bounce read again (a re-poll) changes nothing.
      await store.setSubscriberStatus(s.id, 'active', at(200));
      const again = await store.applyInboundEvent(e, opts(300));
      expect(again.recorded).toBe(false);
      expect(again.event.id).toBe(first.event.id);
      expect((await store.getSubscriber(s.id))!.status).toBe('active');
      expect(await store.listInboundEvents({ subscriberId: s.id, limit: 10 })).toHaveLength(1);
    });

    it('finds a Delivery by its Message-ID', async () => {
      const s = await subscriber();
      await sendAccepted(ISSUES[0]!);
      expect(await store.findDeliveryByMessageId(`<m.${ISSUES[0]}.${s.id}@example.org>`)).toMatchObject({ issueId: ISSUES[0], subscriberId: s.id });
      expect(await store.findDeliveryByMessageId('<nope@example.org>')).toBeNull();
    });

    it('soft bounces suppress only when the last SOFT_BOUNCE_LIMIT Issues all soft-bounced', async () => {
      const s = await subscriber();
      for (const [i, issue] of ISSUES.entries()) await sendAccepted(issue, i);
      const soft = (issueId: string) => store.applyInboundEvent(event({ kind: 'soft_bounce', subscriberId: s.id, issueId, status: '4.2.2' }), opts());
      // The latest Issue was delivered without a bounce: older soft bounces are not "in a row".
      await soft(ISSUES[0]!);
      await soft(ISSUES[1]!);
      await soft(ISSUES[2]!);
      expect((await store.getSubscriber(s.id))!.status).toBe('active');
      // Several delay notices for one Issue count once.
      expect((await soft(ISSUES[3]!)).event.outcome).toBe('subscriber bounced (3 soft bounces in a row)');
      expect((await store.getSubscriber(s.id))!.status).toBe('bounced');
    });

    it('two soft bounces of the same Issue are not two in a row', async () => {
      const s = await subscriber();
      for (const [i, issue] of ISSUES.slice(0, 3).entries()) await sendAccepted(issue, i);
      for (let i = 0; i < 4; i++) await store.applyInboundEvent(event({ kind: 'soft_bounce', subscriberId: s.id, issueId: ISSUES[2]!, status: '4.4.7' }), opts());
      await store.applyInboundEvent(event({ kind: 'soft_bounce', subscriberId: s.id, issueId: ISSUES[1]!, status: '4.4.7' }), opts());
      expect((await store.getSubscriber(s.id))!.status).toBe('active');
      const [d] = await store.listDeliveries({ issueId: ISSUES[2]!, limit: 10 });
      expect(d!.state).toBe('accepted');
    });

    it('a complaint makes the Subscriber complained, even after unsubscribing', async () => {
      const s = await subscriber();
      await store.setSubscriberStatus(s.id, 'unsubscribed', at(1));
      const r = await store.applyInboundEvent(event({ kind: 'complaint', subscriberId: s.id }), opts());
      expect(r.event.outcome).toBe('subscriber complained');
      expect((await store.getSubscriber(s.id))!.status).toBe('complained');
    });

    it('a mailto unsubscribe unsubscribes an active Subscriber, and never un-bounces one', async () => {
      const a = await subscriber('a@example.net');
      const b = await subscriber('b@example.net');
      await store.setSubscriberStatus(b.id, 'bounced', at(1));
      await store.applyInboundEvent(event({ kind: 'unsubscribe', subscriberId: a.id }), opts());
      const rb = await store.applyInboundEvent(event({ kind: 'unsubscribe', subscriberId: b.id }), opts());
      expect((await store.getSubscriber(a.id))!.status).toBe('unsubscribed');
      expect((await store.getSubscriber(a.id))!.unsubscribedAt).toEqual(at(100));
      expect((await store.getSubscriber(b.id))!.status).toBe('bounced');
      expect(rb.event.outcome).toBe('nothing');
    });

    it('auto-replies and ignored messages are recorded and change nothing; listings are newest first, by Subscriber or Issue', async () => {
      const s = await subscriber();
      await sendAccepted(ISSUES[0]!);
      await store.applyInboundEvent(event({ kind: 'autoreply', subscriberId: s.id, issueId: ISSUES[0]! }), opts(1));
      await store.applyInboundEvent(event({ kind: 'ignored', detail: 'forged VERP address' }), opts(2));
      await store.applyInboundEvent(event({ kind: 'soft_bounce', subscriberId: s.id, issueId: ISSUES[0]!, status: '4.0.0' }), opts(3));
      expect((await store.getSubscriber(s.id))!.status).toBe('active');
      const bySub = await store.listInboundEvents({ subscriberId: s.id, limit: 10 });
      expect(bySub.map((e) => e.kind)).toEqual(['soft_bounce', 'autoreply']);
      expect(bySub[0]!.receivedAt).toEqual(at(3));
      expect((await store.listInboundEvents({ issueId: ISSUES[0]!, limit: 1 })).map((e) => e.kind)).toEqual(['soft_bounce']);
      expect((await store.listInboundEvents({ limit: 10 })).map((e) => e.kind)).toEqual(['soft_bounce', 'ignored', 'autoreply']);
    });

    it('removing a Subscriber removes their events (bounces quote the address)', async () => {
      const a = await subscriber('a@example.net');
      const b = await subscriber('b@example.net');
      await store.applyInboundEvent(event({ kind: 'hard_bounce', subscriberId: a.id, diagnostic: '550 <a@example.net> unknown' }), opts());
      await store.applyInboundEvent(event({ kind: 'complaint', subscriberId: b.id }), opts());
      await store.deleteSubscriber(a.id);
      expect(await store.listInboundEvents({ subscriberId: a.id, limit: 10 })).toEqual([]);
      expect(await store.listInboundEvents({ limit: 10 })).toHaveLength(1);
    });

    it('the same event applied from two calls at once is recorded once', async () => {
      const s = await subscriber();
      await sendAccepted(ISSUES[0]!);
      const e = event({ kind: 'hard_bounce', subscriberId: s.id, issueId: ISSUES[0]!, status: '5.1.1' });
      const results = await Promise.all(Array.from({ length: 8 }, () => store.applyInboundEvent(e, opts())));
      expect(results.filter((r) => r.recorded)).toHaveLength(1);
      expect(await store.listInboundEvents({ subscriberId: s.id, limit: 10 })).toHaveLength(1);
    });
  });
}
