/**
 * One email address → its normalized form, the Subscriber's unique key.
 *
 * Rules (RFC 5321 limits, RFC 6531 for non-ASCII, a conservative character set):
 * - surrounding whitespace trimmed, Unicode in NFC (one address typed two ways is one Subscriber);
 *   whitespace, control, bidi and zero-width characters inside it refused;
 * - the part before `@`: at most 64 octets of UTF-8; dot-separated runs (no leading, trailing or
 *   double dot) of letters and digits of any script (RFC 6531: `用户`, `пользователь`) and
 *   `_ ' + -`. The other characters RFC 5322 allows there (`! # $ % & * / = ? ^ \` { | } ~`), quoted
 *   local parts, comments and IP literals are refused: no real mailbox needs them, and each is a
 *   way to smuggle something into a header or a page;
 * - the domain through IDNA (UTS #46, node:url `domainToASCII`) to its ASCII form (`例子.中国` →
 *   `xn--fsqu00a.xn--fiqs8s`), then the DNS limits that conversion does not check: at most 253
 *   characters, labels of 1–63 letters, digits and hyphens not starting or ending with a hyphen,
 *   at least two labels, and a top-level label that is letters or a punycode (`xn--`) label;
 * - at most 254 octets in all (RFC 5321's path limit less the angle brackets), counted encoded.
 *
 * The whole address is lowercased, not only the domain: RFC 5321 lets a local part be
 * case-sensitive, but no mailbox provider we know treats it so, and two rows for `Ann@x` and `ann@x`
 * would let one inbox be signed up (and mailed) twice, which is what the one-confirmation-per-24-h
 * rule exists to stop.
 */
import { domainToASCII } from 'node:url';
import { SudiError } from '../errors.ts';
import { describeCodePoint, findNotInUrl } from '../invisible-chars.ts';

export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_OCTETS = 64;
const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const EXAMPLE = 'expected an address like name@example.org';
const LOCAL_PART = /^[\p{L}\p{M}\p{N}_'+-]+(?:\.[\p{L}\p{M}\p{N}_'+-]+)*$/u;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const TOP_LABEL = /^(?:[a-z]{2,}|xn--[a-z0-9-]+)$/;

export type EmailCheck = { ok: true; email: string } | { ok: false; reason: string };

const octets = (s: string) => Buffer.byteLength(s, 'utf8');
const fail = (reason: string): EmailCheck => ({ ok: false, reason: `${reason} (${EXAMPLE})` });

/** Pure check, for callers that collect problems (CSV import) instead of stopping at the first. */
export function checkEmail(input: unknown): EmailCheck {
  if (typeof input !== 'string') return fail('is missing');
  const trimmed = input.trim().normalize('NFC');
  if (trimmed === '') return fail('is empty');
  // Refused, not cleaned: IDNA would silently drop some of these, and the address we store and
  // mail must be the one the person saw.
  const hidden = findNotInUrl(trimmed);
  if (hidden) return fail(`contains ${describeCodePoint(hidden.codePoint)}`);
  if (octets(trimmed) > MAX_EMAIL_LENGTH) return fail(`is longer than ${MAX_EMAIL_LENGTH} characters`);
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return fail('is not an email address');
  const local = trimmed.slice(0, at).toLowerCase();
  if (octets(local) > MAX_LOCAL_OCTETS) return fail(`has a part before @ longer than ${MAX_LOCAL_OCTETS} characters`);
  if (!LOCAL_PART.test(local)) return fail('is not an email address');
  const domain = checkDomain(trimmed.slice(at + 1));
  if (!domain.ok) return fail(domain.reason);
  const email = `${local}@${domain.ascii}`;
  if (octets(email) > MAX_EMAIL_LENGTH) return fail(`is longer than ${MAX_EMAIL_LENGTH} characters once its domain is encoded`);
  return { ok: true, email };
}

/** The domain's ASCII (punycode) form, or why it cannot be one. */
function checkDomain(domain: string): { ok: true; ascii: string } | { ok: false; reason: string } {
  // UTS #46 mapping lowercases and maps full-width dots; '' means it could not be converted
  // (forbidden characters, a bad punycode label). It does not enforce DNS lengths: we do.
  const ascii = domainToASCII(domain);
  if (ascii === '' || /[^a-z0-9.-]/.test(ascii)) return { ok: false, reason: 'has an invalid domain' };
  if (ascii.length > MAX_DOMAIN_LENGTH) return { ok: false, reason: `has a domain longer than ${MAX_DOMAIN_LENGTH} characters` };
  const labels = ascii.split('.');
  if (labels.length < 2) return { ok: false, reason: 'is not an email address' };
  const long = labels.find((l) => l.length > MAX_LABEL_LENGTH);
  if (long) return { ok: false, reason: `has a domain label of ${long.length} characters (at most ${MAX_LABEL_LENGTH} between dots)` };
  if (!labels.every((l) => LABEL.test(l))) return { ok: false, reason: 'has an invalid domain' };
  if (!TOP_LABEL.test(labels.at(-1) as string)) return { ok: false, reason: 'has an invalid top-level domain' };
  return { ok: true, ascii };
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
