/**
 * What a person can do to their subscription: subscribe, confirm, unsubscribe, change language.
 * I/O only through the Store and the Transport handed in; the clock is a parameter.
 *
 * Rules (DESIGN.md, Subscribers and the web):
 * - subscribe never reveals whether an address exists: every outcome looks the same to the caller's
 *   visitor, and an active Subscriber is left untouched (a stranger cannot change their language);
 * - at most one confirmation mail per address per 24 h: the slot is taken and the mail queued in one
 *   Store transaction (queueConfirmation) before the visitor is answered, so an acknowledged sign-up
 *   always gets its mail, across crashes and restarts; confirmation-sender.ts drains the queue;
 * - someone who left (unsubscribed) or whose mail bounced can come back: pending + a new
 *   confirmation. A complaint (they marked us as spam) is final for the web form; an operator can
 *   still add them with the CLI. Mailing a complainer because a form said so is how lists get blocked.
 */
import type { Config } from '../config.ts';
import { SudiError } from '../errors.ts';
import type { Lang } from '../model.ts';
import type { ConfirmationQueueStore, Subscriber, SubscriberStore } from '../store/store.ts';
import { newConfirmationMessageId } from './confirmation-mail.ts';
import { checkToken, parseToken, type TokenPurpose } from './tokens.ts';

export const CONFIRMATION_INTERVAL_MS = 24 * 3600 * 1000;

export interface SubscriptionDeps {
  store: SubscriberStore & ConfirmationQueueStore;
  config: Pick<Config, 'mailFrom'>;
  secret: string;
}

export type SubscribeOutcome = 'created' | 'resubscribed' | 'pending' | 'active' | 'suppressed';

export interface SubscribeResult {
  outcome: SubscribeOutcome;
  subscriber: Subscriber;
  /** A confirmation mail was queued (durably, in the Store); the caller wakes a sender. */
  queued: boolean;
}

/** `email` must already be normalized (normalize-email.ts). */
export async function subscribe(
  deps: SubscriptionDeps,
  input: {
    email: string;
    lang?: Lang;
    source: string;
    /** Consent was given elsewhere: active at once, no confirmation mail (CLI `--confirmed`). */
    confirmed?: boolean;
    /** The operator, not a visitor: may change an active Subscriber's language and re-add a complainer. */
    operator?: boolean;
  },
  now: Date,
): Promise<SubscribeResult> {
  const { store } = deps;
  let outcome: SubscribeOutcome;
  const messageId = newConfirmationMessageId(deps.config.mailFrom);
  let s = await store.findSubscriberByEmail(input.email);
  if (!s) {
    try {
      // A new sign-up: the pending Subscriber, its 24-hour slot and its mail in one transaction.
      s = await store.insertSubscriber({
        email: input.email,
        status: input.confirmed ? 'active' : 'pending',
        lang: input.lang ?? 'both',
        source: input.source,
        now,
        confirmation: input.confirmed ? undefined : { messageId },
      });
      return { outcome: 'created', subscriber: s, queued: !input.confirmed };
    } catch (e) {
      // Two sign-ups for one new address at once: the other one inserted it; carry on as a repeat.
      if (!(e instanceof SudiError && e.code === 'E_CONFLICT')) throw e;
      s = await store.findSubscriberByEmail(input.email);
      if (!s) throw e;
      outcome = 'pending';
    }
  } else if (s.status === 'active') {
    if (input.operator && input.lang && input.lang !== s.lang) s = (await store.updateSubscriber(s.id, { lang: input.lang }, now)) ?? s;
    return { outcome: 'active', subscriber: s, queued: false };
  } else if (s.status === 'complained' && !input.operator) {
    return { outcome: 'suppressed', subscriber: s, queued: false };
  } else if (s.status === 'pending') {
    outcome = 'pending';
    if (input.lang && input.lang !== s.lang) s = (await store.updateSubscriber(s.id, { lang: input.lang }, now)) ?? s;
  } else {
    // unsubscribed or bounced (or complained, re-added by the operator): welcome back, through a fresh confirmation.
    outcome = 'resubscribed';
    s = (await store.setSubscriberStatus(s.id, 'pending', now)) ?? s;
    s = (await store.updateSubscriber(s.id, { lang: input.lang ?? s.lang, source: input.source }, now)) ?? s;
  }
  if (input.confirmed) {
    // Consent given elsewhere (operator's word): no confirmation mail.
    if (s.status !== 'active') s = (await store.setSubscriberStatus(s.id, 'active', now)) ?? s;
    return { outcome, subscriber: s, queued: false };
  }
  // A known address (pending, or back after leaving): the slot and the mail in one transaction. A
  // crash between a status change above and this answers nobody: the visitor's retry finds the
  // pending Subscriber with its slot still free and queues the mail then.
  const queued = await store.queueConfirmation(s.id, { now, notBefore: new Date(now.getTime() - CONFIRMATION_INTERVAL_MS), messageId });
  return { outcome, subscriber: s, queued };
}

