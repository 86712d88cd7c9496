/**
 * One claimed Delivery, from the claim to the outcome in the ledger: build its message, hand it to
 * SMTP (paced), classify the reply and commit what it means. A row that never reached the server
 * (the relay down, the sender stopping, its Send paused meanwhile) is put back without counting as
 * an attempt; only a handover is an attempt.
 */
import type { LineLog } from '../log.ts';
import type { ClaimedDelivery, DeliveryState, LedgerStore, Store, SubscriberStore } from '../store/store.ts';
import { classify, decide, type DeliveryPolicy } from './classify.ts';
import type { IssueMessages } from './issue-messages.ts';
import type { RelayOutage } from './relay-outage.ts';
import type { SendResult, Transport } from './transport.ts';

/** What the engine asks of the Store: the ledger, each Subscriber's status right before sending, and the fleet's pacer. */
export type SendStore = LedgerStore & Pick<SubscriberStore, 'getSubscriber' | 'setSubscriberStatus'> & Pick<Store, 'sharedPacer'>;

export type RunCounts = { attempted: number; notSent: number } & Record<'accepted' | 'deferred' | 'failed' | 'suppressed' | 'unknown', number>;

export const emptyRunCounts = (): RunCounts => ({ attempted: 0, notSent: 0, accepted: 0, deferred: 0, failed: 0, suppressed: 0, unknown: 0 });

export interface DeliverContext {
  log: LineLog;
  store: SendStore;
  transport: Transport;
  messages: IssueMessages;
  policy: DeliveryPolicy;
  owner: string;
  signal: AbortSignal;
  relay: RelayOutage;
  pacer: { take(signal?: AbortSignal): Promise<boolean | (() => void) | null> };
  now: () => Date;
  run: RunCounts;
}

/** What a claimed row goes back to when it was never handed over (a taken-over lease may have gone out: unknown). */
export const releasedState = (previous: DeliveryState): 'queued' | 'deferred' | 'unknown' =>
  previous === 'queued' ? 'queued' : previous === 'deferred' ? 'deferred' : 'unknown';

/** One line about a failed connection, for logs, the ledger and the reports. */
export const describeFailure = (r: SendResult) => `${r.response}${r.errorCode ? ` (${r.errorCode} at ${r.stage ?? 'connect'})` : ''}`;

export function deliverer(ctx: DeliverContext) {
  const { log, store, transport, messages, policy, owner, signal, relay, now, run } = ctx;
  /** Policy pauses this run set per Issue (count and end), so a burst of 5.7.x replies pauses once. */
  const pauses = new Map<string, { count: number; until: number }>();
  const warned = new Set<string>();
  const createdAt = new Map<string, Date>();

  const record = async (d: ClaimedDelivery, state: Exclude<DeliveryState, 'queued' | 'sending'>, o: { code?: number | null; response?: string | null; nextAttemptAt?: Date | null }) => {
    const ok = await store.recordOutcome(d.issueId, d.subscriberId, { owner, state, now: now(), ...o });
    if (!ok) log(`delivery ${d.issueId}/${d.subscriberId}: lease lost before the outcome (${state}) was recorded; another sender took it over`);
    run[state]++;
  };

  /** Back to where it was, not counted as an attempt; due again at `at` (or whenever its Send is unpaused). */
  const release = async (d: ClaimedDelivery, at: Date | null = now()) => {
    const state = releasedState(d.previousState);
    await store.releaseDelivery(d.issueId, d.subscriberId, { owner, state, nextAttemptAt: state === 'queued' ? null : at, now: now() });
    run.notSent++;
  };

  const sendCreatedAt = async (issueId: string) => {
    let t = createdAt.get(issueId);
    if (!t) {
      t = (await store.getSend(issueId))?.createdAt ?? now();
      createdAt.set(issueId, t);
    }
    return t;
  };

  async function deliver(d: ClaimedDelivery): Promise<void> {
    let factory;
    try {
      factory = await messages.factory(d.issueId, d.lang);
    } catch (e) {
      // The Issue cannot be built (file gone or invalid): put the row back and pause its Send.
      const until = new Date(now().getTime() + policy.maxPauseMs);
      const why = `issue ${d.issueId} cannot be built: ${(e as Error).message}`;
      if (!warned.has(d.issueId)) log(`${why}; its Send is paused until ${until.toISOString()}`);
      warned.add(d.issueId);
      await store.pauseSend(d.issueId, until, why);
      return release(d, until);
    }
    // Re-checked right before sending: an unsubscribe since the claim still wins.
    const sub = await store.getSubscriber(d.subscriberId);
    if (!sub || sub.status !== 'active') return record(d, 'suppressed', { response: `not sent: the Subscriber is ${sub?.status ?? 'deleted'}` });
    if (signal.aborted || relay.current) return release(d);
    const paused = pauses.get(d.issueId)?.until ?? 0;
    if (paused > now().getTime()) return release(d, new Date(paused));

    const msg = factory.build({ subscriberId: sub.id, email: sub.email }, { now: now(), messageId: d.messageId ?? undefined });
    if (d.messageId === null) await store.setMessageId(d.issueId, d.subscriberId, msg.messageId);
    // Paced when the connection is ready, right before the transaction: neither a slow render nor
    // a connection being opened can bunch messages up at the server.
    let paced: boolean | (() => void) | null = null;
    const result = await transport.send(msg, {
      ready: async () => Boolean((paced = await ctx.pacer.take(signal))),
      mayConnect: () => relay.current === null && !signal.aborted,
    });
    if (typeof paced === 'function') (paced as () => void)();
    if (result.notSent) return release(d);
    const verdict = classify(result);
    if (verdict.kind === 'outage') {
      // No session at all: the relay is down for everyone, and this was no attempt of this row.
      const { outage, started } = relay.report(describeFailure(result), now());
      if (started) log(`SMTP relay unreachable: ${outage.reason}; holding every message and probing it again at ${outage.until.toISOString()}`);
      return release(d);
    }
    run.attempted++;
    const t = now();
    const pause = pauses.get(d.issueId) ?? { count: 0, until: 0 };
    const decision = decide({ verdict, attempts: d.attempts, previousState: d.previousState, sendCreatedAt: await sendCreatedAt(d.issueId), now: t, pausesSoFar: pause.count }, policy);
    // Replies to messages already in flight when the first one paused the Send extend nothing.
    if (decision.pauseMs !== null && pause.until <= t.getTime()) {
      const until = new Date(t.getTime() + decision.pauseMs);
      pauses.set(d.issueId, { count: pause.count + 1, until: until.getTime() });
      await store.pauseSend(d.issueId, until, result.response);
      log(`send of ${d.issueId} paused until ${until.toISOString()}: ${result.response}`);
    }
    const response = decision.note ? `${result.response} (${decision.note})` : result.response;
    await record(d, decision.state, { code: result.code, response, nextAttemptAt: decision.nextAttemptAt });
    if (decision.suppress) await store.setSubscriberStatus(d.subscriberId, 'bounced', t);
  }

  return { deliver, release };
}
