/**
 * The delivery engine: start (or find) the Send of an Issue, then work the ledger until nothing is
 * left to attempt. Reusable by every trigger: `sudi send`, `sudi run-due`, the scheduler, the HTTP
 * admin trigger and `sudi worker` all call runDeliveries.
 *
 * The loop claims only as many Deliveries as it has free slots (just in time, in BEGIN IMMEDIATE /
 * SKIP LOCKED transactions), builds each message from the pre-encoded Issue, records the
 * Message-ID, hands it to SMTP and commits the outcome right after the reply (deliver-one.ts). At
 * most `inflight` messages exist at any moment, whatever the number of Subscribers: memory is flat,
 * and a crash can duplicate at most the messages that were on the wire, each resent with its own
 * Message-ID. When the relay cannot be reached the loop holds everything and rides the outage out
 * (relay-outage.ts); every wait is a timer, bounded by `retryWaitMs`.
 */
import type { Config } from '../config.ts';
import { SudiError } from '../errors.ts';
import type { Issue } from '../model.ts';
import { DELIVERY_STATES, type ClaimedDelivery, type Send, type SendTrigger } from '../store/store.ts';
import { DEFAULT_POLICY, type DeliveryPolicy } from './classify.ts';
import { deliverer, describeFailure, emptyRunCounts, type DeliverContext, type RunCounts, type SendStore } from './deliver-one.ts';
import type { IssueMessages } from './issue-messages.ts';
import { idleScan } from './idle-scan.ts';
import { newOwnerId } from './lease-owner.ts';
import { createPacer } from './pacer.ts';
import { progressTracker, type DeliveryProgress, type StateCounts } from './progress.ts';
import type { Outage, RelayOutage } from './relay-outage.ts';
import type { Transport } from './transport.ts';
import { logEvent, type LineLog } from '../log.ts';

/**
 * What the delivery engine needs, declared here and provided by the composition root (app.ts):
 * each part is made there once, the Store and the transport on first use.
 */
export interface SendDeps {
  config: Pick<Config, 'sendRate' | 'sendConcurrency' | 'leaseSeconds'>;
  now: () => Date;
  /** Operator-facing messages (stderr for the CLI, the logger for services). */
  log: LineLog;
  store(): Promise<SendStore>;
  transport(): Transport;
  /** The relay's outage state in this process, shared by every loop and pass that uses transport(). */
  relay(): RelayOutage;
  /** A new render cache: a run reads and renders its Issues afresh unless handed one (RunOptions.messages). */
  issueMessages(): Promise<IssueMessages>;
}

/** Starts the Send of a ready Issue, or finds the one that exists (a rerun resumes it). */
export async function startIssueSend(app: Pick<SendDeps, 'store' | 'now'>, issue: Issue, trigger: SendTrigger): Promise<{ send: Send; created: boolean }> {
  if (issue.status !== 'ready') {
    throw new SudiError('E_USAGE', `issue ${issue.id} is a draft (${issue.source}: status: draft); set status: ready to send it`);
  }
  const store = await app.store();
  return store.startSend(issue.id, { trigger, now: app.now() });
}

/**
 * An operator's explicit `sudi send ID` or `POST /admin/send`: a paused Send resumes at once (its
 * deferred Deliveries due now), and a loop of this process waiting out a pause or a relay outage
 * probes right away. Returns the pause that was lifted, null if the Send was not paused.
 */
export async function resumePausedSend(app: Pick<SendDeps, 'store' | 'now' | 'relay'>, issueId: string): Promise<{ pausedUntil: Date; reason: string | null } | null> {
  const store = await app.store();
  const lifted = await store.resumeSend(issueId, app.now());
  const relay = app.relay();
  if (lifted || relay.current) relay.wake(app.now());
  return lifted;
}

export type { DeliveryProgress, StateCounts } from './progress.ts';

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
  /**
   * How long this run may spend waiting in all (for retries that come due, a paused Send, the relay
   * to come back); 0 = stop once nothing is due now. A wait that would end past it is not begun.
   */
  retryWaitMs?: number;
  /** Rendered Issues to reuse across runs (`sudi worker` renders each Issue once, not once per pass). */
  messages?: IssueMessages;
  onProgress?: (p: DeliveryProgress) => void;
}

export interface PausedSend {
  issueId: string;
  until: Date;
  reason: string | null;
}

