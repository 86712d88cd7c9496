/**
 * One inbound message → what it reports (an InboundReport). No I/O and no Store: the same bytes
 * always give the same report, whichever way they came in (SMTP, file, IMAP).
 *
 * Order of recognition, because each later kind is often shaped like an earlier one:
 * 1. ARF complaint (RFC 5965): multipart/report; report-type=feedback-report, or a
 *    message/feedback-report part;
 * 2. delivery report: RFC 3464 (a message/delivery-status part) or a non-standard bounce
 *    (MAILER-DAEMON, X-Failed-Recipients, known subjects), hard (5.x.x) or soft (4.x.x, or any
 *    `Action: delayed`). Bounces often carry `Auto-Submitted: auto-replied` too, so this comes
 *    before the auto-reply check;
 * 3. auto-reply (RFC 3834 Auto-Submitted, vendor headers, out-of-office subjects): recognised and
 *    ignored — listmonk's and Mailtrain's trackers show what taking them for bounces does;
 * 4. anything else: `other` (a person's message, e.g. to the mailto unsubscribe address).
 *
 * The identifiers — our signed addresses and our Message-ID — are collected from everywhere they
 * travel: the envelope recipients, the report's own headers, and the returned original
 * (message/rfc822 or text/rfc822-headers part, or the copy pasted below the text by qmail, Exim
 * and Yahoo). Deciding which ones are valid is the caller's job (it holds SECRET and the Store).
 */
import { createHash } from 'node:crypto';
import { simpleParser, type ParsedMail } from 'mailparser';
import { findReturnAddresses, type ReturnAddress } from './addresses.ts';
import { parseDsnFields, type DsnRecipient } from './dsn-fields.ts';
import { BOUNCE_SENDER, BOUNCE_SUBJECT, DELAY_WORDS, PERMANENT_WORDS, diagnosticFromText, recipientFromText, statusFromText } from './non-standard.ts';

export type ReportKind = 'hard_bounce' | 'soft_bounce' | 'complaint' | 'autoreply' | 'other';

export interface InboundReport {
  kind: ReportKind;
  /** Enhanced status code (`5.1.1`), null for complaints, auto-replies, and bounces without one. */
  status: string | null;
  /** The remote server's words (Diagnostic-Code, or the text line with the status). */
  diagnostic: string | null;
  /** The failed recipient the report names (Final-Recipient, X-Failed-Recipients, Original-Rcpt-To). */
  recipient: string | null;
  /** ARF Feedback-Type (`abuse`, `fraud`, …) for complaints. */
  feedbackType: string | null;
  /** Our signed addresses found, envelope recipients first. */
  addresses: ReturnAddress[];
  /** Message-IDs (with angle brackets) of the returned original, In-Reply-To and References. */
  messageIds: string[];
  subject: string;
  from: string;
  /** SHA-256 of the message with line endings normalised: the same message twice is seen as one. */
  fingerprint: string;
}

const header = (m: ParsedMail, name: string): string => {
  const v = m.headers.get(name);
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && 'text' in v) return String((v as { text: string }).text);
  if (typeof v === 'object' && 'value' in v) return String((v as { value: string }).value);
  return Array.isArray(v) ? v.map(String).join(', ') : v instanceof Date ? v.toISOString() : JSON.stringify(v);
};

const MESSAGE_ID_LINE = /^(?:message-id|in-reply-to|references)[ \t]*:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)/gim;

function messageIdsIn(text: string): string[] {
  return [...text.matchAll(MESSAGE_ID_LINE)].map((m) => m[1]!);
}

function bodyOf(raw: string): string {
  const m = /\r?\n\r?\n/.exec(raw);
  return m ? raw.slice(m.index + m[0].length) : '';
}

function isAutoReply(m: ParsedMail, subject: string): boolean {
  const auto = header(m, 'auto-submitted').toLowerCase();
  if (auto.startsWith('auto-replied')) return true;
  if (m.headers.has('x-autoreply') || m.headers.has('x-autorespond') || m.headers.has('x-apple-action')) return true;
  if (/^(auto[_-]reply|autoreply)$/i.test(header(m, 'precedence')) || /^(auto[_-]reply)$/i.test(header(m, 'x-precedence'))) return true;
  return /^(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|vacation|absence|abwesenheit|自动回复|自動返信|réponse automatique)\b/i.test(subject.trim());
}

