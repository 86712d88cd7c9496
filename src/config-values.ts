/**
 * Strict checks for the settings that end up in a mail header, an address or a URL (MAIL_FROM,
 * LIST_ID, SITE_TITLE, SITE_URL, SMTP_URL, DKIM_* …): pure functions, value → null when valid or
 * "expected …" saying what a valid value looks like. A CR or LF in any of them would add a forged
 * line to every message's header, so C0 control characters are refused everywhere, before any
 * parser (the WHATWG URL parser, for one, silently drops tabs and newlines).
 *
 * Also how a bad value is shown in the start-up error: never a secret (SECRET, ADMIN_TOKEN, TRANSLATE_API_KEY), and
 * URLs (SMTP_URL, DATABASE_URL, INBOUND_IMAP_URL) without their password.
 */
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { isTimeZone } from './time.ts';

const CONTROL = /[\u0000-\u001f\u007f]/;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const DOT_ATOM = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);
const LIST_ID_VALUE = new RegExp(`^${ATOM}(?:\\.${ATOM})+$`);

export type Check = (value: string) => string | null;

const withoutControls =
  (check: Check | null, expected: string): Check =>
  (v) =>
    CONTROL.test(v) ? `contains a control character such as a line break (expected ${expected} on one line)` : (check?.(v) ?? null);

/** Plain text that appears in a header (SITE_TITLE is in the confirmation mail's Subject). */
export const headerText = (maxLength: number): Check =>
  withoutControls((v) => (v.length > maxLength ? `is longer than ${maxLength} characters (expected a short name)` : null), 'text');

function address(v: string): boolean {
  const at = v.lastIndexOf('@');
  return at > 0 && at <= 64 && DOT_ATOM.test(v.slice(0, at)) && HOSTNAME.test(v.slice(at + 1));
}

export const mailFrom: Check = withoutControls((v) => {
  const expected = '(expected one address such as "Sudi <digest@news.example.org>" or digest@news.example.org)';
  const parsed = addressparser(v, { flatten: true }) as { name?: string; address?: string }[];
  if (parsed.length !== 1 || !parsed[0]!.address) return `is not one email address ${expected}`;
  if (!address(parsed[0]!.address)) return `has an invalid address ${JSON.stringify(parsed[0]!.address)} ${expected}`;
  return null;
}, 'an address');

export const listId: Check = withoutControls((v) => {
  const m = /^(?:(.*?)\s*)?<([^<>]*)>$/.exec(v.trim());
  const id = m ? m[2]! : v.trim();
  if (/[<>]/.test(m ? m[1]! : id) || !LIST_ID_VALUE.test(id)) {
    return 'is not a list identifier (expected a name and a dotted id in angle brackets, such as "Sudi weekly <weekly.news.example.org>")';
  }
  return null;
}, 'a list identifier');

export const hostname: Check = withoutControls(
  (v) => (HOSTNAME.test(v) && v.includes('.') ? null : 'is not a domain name (expected e.g. news.example.org)'),
  'a domain name',
);

export const dkimSelector: Check = withoutControls(
  (v) => (new RegExp(`^${LABEL}(?:\\.${LABEL})*$`).test(v) ? null : 'is not a DKIM selector (expected letters, digits and hyphens, e.g. sudi2024)'),
  'a selector',
);

export const listenHost: Check = withoutControls(
  (v) => (/^[A-Za-z0-9.:%-]+$/.test(v) ? null : 'is not a host name or IP address (expected e.g. 127.0.0.1, :: or localhost)'),
  'a host',
);

export const languageTag: Check = withoutControls(
  (v) => (/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/.test(v) ? null : 'is not a language tag (expected e.g. zh-CN or en)'),
  'a language tag',
);

export const timeZone: Check = (v) => (isTimeZone(v) ? null : 'is not a time zone (expected an IANA name such as Asia/Shanghai or UTC)');

/**
 * The shape of a cron expression (five fields, or six with seconds first). node-cron itself checks
 * the values when the schedule starts; it is not loaded here, so `sudi check` stays light.
 */
export const cronExpression: Check = withoutControls((v) => {
  const fields = v.trim().split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => /^[\d*/,?A-Za-z-]+$/.test(f))
    ? null
    : 'is not a cron expression (expected five fields, e.g. "0 8 * * 5" for Fridays at 08:00)';
}, 'a cron expression');

export const path_: Check = withoutControls(null, 'a path');

/** A URL of one of `protocols`; `bare`: no user, password, query or fragment (links are built on it). */
export const url = (protocols: readonly string[], example: string, opts: { bare?: boolean } = {}): Check =>
  withoutControls((v) => {
    const expected = `(expected a URL such as ${example})`;
    if (/\s/.test(v)) return `contains a space ${expected}`;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return `is not a URL ${expected}`;
    }
    if (!protocols.includes(u.protocol)) return `must start with ${protocols.map((p) => `${p}//`).join(' or ')} ${expected}`;
    if (u.hostname === '') return `has no host ${expected}`;
    if (opts.bare && (u.username || u.password || u.search || u.hash)) return `must not contain a user name, password, ?query or #fragment ${expected}`;
    return null;
  }, 'a URL');

export const token = (min: number): Check => (v) =>
  v.length < min ? `is too short (expected at least ${min} characters)` : /[\s\u0000-\u001f\u007f]/.test(v) ? `contains whitespace or a control character (expected at least ${min} printable characters, e.g. from \`openssl rand -base64 32\`)` : null;

const SECRET_KEYS = new Set(['SECRET', 'ADMIN_TOKEN', 'MAILGUN_WEBHOOK_SIGNING_KEY', 'POSTMARK_WEBHOOK_TOKEN', 'TRANSLATE_API_KEY']);

/** How a rejected value is quoted in the error: secrets never, URLs without their password. */
export function shownValue(key: string, value: unknown): string {
  if (typeof value !== 'string') return String(value);
  if (SECRET_KEYS.has(key)) return `${value.length} characters, not shown`;
  let shown = value;
  // Greedy to the last @: a password may itself contain / or @.
  if (/_URL$/.test(key)) shown = shown.replace(/\/\/.*@/s, '//***@');
  return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 80)}…` : shown);
}