export type TokenFailure = 'malformed' | 'forged' | 'expired';
export type Resolved = { ok: true; subscriber: Subscriber } | { ok: false; reason: TokenFailure };

/** Token → its Subscriber, or why not. An unknown subscriber id reads as forged: ids are not secrets to confirm. */
export async function resolveToken(deps: Pick<SubscriptionDeps, 'store' | 'secret'>, purpose: TokenPurpose, token: string, now: Date): Promise<Resolved> {
  const parsed = parseToken(token);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const s = await deps.store.getSubscriber(parsed.subscriberId);
  if (!s) return { ok: false, reason: 'forged' };
  const check = checkToken(deps.secret, purpose, parsed, s.email, now);
  return check === 'ok' ? { ok: true, subscriber: s } : { ok: false, reason: check };
}

export type ChangeResult<F = TokenFailure> = { ok: true; subscriber: Subscriber; changed: boolean } | { ok: false; reason: F };

/**
 * pending → active. Idempotent: confirming an active Subscriber changes nothing and succeeds.
 * Someone who has since left (or bounced, or complained) is not re-activated by an old link.
 */
export async function confirm(deps: Pick<SubscriptionDeps, 'store' | 'secret'>, token: string, now: Date): Promise<ChangeResult<TokenFailure | 'not-pending'>> {
  const r = await resolveToken(deps, 'confirm', token, now);
  if (!r.ok) return r;
  const s = r.subscriber;
  if (s.status === 'active') return { ok: true, subscriber: s, changed: false };
  if (s.status !== 'pending') return { ok: false, reason: 'not-pending' };
  const updated = (await deps.store.setSubscriberStatus(s.id, 'active', now)) ?? s;
  return { ok: true, subscriber: updated, changed: true };
}

/**
 * → unsubscribed, at once. Idempotent. A bounced or complained Subscriber keeps that status (it is
 * the stronger suppression) and the answer is still "you are unsubscribed".
 */
export async function unsubscribe(
  deps: Pick<SubscriptionDeps, 'store' | 'secret'>,
  token: string,
  now: Date,
): Promise<ChangeResult> {
  const r = await resolveToken(deps, 'unsubscribe', token, now);
  if (!r.ok) return r;
  const s = r.subscriber;
  if (s.status !== 'active' && s.status !== 'pending') return { ok: true, subscriber: s, changed: false };
  const updated = (await deps.store.setSubscriberStatus(s.id, 'unsubscribed', now)) ?? s;
  return { ok: true, subscriber: updated, changed: true };
}

export async function setLanguage(
  deps: Pick<SubscriptionDeps, 'store' | 'secret'>,
  token: string,
  lang: Lang,
  now: Date,
): Promise<ChangeResult> {
  const r = await resolveToken(deps, 'preferences', token, now);
  if (!r.ok) return r;
  if (r.subscriber.lang === lang) return { ok: true, subscriber: r.subscriber, changed: false };
  const updated = (await deps.store.updateSubscriber(r.subscriber.id, { lang }, now)) ?? r.subscriber;
  return { ok: true, subscriber: updated, changed: true };
}
