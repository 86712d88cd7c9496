/**
 * Drains the confirmation queue (ConfirmationQueueStore): claims due mails, sends each through the
 * Transport (the SMTP pool or the outbox), and records how it ended.
 *
 *   accepted (250)                       → done: the row goes, the 24-hour slot stays
 *   Subscriber gone or no longer pending → done, nothing sent (they confirmed, left or were removed)
 *   4xx, connection errors, timeouts,    → retry: 30 s, doubling to 15 min, until 24 h after queueing
 *   no reply after the whole message       (a resend is the same mail: same link, same Message-ID)
 *   5xx, or still failing after 24 h     → given up: the row goes and the slot is released, so the
 *                                          person's next sign-up gets a fresh mail at once
 *
 * `sudi serve` runs one loop (startConfirmationSender) for as long as it serves: at start it sends
 * what an earlier process left queued, a sign-up wakes it, and between mails it waits on a timer
 * for the next retry, not by polling. A mail leased by a process on this host that died (kill -9)
 * is taken over at once; elsewhere its lease expires after LEASE_MS. The CLI sends what it queued
 * with one pass (sendDueConfirmations).
 */
import type { Config } from '../config.ts';
import { classify } from '../delivery/classify.ts';
import { isDeadLocalOwner, newOwnerId } from '../delivery/lease-owner.ts';
import type { Transport } from '../delivery/transport.ts';
import type { ConfirmationOutcome, QueuedConfirmation, Store } from '../store/store.ts';
import type { MjmlCompile } from '../render/mjml-elsewhere.ts';
import { logEvent, type LineLog } from '../log.ts';
import { composeConfirmation } from './confirmation-mail.ts';
import { confirmUrl } from './links.ts';
import { CONFIRMATION_INTERVAL_MS } from './subscriptions.ts';

export const RETRY_BASE_MS = 30_000;
export const RETRY_MAX_MS = 15 * 60_000;
/** Longer than any SMTP transaction's timeouts, so a live sender's lease never expires under it. */
export const LEASE_MS = 10 * 60_000;
/** The longest the loop sleeps without looking (mail queued by another process on a shared Store). */
const MAX_IDLE_MS = 60_000;

export interface ConfirmationSenderDeps {
  store: Store;
  transport: Transport;
  config: Pick<Config, 'siteUrl' | 'siteTitle' | 'templatesDir' | 'mailFrom' | 'sendConcurrency'>;
  secret: string;
  now: () => Date;
  log: LineLog;
  /** Where MJML runs; the server passes a child process so its event loop never waits for it. */
  compile?: MjmlCompile;
}

export interface ConfirmationAttempt {
  subscriberId: number;
  email: string | null;
  outcome: ConfirmationOutcome['kind'];
  /** The server's reply or the error, for logs. */
  response: string;
}

/** The outcome of one attempt (pure). */
export function confirmationOutcome(
  q: Pick<QueuedConfirmation, 'attempts' | 'issuedAt'>,
  result: Parameters<typeof classify>[0],
  now: Date,
): ConfirmationOutcome {
  const verdict = classify(result);
  if (verdict.kind === 'accepted') return { kind: 'done' };
  const error = result.response.slice(0, 500);
  if (verdict.kind === 'fail') return { kind: 'given-up', error };
  const nextAttemptAt = new Date(now.getTime() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** q.attempts));
  if (nextAttemptAt.getTime() - q.issuedAt.getTime() > CONFIRMATION_INTERVAL_MS) return { kind: 'given-up', error: `still failing after 24 h: ${error}` };
  return { kind: 'retry', nextAttemptAt, error };
}

async function attempt(deps: ConfirmationSenderDeps, owner: string, q: QueuedConfirmation): Promise<ConfirmationAttempt> {
  const s = await deps.store.getSubscriber(q.subscriberId);
  if (!s || s.status !== 'pending') {
    await deps.store.settleConfirmation(q.subscriberId, owner, { kind: 'done' });
    return { subscriberId: q.subscriberId, email: s?.email ?? null, outcome: 'done', response: `not sent: the Subscriber is ${s ? s.status : 'gone'}` };
  }
  let outcome: ConfirmationOutcome;
  let response: string;
  try {
    const link = confirmUrl(deps.config, deps.secret, s, q.issuedAt);
    const msg = await composeConfirmation(deps.config, { email: s.email, confirmUrl: link, messageId: q.messageId, now: deps.now() }, deps.compile);
    const result = await deps.transport.send(msg);
    response = result.response;
    outcome = confirmationOutcome(q, result, deps.now());
  } catch (e) {
    // A template that fails to render, say: keep the mail queued and retry; the operator sees the log.
    response = e instanceof Error ? e.message : String(e);
    outcome = confirmationOutcome(q, { accepted: false, code: null, response }, deps.now());
  }
  await deps.store.settleConfirmation(q.subscriberId, owner, outcome);
  return { subscriberId: q.subscriberId, email: s.email, outcome: outcome.kind, response: outcome.kind === 'done' ? response : outcome.error };
}

