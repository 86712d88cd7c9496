/**
 * Signed return addresses: the way back from a bounce or a mailto unsubscribe to what caused it.
 *
 * - VERP envelope sender, one per Delivery: `bounces+<issue>.<subscriber id>.<mac>@BOUNCE_DOMAIN`.
 *   The receiving side sends its DSN to the envelope sender, so the address it was sent to names
 *   the Delivery even when the bounce itself is unreadable.
 * - mailto unsubscribe, one per Subscriber: `unsubscribe+<subscriber id>.<mac>@BOUNCE_DOMAIN`; the
 *   MAC covers the email too, so it dies with the address it was made for (as link tokens do).
 *
 * MACs are HMAC-SHA256 under SECRET, cut to 20 lowercase hex digits (80 bits): mail systems may
 * change the case of local parts, and 80 bits cannot be guessed through a mail server. Comparison
 * is constant-time. Everything here is pure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const BOUNCE_LOCAL = 'bounces';
export const UNSUBSCRIBE_LOCAL = 'unsubscribe';

const MAC_HEX = 20;
const ISSUE = '\\d{4}-\\d{2}-\\d{2}';
const VERP_TOKEN = new RegExp(`^(${ISSUE})\\.([1-9]\\d{0,15})\\.([0-9a-f]{${MAC_HEX}})$`);
const UNSUB_TOKEN = new RegExp(`^([1-9]\\d{0,15})\\.([0-9a-f]{${MAC_HEX}})$`);

function mac(secret: string, ...fields: (string | number)[]): string {
  // NUL separators: no field can contain one, so fields cannot run together.
  return createHmac('sha256', secret).update(fields.join('\0')).digest('hex').slice(0, MAC_HEX);
}

function same(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export function verpToken(secret: string, issueId: string, subscriberId: number): string {
  return `${issueId}.${subscriberId}.${mac(secret, 'sudi-verp-v1', issueId, subscriberId)}`;
}

export function verpAddress(secret: string, bounceDomain: string, issueId: string, subscriberId: number): string {
  return `${BOUNCE_LOCAL}+${verpToken(secret, issueId, subscriberId)}@${bounceDomain}`;
}

export function unsubscribeMac(secret: string, subscriberId: number, email: string): string {
  return mac(secret, 'sudi-mailto-unsubscribe-v1', subscriberId, email);
}

export function unsubscribeAddress(secret: string, bounceDomain: string, subscriber: { id: number; email: string }): string {
  return `${UNSUBSCRIBE_LOCAL}+${subscriber.id}.${unsubscribeMac(secret, subscriber.id, subscriber.email)}@${bounceDomain}`;
}

/** What an address of ours says, before any check: a VERP Delivery, a mailto unsubscribe, or nothing of ours. */
export type ReturnAddress =
  | { kind: 'verp'; issueId: string; subscriberId: number; mac: string; address: string }
  | { kind: 'unsubscribe'; subscriberId: number; mac: string; address: string }
  | { kind: 'unsigned'; address: string; why: string };

/**
 * Reads one of our return addresses (any case). `null`: not an address at BOUNCE_DOMAIN with one of
 * our local parts at all. `unsigned`: ours in shape but with no readable token; callers log it.
 */
export function readReturnAddress(address: string, bounceDomain: string): ReturnAddress | null {
  const a = address.trim().replace(/^<|>$/g, '').toLowerCase();
  const at = a.lastIndexOf('@');
  if (at < 0 || a.slice(at + 1) !== bounceDomain.toLowerCase()) return null;
  const local = a.slice(0, at);
  const plus = local.indexOf('+');
  const base = plus < 0 ? local : local.slice(0, plus);
  const token = plus < 0 ? '' : local.slice(plus + 1);
  if (base === BOUNCE_LOCAL) {
    const m = VERP_TOKEN.exec(token);
    if (!m) return { kind: 'unsigned', address: a, why: 'no Delivery token after bounces+' };
    return { kind: 'verp', issueId: m[1]!, subscriberId: Number(m[2]), mac: m[3]!, address: a };
  }
  if (base === UNSUBSCRIBE_LOCAL) {
    const m = UNSUB_TOKEN.exec(token);
    if (!m) return { kind: 'unsigned', address: a, why: 'no Subscriber token after unsubscribe+' };
    return { kind: 'unsubscribe', subscriberId: Number(m[1]), mac: m[2]!, address: a };
  }
  return null;
}

export function checkVerp(secret: string, r: { issueId: string; subscriberId: number; mac: string }): boolean {
  return same(r.mac, mac(secret, 'sudi-verp-v1', r.issueId, r.subscriberId));
}

export function checkUnsubscribe(secret: string, r: { subscriberId: number; mac: string }, email: string): boolean {
  return same(r.mac, unsubscribeMac(secret, r.subscriberId, email));
}

/**
 * Every address of ours that appears in a message's text (envelope recipients, To, Delivered-To,
 * the returned copy's Return-Path …), in order of appearance, deduplicated. Yahoo's own VERP form
 * `bounces+TOKEN=domain@…` is read as `bounces+TOKEN@domain`.
 */
export function findReturnAddresses(text: string, bounceDomain: string): ReturnAddress[] {
  const d = bounceDomain.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`\\b((?:${BOUNCE_LOCAL}|${UNSUBSCRIBE_LOCAL})\\+[0-9a-z.-]+)(?:@|=)${d}\\b`, 'gi');
  const seen = new Set<string>();
  const out: ReturnAddress[] = [];
  for (const m of text.matchAll(re)) {
    const r = readReturnAddress(`${m[1]}@${bounceDomain}`, bounceDomain);
    if (r && !seen.has(r.address)) {
      seen.add(r.address);
      out.push(r);
    }
  }
  return out;
}
