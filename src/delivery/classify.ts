/**
 * What an SMTP result means for a Delivery (DESIGN.md, Delivery). Pure functions, no I/O.
 *
 *   2xx                                   → accepted
 *   whole message sent, then no reply     → unknown: resent once with the same Message-ID, and an
 *     (connection lost / timeout)            unknown outcome of that resend is final (RFC 1047)
 *   4xx, connection lost or timeout       → deferred, retried with exponential backoff until the
 *     in a session, before the final dot     attempt or age cap, then failed
 *   no session: refused, DNS, timeout at  → outage: no attempt of this Delivery at all. The relay
 *     connect / greeting / TLS, EHLO or     fails every message alike, so the sender backs off once
 *     login refused (whatever the code)     per outage and probes it first (relay-outage.ts)
 *   4.7.x / 5.7.x in a session (policy,   → deferred and the whole Send pauses (doubling while it
 *     rate)                                 repeats); nobody is suppressed
 *   5.1.x for the recipient               → failed, and the Subscriber is suppressed (bounced)
 *   5.1.x for our sender (MAIL FROM)      → a problem of ours: deferred and the Send pauses
 *   other 5xx                             → failed
 */
import type { DeliveryState } from '../store/store.ts';
import type { SendResult } from './transport.ts';

export type Verdict =
  | { kind: 'accepted' }
  | { kind: 'unknown' }
  | { kind: 'outage' }
  | { kind: 'retry'; pause: 'policy' | null }
  | { kind: 'fail'; suppress: boolean };

export interface DeliveryPolicy {
  /** First retry delay; each further attempt doubles it, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts (handovers to SMTP) after which a still-deferred Delivery fails. */
  maxAttempts: number;
  /** Age of the Send after which a still-deferred Delivery fails. */
  maxAgeMs: number;
  /** Delay before an unknown outcome is resent (let a flaky server settle first). */
  unknownRetryMs: number;
  /** First pause of the whole Send after a 4.7.x/5.7.x reply; doubles on each further one. */
  policyPauseMs: number;
  maxPauseMs: number;
}

export const DEFAULT_POLICY: DeliveryPolicy = {
  baseDelayMs: 60_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 8,
  maxAgeMs: 3 * 24 * 3_600_000,
  unknownRetryMs: 60_000,
  policyPauseMs: 5 * 60_000,
  maxPauseMs: 3_600_000,
};

/** `5.1.1` from `550 5.1.1 <x>: Recipient address rejected` (or `550-5.1.1 …`), else null. */
export function enhancedStatus(response: string): string | null {
  return /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(response.trim())?.[1] ?? null;
}

const isSessionStage = (stage: string) => ['connect', 'EHLO', 'HELO', 'LHLO', 'STARTTLS'].includes(stage) || stage.startsWith('AUTH');

export function classify(r: SendResult): Verdict {
  if (r.accepted) return { kind: 'accepted' };
  if (r.maybeDelivered) return { kind: 'unknown' };
  const code = r.code;
  const enhanced = enhancedStatus(r.response);
  const policy = enhanced !== null && /^[45]\.7\./.test(enhanced);
  // No session at all (refused, greeting, TLS, EHLO, login): the relay fails every message alike.
  if (r.stage !== undefined && isSessionStage(r.stage)) return { kind: 'outage' };
  if (code === null || code < 500) return { kind: 'retry', pause: policy ? 'policy' : null };
  if (policy) return { kind: 'retry', pause: 'policy' };
  if (enhanced?.startsWith('5.1.')) {
    // 5.1.7/5.1.8 at MAIL FROM are about our own sender address, not this Subscriber.
    return r.stage === 'MAIL FROM' ? { kind: 'retry', pause: 'policy' } : { kind: 'fail', suppress: true };
  }
  return { kind: 'fail', suppress: false };
}

export interface Decision {
  state: Exclude<DeliveryState, 'queued' | 'sending'>;
  nextAttemptAt: Date | null;
  /** Suppress the Subscriber (status bounced). */
  suppress: boolean;
  /** Pause the whole Send for this long (ms). */
  pauseMs: number | null;
  /** Why, for the ledger's last_response when the SMTP reply alone does not say it. */
  note: string | null;
}

export interface DecisionInput {
  /** An outage is no attempt of the Delivery: the sender handles it before deciding anything. */
  verdict: Exclude<Verdict, { kind: 'outage' }>;
  /** The attempt that just ended (1 = first handover). */
  attempts: number;
  /** The row's state before this attempt was claimed; `unknown`/`sending` = this was the one resend. */
  previousState: DeliveryState;
  sendCreatedAt: Date;
  now: Date;
  /** Policy pauses already applied in this run for this Send (for the doubling). */
  pausesSoFar: number;
}

export function decide(input: DecisionInput, policy: DeliveryPolicy = DEFAULT_POLICY): Decision {
  const { verdict, attempts, now } = input;
  const base = { suppress: false, pauseMs: null, note: null };
  switch (verdict.kind) {
    case 'accepted':
      return { ...base, state: 'accepted', nextAttemptAt: null };
    case 'fail':
      return { ...base, state: 'failed', nextAttemptAt: null, suppress: verdict.suppress };
    case 'unknown': {
      const wasResend = input.previousState === 'unknown' || input.previousState === 'sending';
      return wasResend
        ? { ...base, state: 'unknown', nextAttemptAt: null, note: 'outcome unknown after the one resend; left as unknown' }
        : { ...base, state: 'unknown', nextAttemptAt: new Date(now.getTime() + policy.unknownRetryMs) };
    }
    case 'retry': {
      const pauseMs = verdict.pause === 'policy' ? Math.min(policy.policyPauseMs * 2 ** input.pausesSoFar, policy.maxPauseMs) : null;
      const backoff = Math.min(policy.baseDelayMs * 2 ** Math.max(0, attempts - 1), policy.maxDelayMs);
      const next = new Date(now.getTime() + Math.max(backoff, pauseMs ?? 0));
      if (attempts >= policy.maxAttempts) {
        return { ...base, state: 'failed', nextAttemptAt: null, pauseMs, note: `gave up after ${attempts} attempts` };
      }
      if (next.getTime() - input.sendCreatedAt.getTime() > policy.maxAgeMs) {
        return { ...base, state: 'failed', nextAttemptAt: null, pauseMs, note: `gave up: the Send is older than ${Math.round(policy.maxAgeMs / 3_600_000)} h` };
      }
      return { ...base, state: 'deferred', nextAttemptAt: next, pauseMs };
    }
  }
}
