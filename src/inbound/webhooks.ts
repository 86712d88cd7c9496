/**
 * Sending services' webhooks → the same inbound events as mail. Pure: checking a signature and
 * mapping a payload need no I/O.
 *
 * - Mailgun (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks):
 *   `signature.signature` = hex HMAC-SHA256 of `timestamp + token` under the webhook signing key;
 *   events `failed` (severity permanent → hard, temporary → soft), `complained`, `unsubscribed`.
 *   Timestamps older than WEBHOOK_MAX_AGE_MS are refused (a captured request cannot be replayed
 *   later; within the window the event id makes a replay change nothing).
 * - Postmark (https://postmarkapp.com/developer/webhooks/bounce-webhook, spam-complaint-webhook):
 *   no signature; protected by HTTP basic auth or a `?token=` the operator puts in the webhook
 *   URL (checked by the route). RecordType `Bounce` (Type HardBounce, BadEmailAddress … → hard;
 *   SoftBounce, Transient, DnsError … → soft; AutoResponder → auto-reply), `SpamComplaint`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { InboundEventKind } from '../store/inbound-store.ts';
import { statusFromText } from './non-standard.ts';

export const WEBHOOK_MAX_AGE_MS = 15 * 60 * 1000;

export interface WebhookEvent {
  /** `mailgun:<event id>` / `postmark:<ID>`: the same event delivered twice is one. */
  fingerprint: string;
  kind: Exclude<InboundEventKind, 'ignored'>;
  status: string | null;
  diagnostic: string | null;
  /** The recipient the service names. */
  email: string;
  /** Our Message-ID with angle brackets, when the service passes it back. */
  messageId: string | null;
}

/** `status` 401: not from the service (signature, token, timestamp); 400: not the service's payload. */
export type WebhookRead = { ok: true; event: WebhookEvent | null; why?: string } | { ok: false; status: 400 | 401; error: string };

export function constantTimeEqual(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const bracketed = (id: string | null) => (id ? (id.startsWith('<') ? id : `<${id}>`) : null);

export function readMailgun(body: unknown, signingKey: string, now: Date): WebhookRead {
  const sig = obj(obj(body).signature);
  const [timestamp, token, signature] = [str(sig.timestamp), str(sig.token), str(sig.signature)];
  if (!timestamp || !token || !signature) return { ok: false, status: 401, error: 'missing signature.timestamp, signature.token or signature.signature' };
  const expected = createHmac('sha256', signingKey).update(timestamp + token).digest('hex');
  if (!constantTimeEqual(signature.toLowerCase(), expected)) return { ok: false, status: 401, error: 'signature does not match the signing key' };
  if (Math.abs(now.getTime() - Number(timestamp) * 1000) > WEBHOOK_MAX_AGE_MS) return { ok: false, status: 401, error: `timestamp ${timestamp} is more than 15 minutes away` };

  const data = obj(obj(body)['event-data']);
  const [event, id, email] = [str(data.event), str(data.id), str(data.recipient)];
  if (!event || !id || !email) return { ok: false, status: 400, error: 'event-data needs event, id and recipient' };
  const ds = obj(data['delivery-status']);
  const messageId = bracketed(str(obj(obj(data.message).headers)['message-id']));
  const diagnostic = str(ds.description) ?? str(ds.message);
  const code = str(ds.code);
  const base = { fingerprint: `mailgun:${id}`, email, messageId, diagnostic: [code, diagnostic].filter(Boolean).join(' ') || null };
  if (event === 'failed') {
    const permanent = str(data.severity) === 'permanent';
    const status = str(ds['enhanced-code']) ?? statusFromText(`${code ?? ''} ${diagnostic ?? ''}`) ?? (permanent ? '5.0.0' : '4.0.0');
    return { ok: true, event: { ...base, kind: permanent ? 'hard_bounce' : 'soft_bounce', status } };
  }
  if (event === 'complained') return { ok: true, event: { ...base, kind: 'complaint', status: null } };
  if (event === 'unsubscribed') return { ok: true, event: { ...base, kind: 'unsubscribe', status: null } };
  return { ok: true, event: null, why: `event ${event} is not a bounce, complaint or unsubscribe` };
}

const POSTMARK_HARD = new Set(['HardBounce', 'BadEmailAddress']);
const POSTMARK_SOFT = new Set(['SoftBounce', 'Transient', 'DnsError', 'MailFrontier', 'ChallengeVerification', 'AddressChange']);

export function readPostmark(body: unknown): WebhookRead {
  const b = obj(body);
  const [record, id, email, type] = [str(b.RecordType), str(b.ID), str(b.Email), str(b.Type)];
  if (!record || !id || !email) return { ok: false, status: 400, error: 'expected RecordType, ID and Email' };
  const diagnostic = str(b.Details) ?? str(b.Description);
  const base = { fingerprint: `postmark:${record}:${id}`, email, messageId: null, diagnostic };
  if (record === 'SpamComplaint') return { ok: true, event: { ...base, kind: 'complaint', status: null } };
  if (record !== 'Bounce' || !type) return { ok: true, event: null, why: `record type ${record} is not a bounce or spam complaint` };
  if (type === 'AutoResponder') return { ok: true, event: { ...base, kind: 'autoreply', status: null } };
  if (POSTMARK_HARD.has(type)) return { ok: true, event: { ...base, kind: 'hard_bounce', status: statusFromText(diagnostic ?? '') ?? '5.0.0' } };
  if (POSTMARK_SOFT.has(type)) return { ok: true, event: { ...base, kind: 'soft_bounce', status: statusFromText(diagnostic ?? '') ?? '4.0.0' } };
  return { ok: true, event: null, why: `bounce type ${type} changes nothing` };
}
