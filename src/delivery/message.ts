/**
 * Issue mail as raw bytes, fast: everything that is the same for every recipient (static headers,
 * MIME structure, the transfer-encoded text and HTML) is built once per Issue and language by
 * createMessageFactory; per recipient only the personal header fields and the encoded personal
 * values are made, and the message is a list of chunks the transport writes as they are.
 *
 * Headers on every message, each exactly once: From, To, Subject (RFC 2047), Date, Message-ID
 * (HMAC of issue and subscriber: stable across retries, unguessable), List-Id, List-Unsubscribe
 * (the HTTPS one-click URL and a mailto), List-Unsubscribe-Post (RFC 8058), MIME-Version and a
 * multipart/alternative Content-Type (text, then HTML), Feedback-ID (Gmail's feedback loop:
 * `ISSUE.EDITION:LIST:newsletter:FROM-DOMAIN`). Optionally a DKIM-Signature over them.
 */
import { createHmac, randomBytes } from 'node:crypto';
import iconv from 'iconv-lite';
import libmime from 'libmime';
// nodemailer's own address parser (an export of the package; mailparser uses it too). The npm
// `addressparser` package is its 2016 fork, without the fixes made since.
import addressparser from 'nodemailer/lib/addressparser';
import { hasCjk } from '../cjk.ts';
import type { Config } from '../config.ts';
import { SudiError } from '../errors.ts';
import type { Lang } from '../model.ts';
import type { RenderedEmail } from '../render/email.ts';
import { chooseTransferEncoding } from '../render/email-size.ts';
import { personalParts, slotValues } from '../render/personalize.ts';
import type { DkimSigner, HeaderLine } from './dkim.ts';
import { splicedBody, type SplicedBody } from './spliced-body.ts';
import type { OutgoingMessage } from './transport.ts';

export interface Recipient {
  subscriberId: number;
  email: string;
}

export interface MessageFactory {
  readonly issueId: string;
  readonly lang: Lang;
  readonly subject: string;
  /** The From address; each message's envelope sender (MAIL FROM) is its own VERP address at BOUNCE_DOMAIN. */
  readonly envelopeFrom: string;
  /** Builds one recipient's message. `messageId` overrides the derived one (a resend keeps the recorded id). */
  build(to: Recipient, opts: { now: Date; messageId?: string }): OutgoingMessage;
}

/**
 * A recipient's signed addresses in a message. Declared here, made by the composition root from
 * subscribers/links.ts and inbound/addresses.ts (src/personal-links.ts): the message builder
 * depends on neither.
 */
export interface PersonalAddresses {
  /** The HTTPS one-click unsubscribe URL (RFC 8058), also in the body. */
  unsubscribeUrl(to: Recipient): string;
  preferencesUrl(to: Recipient): string;
  /** The signed `mailto:` unsubscribe address at the bounce domain. */
  unsubscribeAddress(bounceDomain: string, to: Recipient): string;
  /** The signed VERP envelope sender of this Delivery at the bounce domain. */
  verpAddress(bounceDomain: string, issueId: string, to: Recipient): string;
}

export interface MessageFactoryOptions {
  config: Pick<Config, 'mailFrom' | 'listId'> & Partial<Pick<Config, 'bounceDomain'>>;
  secret: string;
  addresses: PersonalAddresses;
  dkim?: DkimSigner;
}

/** `<hmac>@<domain>`: derived from (issue, subscriber) under SECRET, so a resend carries the same id. */
export function messageIdFor(secret: string, issueId: string, subscriberId: number, domain: string): string {
  const mac = createHmac('sha256', secret).update(`sudi-message-id-v1\0${issueId}\0${subscriberId}`).digest('base64url').slice(0, 32);
  return `<${mac}.${issueId}@${domain}>`;
}

/** RFC 5322 date-time in UTC, e.g. `Sat, 20 Apr 2024 01:00:00 +0000`. */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

