/**
 * The delivery engine: start (or find) the Send of an Issue, then work the ledger until nothing is
 * left to attempt. Reusable by every trigger: `sudi send`, `sudi run-due`, the scheduler, the HTTP
 * admin trigger and `sudi worker` all call runDeliveries.
 *
 * The loop claims only as many Deliveries as it has free slots (just in time, in BEGIN IMMEDIATE /
 * SKIP LOCKED transactions), builds each message from the pre-encoded Issue, records the
 * Message-ID, hands it to SMTP and commits the outcome right after the reply. At most `inflight`
 * messages exist at any moment, whatever the number of Subscribers: memory is flat, and a crash
 * can duplicate at most the messages that were on the wire, each resent with its own Message-ID.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '../app.ts';
import { SudiError } from '../errors.ts';
import type { Issue } from '../model.ts';
import { DELIVERY_STATES, type ClaimedDelivery, type DeliveryState, type Send, type SendTrigger } from '../store/store.ts';
import { classify, decide, DEFAULT_POLICY, type DeliveryPolicy } from './classify.ts';
import { issueMessages, type IssueMessages } from './issue-messages.ts';
import { idleScan } from './idle-scan.ts';
import { newOwnerId } from './lease-owner.ts';
import { createPacer } from './pacer.ts';
import { progressTracker } from './progress.ts';

/** Starts the Send of a ready Issue, or finds the one that exists (a rerun resumes it). */
export async function startIssueSend(app: App, issue: Issue, trigger: SendTrigger): Promise<{ send: Send; created: boolean }> {
  if (issue.status !== 'ready') {
    throw new SudiError('E_USAGE', `issue ${issue.id} is a draft (${issue.source}: status: draft); set status: ready to send it`);
  }
  const store = await app.store();
  return store.startSend(issue.id, { trigger, now: app.deps.now() });
}

export type StateCounts = Record<DeliveryState, number>;

export interface DeliveryProgress {
  issueId: string;
  total: number;
  counts: StateCounts;
  /** Messages accepted per second in this run so far. */
  rate: number;
}

export interface RunOptions {
  /** Only this Issue's Send; undefined = every unfinished Send. */
  issueId?: string;
  /** Stop claiming when aborted; messages in flight finish and are recorded. */
  signal?: AbortSignal;
  owner?: string;
  policy?: Partial<DeliveryPolicy>;
  /** Messages handed to the transport at once (default: 2 × SEND_CONCURRENCY). */
  inflight?: number;
  /** Messages per second (default SEND_RATE; 0 = no cap). */
  rate?: number;
  /** How long a claimed Delivery stays leased (default LEASE_SECONDS). */
  leaseMs?: number;
  /**
   * Paces SEND_RATE in place of this process's own pacer (`sudi worker` on PostgreSQL: the
   * fleet-wide one). take() resolves true/false, or with a function to call when the message ended.
   */
  pacer?: { take(signal?: AbortSignal): Promise<boolean | (() => void) | null> };
  /** Keep going while the next retry is due within this many ms (0 = stop once nothing is due now). */
  retryWaitMs?: number;
  /** Rendered Issues to reuse across runs (`sudi worker` renders each Issue once, not once per pass). */
  messages?: IssueMessages;
  onProgress?: (p: DeliveryProgress) => void;
}

export interface DeliveryReport {
  issueIds: string[];
  /** Ledger totals per state over those Sends, at the end. */
  counts: StateCounts;
  /** Outcomes recorded by this run. */
  run: { attempted: number } & Record<'accepted' | 'deferred' | 'failed' | 'suppressed' | 'unknown', number>;
  durationMs: number;
  /** Accepted messages per second in this run. */
  rate: number;
  /** Stopped by the signal before the work was done. */
  stopped: boolean;
  /** Every Send touched is finished (nothing left to attempt). */
  finished: boolean;
  /** When the earliest remaining retry is due, if the run ended with retries pending. */
  nextRetryAt: Date | null;
}

export const emptyCounts = (): StateCounts => Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as StateCounts;

const LANGS = ['zh', 'en', 'both'] as const;

