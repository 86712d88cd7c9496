/**
 * The Subscriber's personal links: confirm (expires), unsubscribe and preferences (never expire).
 *
 * Unsubscribe and preference links are signed with a fixed issued-at (the epoch): they never
 * expire, so the time carries no meaning, and a fixed one makes each Subscriber's link stable:
 * the same in every issue, computable by any worker without a clock, byte-identical on a resend.
 */
import type { Config } from '../config.ts';
import { signToken, type SubscriberRef } from './tokens.ts';

const STABLE_ISSUED_AT = new Date(0);

const at = (config: Pick<Config, 'siteUrl'>, route: string, token: string) => new URL(`${route}/${token}`, config.siteUrl).href;

export function confirmUrl(config: Pick<Config, 'siteUrl'>, secret: string, subscriber: SubscriberRef, now: Date): string {
  return at(config, 'confirm', signToken(secret, 'confirm', subscriber, now));
}

export function unsubscribeUrl(config: Pick<Config, 'siteUrl'>, secret: string, subscriber: SubscriberRef): string {
  return at(config, 'unsubscribe', signToken(secret, 'unsubscribe', subscriber, STABLE_ISSUED_AT));
}

export function preferencesUrl(config: Pick<Config, 'siteUrl'>, secret: string, subscriber: SubscriberRef): string {
  return at(config, 'preferences', signToken(secret, 'preferences', subscriber, STABLE_ISSUED_AT));
}