export interface DeliveryReport {
  issueIds: string[];
  /** Ledger totals per state over those Sends, at the end. */
  counts: StateCounts;
  /** What this run did: messages handed to SMTP (attempted), the outcomes it recorded, and rows it claimed and put back unsent (not attempts). */
  run: RunCounts;
  durationMs: number;
  /** Accepted messages per second in this run. */
  rate: number;
  /** Stopped by the signal before the work was done. */
  stopped: boolean;
  /** Every Send touched is finished (nothing left to attempt). */
  finished: boolean;
  /** When the earliest remaining retry (deferred, or the one resend of an unknown) is due, if any are pending. */
  nextRetryAt: Date | null;
  /** `unknown` Deliveries still due for their one resend (the others stay unknown). */
  resendsPending: number;
  /** Sends paused in the ledger at the end (a 4.7.x/5.7.x reply, the relay unreachable …). */
  paused: PausedSend[];
  /** The relay outage this run ended in, if it did. */
  outage: Outage | null;
}

export const emptyCounts = (): StateCounts => Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as StateCounts;

const LANGS = ['zh', 'en', 'both'] as const;
/** The least wait when rows are due but none could be claimed twice in a row. */
const RECHECK_MS = 250;

export async function runDeliveries(app: SendDeps, opts: RunOptions = {}): Promise<DeliveryReport> {
  const store = await app.store();
  const transport = app.transport();
  const messages = opts.messages ?? (await app.issueMessages());
  const signal = opts.signal ?? new AbortController().signal;
  const rate = opts.rate ?? app.config.sendRate;
  const maxInflight = Math.max(1, opts.inflight ?? app.config.sendConcurrency * 2);
  const leaseMs = opts.leaseMs ?? app.config.leaseSeconds * 1000;
  const relay = app.relay();
  const now = () => app.now();
  const started = performance.now();
  const ctx: DeliverContext = {
    log: app.log,
    store,
    transport,
    messages,
    policy: { ...DEFAULT_POLICY, ...opts.policy },
    owner: opts.owner ?? newOwnerId(),
    signal,
    relay,
    // On PostgreSQL the cap is shared by every sender of the database (store.sharedPacer), else per process.
    pacer: opts.pacer ?? (rate > 0 && store.sharedPacer ? store.sharedPacer(rate) : createPacer(rate)),
    now,
    run: emptyRunCounts(),
  };
  const { run, owner } = ctx;
  const { deliver, release } = deliverer(ctx);
  const touched = new Set<string>(opts.issueId ? [opts.issueId] : (await store.listSends()).filter((s) => !s.finishedAt).map((s) => s.issueId));
  const progress = opts.issueId && opts.onProgress ? await progressTracker(store, opts.issueId, opts.onProgress, () => run.accepted / ((performance.now() - started) / 1000)) : null;

  /** The waiting budget (retryWaitMs) and what is left of it. */
  const budget = { left: opts.retryWaitMs ?? 0 };
  /** Waits until `at` if the budget allows it: 'time' when it came, 'woken' early, else why not. */
  const waitUntil = async (at: number): Promise<'time' | 'woken' | 'stopped' | 'over budget'> => {
    const ms = Math.max(0, at - now().getTime());
    if (ms > budget.left) return 'over budget';
    const t0 = performance.now();
    const why = await relay.sleep(ms, signal);
    budget.left = Math.max(0, budget.left - (performance.now() - t0));
    return why;
  };

  /** When nothing is claimable: finish Sends, settle leases of dead local senders, find the next wake-up. */
  const idle = async () => {
    const r = await idleScan(store, touched, owner, now);
    if (r.settled > 0) app.log(`settled ${r.settled} lease(s) of sending processes that are gone; resending those once with the same Message-ID`);
    return r;
  };

  /**
   * The relay is down: hold everything, pause the Sends in the ledger until the next probe (so other
   * senders and reruns see it), wait, probe with one connection; again, twice as long, until a
   * probe gets a session. Returns false if the run should end (stopped, or past its waiting budget).
   */
  const rideOutOutage = async (): Promise<boolean> => {
    for (let o = relay.current; o; o = relay.current) {
      for (const issueId of touched) await store.pauseSend(issueId, o.until, `SMTP relay unreachable: ${o.reason}`);
      const why = await waitUntil(o.until.getTime());
      if (why === 'stopped' || why === 'over budget') return false;
      if (relay.current !== o && why !== 'woken') continue; // another loop of this process probed meanwhile
      const failed = (await transport.probe?.()) ?? null;
      if (!failed) {
        relay.end();
        logEvent(app.log, 'info', { relayDownSince: o.since.toISOString() }, `SMTP relay reachable again (down since ${o.since.toISOString()}); resuming`);
        return true;
      }
      const next = relay.probeFailed(describeFailure(failed), now());
      app.log(`SMTP relay still unreachable: ${next.reason}; probing again at ${next.until.toISOString()}`);
    }
    return true;
  };

  // Render every language before the first claim: an MJML run blocks the event loop, and doing it
  // mid-send would stall the messages in flight (and, with claimed rows waiting, could outlast a
  // short lease). Every unfinished Send when no issueId is given (`sudi worker`). (Failures surface
  // per Delivery in deliver().)
  for (const issueId of touched) await Promise.all(LANGS.map((lang) => messages.factory(issueId, lang).catch(() => undefined)));

  const inflight = new Set<Promise<void>>();
  let failure: unknown = null;
  let nextRetryAt: Date | null = null;
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
  /** Claimed rows not yet handed over go back unsent (stopping, or the relay just went down). */
  const putBack = async () => {
    for (const d of queue.splice(0)) await release(d);
  };

  let lookedAgain = false;
  while (!signal.aborted && failure === null) {
    if (relay.current) {
      await putBack();
      await Promise.all(inflight);
      if (!(await rideOutOutage())) break;
      continue;
    }
    while (inflight.size >= maxInflight) await Promise.race(inflight);
    if (signal.aborted || failure !== null) break;
    if (queue.length === 0 && !relay.current) {
      // With a rate cap, claim no further ahead than the pacer lets messages out.
      const limit = rate > 0 ? Math.max(1, Math.min(claimBatch, Math.ceil(rate))) : claimBatch;
      queue.push(...(await store.claimDeliveries({ issueId: opts.issueId, owner, now: now(), leaseMs, limit })));
      if (queue.length > 0) lookedAgain = false;
    }
    if (queue.length === 0) {
      if (inflight.size > 0) {
        await Promise.race(inflight);
        continue;
      }
      const scan = await idle();
      if (scan.settled > 0) continue;
      if (scan.nextWake === null) break;
      // Due now, yet the claim found nothing (it came due in between, or another sender took it):
      // look once more at once, but never spin on it.
      const at = scan.nextWake <= now().getTime() && lookedAgain ? now().getTime() + RECHECK_MS : scan.nextWake;
      lookedAgain = scan.nextWake <= now().getTime();
      const why = await waitUntil(at);
      if (why === 'over budget') nextRetryAt = new Date(scan.nextWake);
      if (why === 'over budget' || why === 'stopped') break;
      continue;
    }
    while (queue.length > 0 && inflight.size < maxInflight && !relay.current) dispatch(queue.shift()!);
  }
  await putBack();
  await Promise.all(inflight);
  await progress?.stop().catch(() => {});
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what a delivery threw, as it was
  if (failure !== null) throw failure;
  return summarize();

  async function countResendsPending(issueId: string): Promise<number> {
    let n = 0;
    for (let after = 0; ; ) {
      const rows = await store.listDeliveries({ issueId, states: ['unknown'], afterSubscriberId: after, limit: 1000 });
      if (rows.length === 0) return n;
      n += rows.filter((r) => r.nextAttemptAt !== null).length;
      after = rows.at(-1)!.subscriberId;
    }
  }

  async function summarize(): Promise<DeliveryReport> {
    const counts = emptyCounts();
    const paused: PausedSend[] = [];
    let finished = true;
    let resendsPending = 0;
    const t = now();
    for (const issueId of touched) {
      const send = await store.finishSendIfDone(issueId, t);
      if (send && !send.finishedAt) finished = false;
      if (send && !send.finishedAt) resendsPending += await countResendsPending(issueId);
      if (send && !send.finishedAt && send.pausedUntil && send.pausedUntil > t) paused.push({ issueId, until: send.pausedUntil, reason: send.pauseReason });
      const c = await store.deliveryCounts(issueId);
      for (const s of DELIVERY_STATES) counts[s] += c[s];
    }
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
      resendsPending,
      paused,
      outage: finished ? null : relay.current,
    };
  }
}