/** Senders on this host that hold leases and no longer exist (killed): their mail is taken over now. */
async function deadOwners(deps: ConfirmationSenderDeps, owner: string): Promise<string[]> {
  return (await deps.store.confirmationLeaseOwners(deps.now())).filter((o) => isDeadLocalOwner(o, owner));
}

/** Claims up to `limit` due mails and sends them, in parallel; [] when none is due. */
export async function sendDueConfirmations(deps: ConfirmationSenderDeps, owner: string, limit: number): Promise<ConfirmationAttempt[]> {
  const claimed = await deps.store.claimConfirmations({
    owner,
    now: deps.now(),
    leaseMs: LEASE_MS,
    limit,
    takeOverFrom: await deadOwners(deps, owner),
  });
  return Promise.all(claimed.map((q) => attempt(deps, owner, q)));
}

export interface ConfirmationSender {
  /** A mail was queued: look now. */
  wake(): void;
  /** Resolves once nothing is in flight and nothing is due (tests wait on it). */
  idle(): Promise<void>;
  /** Stops claiming and waits for the mails in flight; what is still queued waits for the next start. */
  stop(): Promise<void>;
}

export function startConfirmationSender(deps: ConfirmationSenderDeps): ConfirmationSender {
  const owner = newOwnerId();
  const limit = Math.max(1, deps.config.sendConcurrency);
  let stopped = false;
  let woken = false;
  let wakeUp: (() => void) | null = null;
  const idleWaiters: (() => void)[] = [];

  const wake = () => {
    woken = true;
    wakeUp?.();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });

  const loop = (async () => {
    while (!stopped) {
      woken = false;
      let sent: ConfirmationAttempt[];
      try {
        sent = await sendDueConfirmations(deps, owner, limit);
      } catch (e) {
        logEvent(deps.log, 'error', { err: e }, `confirmation mail: ${e instanceof Error ? e.message : String(e)}; trying again in ${RETRY_BASE_MS / 1000} s`);
        await sleep(RETRY_BASE_MS);
        continue;
      }
      for (const a of sent) {
        // The relay's response may quote the address: warn level only, where operators may see it.
        if (a.outcome === 'retry') logEvent(deps.log, 'warn', { subscriberId: a.subscriberId, outcome: a.outcome, response: a.response }, `confirmation mail to subscriber ${a.subscriberId} deferred (will retry): ${a.response}`);
        if (a.outcome === 'given-up') logEvent(deps.log, 'error', { subscriberId: a.subscriberId, outcome: a.outcome, response: a.response }, `confirmation mail to subscriber ${a.subscriberId} given up: ${a.response}`);
        // Success is news for a service's log only; plain line sinks (CLI, tests) stay quiet about it.
        if (a.outcome === 'done') deps.log.logger?.info({ subscriberId: a.subscriberId, outcome: a.outcome }, `confirmation mail to subscriber ${a.subscriberId}: ${a.response.startsWith('not sent') ? a.response : 'sent'}`);
      }
      if (sent.length > 0 || woken || stopped) continue;
      for (const resolve of idleWaiters.splice(0)) resolve();
      let next: Date | null = null;
      try {
        next = await deps.store.nextConfirmationDue();
      } catch {
        // The Store is briefly unreachable: look again after the longest sleep.
      }
      if (woken || stopped) continue;
      const wait = next === null ? MAX_IDLE_MS : Math.min(MAX_IDLE_MS, Math.max(0, next.getTime() - deps.now().getTime()) + 5);
      await sleep(wait);
    }
    for (const resolve of idleWaiters.splice(0)) resolve();
  })();

  return {
    wake,
    idle() {
      if (stopped) return loop;
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wake();
      });
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await loop;
    },
  };
}

/**
 * One pass for the CLI (`subscribers add`, `import`): sends every mail due now, in batches of
 * SEND_CONCURRENCY, and returns how each ended. Mail that must be retried stays queued for
 * `sudi serve`, whose sender retries it.
 */
export async function sendQueuedNow(deps: ConfirmationSenderDeps): Promise<ConfirmationAttempt[]> {
  const owner = newOwnerId();
  const all: ConfirmationAttempt[] = [];
  for (;;) {
    const batch = await sendDueConfirmations(deps, owner, Math.max(1, deps.config.sendConcurrency));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}