export function parseMailFrom(mailFrom: string): { name: string; address: string } {
  const [first] = addressparser(mailFrom, { flatten: true }) as { name: string; address: string }[];
  if (!first?.address || !/^[^@\s]+@[^@\s]+$/.test(first.address)) {
    throw new SudiError('E_CONFIG', `MAIL_FROM ${JSON.stringify(mailFrom)} is not an address (expected e.g. "Sudi <digest@news.example.org>")`);
  }
  return { name: first.name ?? '', address: first.address };
}

/** A display name as a header phrase: as is, quoted, or RFC 2047 encoded. */
function phrase(name: string): string {
  if (/^[\w ']*$/.test(name)) return name;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/([\\"])/g, '\\$1')}"`;
  return libmime.encodeWord(name, 'B', 52);
}

/**
 * A header text as is when it is printable ASCII, else RFC 2047 B-encoded as a whole (also ASCII
 * that looks like an encoded word, which a mail client would otherwise decode).
 */
const encodeText = (s: string): string => (/[^\x20-\x7e]|=\?/.test(s) ? libmime.encodeWord(s, 'B', 52) : s);

/**
 * The Subject: as encodeText does, except that text with Chinese (or other CJK) characters goes as
 * GB18030 encoded words. GB18030 encodes all of Unicode, so nothing is lost, and every mail client
 * decodes it. Why: SpamAssassin's SUBJ_ALL_CAPS reads a UTF-8 Chinese subject whose only Latin
 * letters are an acronym ("每周AI论文速递 (240415-240419)") as shouting, and leaves subjects in CJK
 * charsets alone for exactly that reason. Each word holds whole characters (RFC 2047 §5).
 */
export function encodeSubject(s: string): string {
  if (!hasCjk(s)) return encodeText(s);
  const words: string[] = [];
  let pending: Buffer[] = [];
  let bytes = 0;
  const flush = () => {
    words.push(`=?GB18030?B?${Buffer.concat(pending).toString('base64')}?=`);
    [pending, bytes] = [[], 0];
  };
  for (const ch of s) {
    const b = iconv.encode(ch, 'gb18030');
    // 36 bytes → 48 base64 characters: 62 per word, within RFC 2047's 75.
    if (bytes + b.length > 36) flush();
    pending.push(b);
    bytes += b.length;
  }
  if (bytes > 0) flush();
  return words.join(' ');
}

/** Gmail's Feedback-ID fields hold no colon and no space. */
const feedbackField = (s: string) => s.replace(/[^\x21-\x7e]|:/g, '-');

const fold = (line: string) => libmime.foldLines(line, 76).replace(/\r?\n/g, '\r\n');
const foldIfLong = (line: string) => (line.length <= 76 ? line : fold(line));

export function createMessageFactory(rendered: RenderedEmail, opts: MessageFactoryOptions): MessageFactory {
  const { config, secret, addresses, dkim } = opts;
  const from = parseMailFrom(config.mailFrom);
  const domain = from.address.split('@')[1]!;
  const listIdMatch = /^(.*?)\s*<([^<>\s]+)>\s*$/.exec(config.listId);
  const listId = listIdMatch ? `${listIdMatch[1] ? `${phrase(listIdMatch[1])} ` : ''}<${listIdMatch[2]}>` : `<${config.listId}>`;
  // Bounces and mailto unsubscribes come back to signed addresses there (src/inbound/addresses.ts).
  const bounceDomain = config.bounceDomain ?? domain.toLowerCase();

  // Personalization is render/personalize.ts's: its split of the parts, its checked and escaped
  // values; only the transfer encoding around them is done here (spliced-body.ts).
  const parts = personalParts(rendered);
  const htmlBody: SplicedBody = splicedBody(parts.html, chooseTransferEncoding(rendered.html));
  const textBody: SplicedBody = splicedBody(parts.text, chooseTransferEncoding(rendered.text));

  // "=_" can occur in neither base64 nor quoted-printable output, so no body line can match it.
  const boundary = `=_sudi_${randomBytes(12).toString('hex')}`;
  const staticHeaders: HeaderLine[] = [
    { key: 'from', line: fold(`From: ${from.name ? `${phrase(from.name)} ` : ''}<${from.address}>`) },
    { key: 'subject', line: fold(`Subject: ${encodeSubject(rendered.subject)}`) },
  ];
  const trailingHeaders: HeaderLine[] = [
    { key: 'list-id', line: fold(`List-Id: ${listId}`) },
    // List-Unsubscribe is personal; it goes between these two groups.
    { key: 'list-unsubscribe-post', line: 'List-Unsubscribe-Post: List-Unsubscribe=One-Click' },
    // Gmail's feedback loop counts complaints per field (campaign:customer:mailtype:sender): here the
    // Issue and edition, the list, the mail type and the From domain. DKIM signs it, as Gmail asks.
    { key: 'feedback-id', line: fold(`Feedback-ID: ${[`${rendered.issueId}.${rendered.lang}`, listIdMatch?.[2] ?? config.listId, 'newsletter', domain.toLowerCase()].map(feedbackField).join(':')}`) },
    { key: 'mime-version', line: 'MIME-Version: 1.0' },
    { key: 'content-type', line: `Content-Type: multipart/alternative;\r\n boundary="${boundary}"` },
  ];
  // Each encoded part ends with a CRLF that is the delimiter's own (RFC 2046: the CRLF before a
  // boundary belongs to it), so the heads and the closing delimiter start right at the boundary.
  const partHead = (type: string, enc: string) =>
    Buffer.from(`--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${enc}\r\n\r\n`, 'latin1');
  const textHead = partHead('text/plain', textBody.encoding);
  const htmlHead = partHead('text/html', htmlBody.encoding);
  const closing = Buffer.from(`--${boundary}--\r\n`, 'latin1');

  let dateSecond = -1;
  let dateLine = '';

  return {
    issueId: rendered.issueId,
    lang: rendered.lang,
    subject: rendered.subject,
    envelopeFrom: from.address,
    build(to, { now, messageId }) {
      const ref = { subscriberId: to.subscriberId, email: to.email };
      const unsub = addresses.unsubscribeUrl(ref);
      const prefs = addresses.preferencesUrl(ref);
      const values = slotValues(parts, { unsubscribeUrl: unsub, preferencesUrl: prefs, recipient: to.email });
      const id = messageId ?? messageIdFor(secret, rendered.issueId, to.subscriberId, domain);
      const second = Math.floor(now.getTime() / 1000);
      if (second !== dateSecond) [dateSecond, dateLine] = [second, `Date: ${rfc5322Date(now)}`];

      const headers: HeaderLine[] = [
        staticHeaders[0]!,
        { key: 'to', line: foldIfLong(`To: <${to.email}>`) },
        staticHeaders[1]!,
        { key: 'date', line: dateLine },
        { key: 'message-id', line: `Message-ID: ${id}` },
        trailingHeaders[0]!,
        // Each URL on its own continuation line (a URL cannot be folded inside).
        { key: 'list-unsubscribe', line: `List-Unsubscribe:\r\n <${unsub}>,\r\n <mailto:${addresses.unsubscribeAddress(bounceDomain, ref)}?subject=unsubscribe>` },
        ...trailingHeaders.slice(1),
      ];

      const body: Buffer[] = [textHead];
      textBody.encode(values.text, body);
      body.push(htmlHead);
      htmlBody.encode(values.html, body);
      body.push(closing);

      let head = '';
      if (dkim) head += `${dkim.sign(headers, body)}\r\n`;
      for (const h of headers) head += `${h.line}\r\n`;
      head += '\r\n';
      const envelopeFrom = addresses.verpAddress(bounceDomain, rendered.issueId, ref);
      return { from: envelopeFrom, to: to.email, messageId: id, raw: [Buffer.from(head, 'utf8'), ...body] };
    },
  };
}

