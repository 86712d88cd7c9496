/**
 * One email address → its normalized form, the Subscriber's unique key.
 *
 * Rules: surrounding whitespace trimmed; at most 254 characters (RFC 5321's path limit less the
 * angle brackets) and 64 in the local part; an internationalized domain becomes its ASCII
 * (punycode) form; then zod's email check (a conservative, well-tested rule that refuses quoted
 * local parts, comments, IP literals, control characters and whitespace). The whole address is
 * lowercased, not only the domain: RFC 5321 lets a local part be case-sensitive, but no mailbox
 * provider we know treats it so, and two rows for `Ann@x` and `ann@x` would let one inbox be
 * signed up (and mailed) twice, which is what the one-confirmation-per-24-h rule exists to stop.
 */
import { domainToASCII } from 'node:url';
import { z } from 'zod';
import { SudiError } from '../errors.ts';

export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
const EXAMPLE = 'expected an address like name@example.org';
const emailSchema = z.email();

export type EmailCheck = { ok: true; email: string } | { ok: false; reason: string };

/** Pure check, for callers that collect problems (CSV import) instead of stopping at the first. */
export function checkEmail(input: unknown): EmailCheck {
  if (typeof input !== 'string') return { ok: false, reason: `is missing (${EXAMPLE})` };
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: `is empty (${EXAMPLE})` };
  if (trimmed.length > MAX_EMAIL_LENGTH) return { ok: false, reason: `is longer than ${MAX_EMAIL_LENGTH} characters (${EXAMPLE})` };
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return { ok: false, reason: `is not an email address (${EXAMPLE})` };
  const local = trimmed.slice(0, at);
  if (local.length > MAX_LOCAL_LENGTH) return { ok: false, reason: `has a part before @ longer than ${MAX_LOCAL_LENGTH} characters (${EXAMPLE})` };
  // domainToASCII returns '' for a domain it cannot convert (bad characters, empty labels).
  const domain = domainToASCII(trimmed.slice(at + 1).toLowerCase());
  if (domain === '') return { ok: false, reason: `has an invalid domain (${EXAMPLE})` };
  const email = `${local}@${domain}`.toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH) return { ok: false, reason: `is longer than ${MAX_EMAIL_LENGTH} characters once its domain is encoded (${EXAMPLE})` };
  if (!emailSchema.safeParse(email).success) return { ok: false, reason: `is not an email address (${EXAMPLE})` };
  return { ok: true, email };
}

/** Throwing form: a SudiError (exit code 2) that quotes a bounded, printable slice of the input. */
export function normalizeEmail(input: unknown): string {
  const r = checkEmail(input);
  if (r.ok) return r.email;
  throw new SudiError('E_USAGE', `email ${quote(input)} ${r.reason}`);
}

function quote(input: unknown): string {
  if (typeof input !== 'string') return String(input);
  const s = input.length > 80 ? `${input.slice(0, 80)}…` : input;
  return JSON.stringify(s);
}