export interface ReadOptions {
  bounceDomain: string;
  /** SMTP RCPT TO addresses (or IMAP Delivered-To), when the way in knows them. */
  envelopeTo?: readonly string[];
}

export async function readInboundMessage(raw: Buffer | string, opts: ReadOptions): Promise<InboundReport> {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const text = bytes.toString('latin1');
  const fingerprint = createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');
  const m = await simpleParser(bytes, { keepDeliveryStatus: true } as Parameters<typeof simpleParser>[1]);
  const subject = m.subject ?? '';
  const from = m.from?.value[0]?.address ?? '';
  const contentType = m.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const reportType = (contentType?.params?.['report-type'] ?? '').toLowerCase();

  const parts = m.attachments.map((a) => ({ type: a.contentType.toLowerCase(), text: a.content.toString('utf8') }));
  const decoded = [m.text ?? '', ...parts.map((p) => p.text)].join('\n');
  const envelope = (opts.envelopeTo ?? []).join('\n');
  const addresses = findReturnAddresses(`${envelope}\n${text}\n${decoded}`, opts.bounceDomain);
  const messageIds = [
    ...parts.filter((p) => p.type === 'message/rfc822' || p.type === 'text/rfc822-headers').flatMap((p) => messageIdsIn(p.text)),
    ...messageIdsIn(`${header(m, 'in-reply-to')}`.replace(/^/, 'In-Reply-To: ')),
    ...(header(m, 'references').match(/<[^<>\s]+>/g) ?? []),
    ...messageIdsIn(bodyOf(text)),
    ...messageIdsIn(m.text ?? ''),
  ].filter((id, i, all) => all.indexOf(id) === i && id !== m.messageId);
  const base = { subject, from, addresses, messageIds, fingerprint, feedbackType: null, recipient: null, status: null, diagnostic: null };

  const feedback = parts.find((p) => p.type === 'message/feedback-report');
  if (reportType === 'feedback-report' || feedback) {
    const fields = parseDsnFields(feedback?.text ?? '').perMessage;
    return { ...base, kind: 'complaint', feedbackType: fields['feedback-type']?.toLowerCase() ?? 'abuse', recipient: fields['original-rcpt-to']?.replace(/^<|>$/g, '') ?? null };
  }

  const dsnPart = parts.find((p) => p.type === 'message/delivery-status' || p.type === 'message/global-delivery-status');
  // A DSN whose MIME tree is broken (an inner boundary never closed) still has its fields in the text.
  const dsnText = dsnPart?.text ?? (reportType === 'delivery-status' && /^Status:\s*[245]\./im.test(text) ? bodyOf(text) : '');
  const recipients: DsnRecipient[] = dsnText ? parseDsnFields(dsnText).recipients.filter((r) => r.action || r.status) : [];
  const looksLikeBounce =
    recipients.length > 0 ||
    reportType === 'delivery-status' ||
    m.headers.has('x-failed-recipients') ||
    BOUNCE_SENDER.test(from) ||
    (BOUNCE_SUBJECT.test(subject) && !isAutoReply(m, subject));
  if (looksLikeBounce) {
    // The first failed recipient decides; a delayed one only if nothing failed.
    const r = recipients.find((x) => x.action === 'failed') ?? recipients[0];
    const humanText = m.text ?? bodyOf(text);
    const status = r?.status ?? statusFromText(humanText) ?? (DELAY_WORDS.test(`${subject}\n${humanText}`) ? '4.0.0' : PERMANENT_WORDS.test(humanText) ? '5.0.0' : null);
    const delayed = r?.action === 'delayed' || (!r && DELAY_WORDS.test(subject));
    const recipient = r?.recipient ?? (header(m, 'x-failed-recipients').split(',')[0]?.trim() || recipientFromText(humanText));
    const diagnostic = r?.diagnostic ?? diagnosticFromText(humanText, status);
    if (status) {
      const kind: ReportKind = !delayed && status.startsWith('5') ? 'hard_bounce' : 'soft_bounce';
      return { ...base, kind, status, diagnostic, recipient };
    }
    // A report we cannot read a status from changes nothing: recorded, never guessed at.
    return { ...base, kind: 'other', diagnostic: 'delivery report without a status code', recipient };
  }
  if (isAutoReply(m, subject)) return { ...base, kind: 'autoreply' };
  return { ...base, kind: 'other' };
}
