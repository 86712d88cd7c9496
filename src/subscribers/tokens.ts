/**
 * Purpose-bound link tokens: `<subscriber id>.<issued-at, base36 ms>.<HMAC-SHA256, base64url>`.
 *
 * The MAC covers (purpose, subscriber id, email, issued-at) under SECRET, so a confirm token never
 * unsubscribes and vice versa, a token dies with the address it was made for (a row deleted and
 * re-created under another id, or another email, does not match), and nothing but the MAC needs to
 * be stored. Comparison is constant-time (crypto.timingSafeEqual).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences';

/** How long a token stays valid; null = forever (an unsubscribe link in a years-old mail must work). */
export const TOKEN_LIFETIME_MS: Record<TokenPurpose, number | null> = {
  confirm: 7 * 24 * 3600 * 1000,
  unsubscribe: null,
  preferences: null,
};

/** What a token is made for: the Subscriber's id and email (a Subscriber or a claimed Delivery). */
export type SubscriberRef = { email: string } & ({ id: number } | { subscriberId: number });

export const refId = (s: SubscriberRef): number => ('id' in s ? s.id : s.subscriberId);

const TOKEN_SHAPE = /^([1-9]\d{0,15})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/;

export interface ParsedToken {
  subscriberId: number;
  issuedAt: Date;
  mac: Buffer;
}

function mac(secret: string, purpose: TokenPurpose, id: number, email: string, issuedAtMs: number): Buffer {
  // NUL separators: no field can contain one (emails are validated), so fields cannot run together.
  return createHmac('sha256', secret).update(`sudi-token-v1\0${purpose}\0${id}\0${email}\0${issuedAtMs}`).digest();
}

export function signToken(secret: string, purpose: TokenPurpose, subscriber: SubscriberRef, issuedAt: Date): string {
  const id = refId(subscriber);
  const iat = issuedAt.getTime();
  return `${id}.${iat.toString(36)}.${mac(secret, purpose, id, subscriber.email, iat).toString('base64url')}`;
}

/** Pure syntax check; null for anything that is not shaped like one of our tokens. */
export function parseToken(token: string): ParsedToken | null {
  const m = TOKEN_SHAPE.exec(token);
  if (!m) return null;
  const subscriberId = Number(m[1]);
  const iat = parseInt(m[2]!, 36);
  if (!Number.isSafeInteger(subscriberId) || !Number.isSafeInteger(iat)) return null;
  const mac = Buffer.from(m[3]!, 'base64url');
  // 43 base64url characters carry 258 bits for a 256-bit MAC: the decoder ignores the last two,
  // so four spellings would decode alike. Only the canonical one is a token.
  if (mac.toString('base64url') !== m[3]) return null;
  return { subscriberId, issuedAt: new Date(iat), mac };
}

export type TokenCheck = 'ok' | 'forged' | 'expired';

/** Checks a parsed token against the Subscriber it names (looked up by the caller). */
export function checkToken(secret: string, purpose: TokenPurpose, parsed: ParsedToken, email: string, now: Date): TokenCheck {
  const expected = mac(secret, purpose, parsed.subscriberId, email, parsed.issuedAt.getTime());
  if (parsed.mac.length !== expected.length || !timingSafeEqual(parsed.mac, expected)) return 'forged';
  const lifetime = TOKEN_LIFETIME_MS[purpose];
  if (lifetime !== null && now.getTime() - parsed.issuedAt.getTime() > lifetime) return 'expired';
  return 'ok';
}
