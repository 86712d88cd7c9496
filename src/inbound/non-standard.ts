/**
 * What the bounces that are not RFC 3464 (qmail, Exim, Yahoo, Gmail's and Exchange's human-readable
 * parts, Postfix's and sendmail's text) say, read from their text. Pure.
 *
 * The enhanced status code is looked for where MTAs put it: after an SMTP reply code (`550 5.1.1`,
 * `550-5.1.1`, `550 550 5.1.1`), in qmail's `(#5.1.1)`, or on its own; a bare SMTP code (`550`)
 * after "said" or "returned" is the last resort. Dotted numbers inside IP addresses never match.
 */

const ENHANCED_AFTER_REPLY = /\b[245]\d\d(?:[ -]+[245]\d\d)?[ -]+#?([245]\.\d{1,3}\.\d{1,3})(?![\d.]*\d)/;
const QMAIL_STYLE = /\(#([245]\.\d{1,3}\.\d{1,3})\)/;
const ENHANCED_ALONE = /(?<![\w.])([45]\.\d{1,3}\.\d{1,3})(?![\w.]*\d)/;
const REPLY_CODE = /\b(?:said|returned|replied|response)\b[^\n\d]{0,20}'?([45][0-5]\d)\b/i;

/** The enhanced status code a bounce's text carries, or null. */
export function statusFromText(text: string): string | null {
  for (const re of [ENHANCED_AFTER_REPLY, QMAIL_STYLE, ENHANCED_ALONE]) {
    const m = re.exec(text);
    if (m) return m[1]!;
  }
  const reply = REPLY_CODE.exec(text);
  return reply ? `${reply[1]![0]}.0.0` : null;
}

/** The line that carries the status (the remote server's own words), trimmed to something loggable. */
export function diagnosticFromText(text: string, status: string | null): string | null {
  if (!status) return null;
  const lines = text.split(/\r?\n/);
  // The remote server's reply (`550 5.1.1 …`) says more than a sentence that mentions the code.
  const line = lines.find((l) => l.includes(status) && ENHANCED_AFTER_REPLY.test(l)) ?? lines.find((l) => l.includes(status));
  if (!line) return null;
  return line.trim().replace(/^(remote host said|remote server returned)\s*:?\s*/i, '').replace(/^'|'$/g, '').slice(0, 500) || null;
}

/** Words of delay notices ("still trying"): such a report is never a permanent failure. */
export const DELAY_WORDS = /\b(delay(ed)?|warning: could not send|still (being )?(retried|undelivered|trying)|will (keep|continue) trying|not yet been delivered|THIS IS A WARNING MESSAGE ONLY)\b/i;

/** Words of permanent failure when there is no code at all (old qmail, some gateways). */
export const PERMANENT_WORDS = /\b(permanent (error|failure)|I've given up|could not be delivered|undeliverable)\b/i;

/** Subjects and senders of delivery reports, across MTAs and languages seen in the wild. */
export const BOUNCE_SUBJECT =
  /(undeliver|undelivered mail|delivery status notification|delivery (has )?failed|delivery failure|failure notice|returned mail|mail delivery failed|non recapitabile|unzustellbar|non remis|no se puede entregar|could not send message|mail system error|DSN)/i;
export const BOUNCE_SENDER = /^(mailer-daemon|postmaster|mail-daemon|mailer_daemon)@/i;

/** qmail's and Yahoo's `<reader@example.net>:` line naming the failed recipient. */
export function recipientFromText(text: string): string | null {
  return /^<([^<>\s@]+@[^<>\s@]+)>:\s*$/m.exec(text)?.[1] ?? null;
}