export async function runDeliveries(app: App, opts: RunOptions = {}): Promise<DeliveryReport> {
  const store = await app.store();
  const transport = app.transport();
  const messages = opts.messages ?? issueMessages(app);
  const policy: DeliveryPolicy = { ...DEFAULT_POLICY, ...opts.policy };
  const owner = opts.owner ?? newOwnerId();
  const signal = opts.signal ?? new AbortController().signal;
  const rate = opts.rate ?? app.config.sendRate;
  const maxInflight = Math.max(1, opts.inflight ?? app.config.sendConcurrency * 2);
  const leaseMs = opts.leaseMs ?? app.config.leaseSeconds * 1000;
  // On PostgreSQL the cap is shared by every sender of the database (store.sharedPacer), else per process.
  const pacer = opts.pacer ?? (rate > 0 && store.sharedPacer ? store.sharedPacer(rate) : createPacer(rate));
  const now = () => app.deps.now();
  const started = performance.now();

  const run: DeliveryReport['run'] = { attempted: 0, accepted: 0, deferred: 0, failed: 0, suppressed: 0, unknown: 0 };
  const touched = new Set<string>(opts.issueId ? [opts.issueId] : (await store.listSends()).filter((s) => !s.finishedAt).map((s) => s.issueId));
  const sends = new Map<string, Send>();
  const pauses = new Map<string, number>();
  /** Pauses this run set, so rows already claimed are not sent into a server that just said "slow down". */
  const pausedUntil = new Map<string, number>();
  const warned = new Set<string>();
  const progress = opts.issueId && opts.onProgress ? await progressTracker(store, opts.issueId, opts.onProgress, () => run.accepted / ((performance.now() - started) / 1000)) : null;

  const sendOf = async (issueId: string) => {
    let s = sends.get(issueId);
    if (!s) {
      s = (await store.getSend(issueId)) ?? undefined;
      if (!s) throw new SudiError('E_STORE', `no Send for issue ${issueId} in the ledger`);
      sends.set(issueId, s);
    }
    return s;
  };

  const record = async (d: ClaimedDelivery, state: Exclude<DeliveryState, 'queued' | 'sending'>, o: { code?: number | null; response?: string | null; nextAttemptAt?: Date | null }) => {
    const ok = await store.recordOutcome(d.issueId, d.subscriberId, { owner, state, now: now(), ...o });
    if (!ok) app.deps.log(`delivery ${d.issueId}/${d.subscriberId}: lease lost before the outcome (${state}) was recorded; another sender took it over`);
    run[state]++;
    progress?.moved(d.previousState, state);
  };

  async function deliver(d: ClaimedDelivery): Promise<void> {
    progress?.claimed(d.previousState);
    let factory;
    try {
      factory = await messages.factory(d.issueId, d.lang);
    } catch (e) {
      // The Issue cannot be built (file gone or invalid): put the row back and pause its Send.
      const until = new Date(now().getTime() + policy.maxPauseMs);
      if (!warned.has(d.issueId)) app.deps.log(`issue ${d.issueId} cannot be sent: ${(e as Error).message}; its Send is paused until ${until.toISOString()}`);
      warned.add(d.issueId);
      await store.pauseSend(d.issueId, until);
      return record(d, 'deferred', { response: `not sent: ${(e as Error).message}`, nextAttemptAt: until });
    }
    // Re-checked right before sending: an unsubscribe since the claim still wins.
    const sub = await store.getSubscriber(d.subscriberId);
    if (!sub || sub.status !== 'active') return record(d, 'suppressed', { response: `not sent: the Subscriber is ${sub?.status ?? 'deleted'}` });
    if (signal.aborted) return record(d, 'deferred', { response: 'not sent: stopped before sending', nextAttemptAt: now() });
    const paused = pausedUntil.get(d.issueId) ?? 0;
    if (paused > now().getTime()) return record(d, 'deferred', { response: 'not sent: the send is paused', nextAttemptAt: new Date(paused) });

    const msg = factory.build({ subscriberId: sub.id, email: sub.email }, { now: now(), messageId: d.messageId ?? undefined });
    if (d.messageId === null) await store.setMessageId(d.issueId, d.subscriberId, msg.messageId);
    // Paced when the connection is ready, right before the transaction: neither a slow render nor
    // a connection being opened can bunch messages up at the server.
    let paced: boolean | (() => void) | null = null;
    const result = await transport.send(msg, { ready: async () => Boolean((paced = await pacer.take(signal))) });
    if (typeof paced === 'function') (paced as () => void)();
    if (result.notSent) return record(d, 'deferred', { response: result.response, nextAttemptAt: now() });
    run.attempted++;
    const t = now();
    const send = await sendOf(d.issueId);
    const decision = decide(
      { verdict: classify(result), attempts: d.attempts, previousState: d.previousState, sendCreatedAt: send.createdAt, now: t, pausesSoFar: pauses.get(d.issueId) ?? 0 },
      policy,
    );
    if (decision.pauseMs !== null) {
      const until = new Date(t.getTime() + decision.pauseMs);
      pauses.set(d.issueId, (pauses.get(d.issueId) ?? 0) + 1);
      pausedUntil.set(d.issueId, Math.max(pausedUntil.get(d.issueId) ?? 0, until.getTime()));
      await store.pauseSend(d.issueId, until);
      app.deps.log(`send of ${d.issueId} paused until ${until.toISOString()}: ${result.response}`);
    }
    const response = decision.note ? `${result.response} (${decision.note})` : result.response;
    await record(d, decision.state, { code: result.code, response, nextAttemptAt: decision.nextAttemptAt });
    if (decision.suppress) await store.setSubscriberStatus(d.subscriberId, 'bounced', t);
  }

  /** When nothing is claimable: finish Sends, settle leases of dead local senders, find the next wake-up. */
  const idle = async () => {
    const r = await idleScan(store, touched, owner, now);
    if (r.settled > 0) app.deps.log(`settled ${r.settled} lease(s) of sending processes that are gone; resending those once with the same Message-ID`);
    return r;
  };

  // Render every language before the first claim: an MJML run blocks the event loop, and doing it
  // mid-send would stall the messages in flight (and, with claimed rows waiting, could outlast a
  // short lease). Every unfinished Send when no issueId is given (`sudi worker`). (Failures surface
  // per Delivery in deliver().)
  for (const issueId of touched) await Promise.all(LANGS.map((lang) => messages.factory(issueId, lang).catch(() => undefined)));

  const inflight = new Set<Promise<void>>();
  let failure: unknown = null;
  let nextRetryAt: Date | null = null;
  const retryWaitMs = opts.retryWaitMs ?? 0;
  await idle();

  // Claimed rows wait here for a free slot: claiming a few at a time costs the ledger one
  // transaction per batch instead of one per message, and the queue stays this short.
  const claimBatch = Math.max(maxInflight, 16);
  const queue: ClaimedDelivery[] = [];
  const dispatch = (d: ClaimedDelivery) => {
    touched.add(d.issueId);
    const p: Promise<void> = deliver(d)
      .catch((e) => void (failure ??= e))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  while (!signal.aborted && failure === null) {
    while (inflight.size >= maxInflight) await Promise.race(inflight);
    if (signal.aborted || failure !== null) break;
    if (queue.length === 0) {
      // With a rate cap, claim no further ahead than the pacer lets messages out.
      const limit = rate > 0 ? Math.max(1, Math.min(claimBatch, Math.ceil(rate))) : claimBatch;
      queue.push(...(await store.claimDeliveries({ issueId: opts.issueId, owner, now: now(), leaseMs, limit })));
    }
    if (queue.length === 0) {
      if (inflight.size > 0) {
        await Promise.race(inflight);
        continue;
      }
      const scan = await idle();
      if (scan.settled > 0) continue;
      if (scan.nextWake === null) break;
      const wait = scan.nextWake - now().getTime();
      if (wait > retryWaitMs) {
        nextRetryAt = new Date(scan.nextWake);
        break;
      }
      await sleep(Math.max(wait, 5), undefined, { signal }).catch(() => {});
      continue;
    }
    while (queue.length > 0 && inflight.size < maxInflight) dispatch(queue.shift()!);
  }
  // Claimed but never handed over (stopped, or a failure elsewhere): due again at once.
  for (const d of queue.splice(0)) await record(d, 'deferred', { response: 'not sent: stopped before sending', nextAttemptAt: now() });
  await Promise.all(inflight);
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what a delivery threw, as it was
  if (failure !== null) throw failure;

  const counts = emptyCounts();
  let finished = true;
  for (const issueId of touched) {
    const send = await store.finishSendIfDone(issueId, now());
    if (send && !send.finishedAt) finished = false;
    const c = await store.deliveryCounts(issueId);
    for (const s of DELIVERY_STATES) counts[s] += c[s];
  }
  await progress?.resync();
  const durationMs = performance.now() - started;
  return {
    issueIds: [...touched].sort(),
    counts,
    run,
    durationMs,
    rate: run.accepted / Math.max(durationMs / 1000, 1e-3),
    stopped: signal.aborted,
    finished,
    nextRetryAt: finished ? null : nextRetryAt,
  };
}
