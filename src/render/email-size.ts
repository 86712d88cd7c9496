/**
 * How big a message part is as it travels, and which transfer encoding keeps it smallest.
 *
 * Gmail clips an HTML part over about 102 KB, counted after transfer encoding, and the clipped tail
 * holds the unsubscribe link. Quoted-printable writes each byte of a UTF-8 Chinese character as
 * `=XX` (3 bytes → 9), base64 writes every 3 bytes as 4. nodemailer's own choice compares Latin
 * letters with non-Latin characters; for an HTML part the markup's letters outvote the Chinese text
 * and it picks quoted-printable, the bigger one. So we measure both with nodemailer's encoders and
 * take the smaller; the delivery code (delivery/message.ts) uses the choice.
 */
// libbase64 and libqp: the encoders nodemailer's own are copies of (same output, byte for byte).
import * as base64 from 'libbase64';
import * as qp from 'libqp';

export type TransferEncoding = 'base64' | 'quoted-printable';

/** Gmail clips above about 102 KB; we warn earlier. */
export const SIZE_WARN_BYTES = 90 * 1024;

export interface EmailSizes {
  /** UTF-8 bytes of the part. */
  raw: number;
  /** Bytes on the wire with `encoding` (76-character lines, CRLF). */
  sent: number;
  encoding: TransferEncoding;
}

/** Both encoded sizes of a part, exactly as nodemailer's encoders write them. */
export function encodedSizes(content: Buffer | string): Record<TransferEncoding, number> {
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return {
    base64: base64.wrap(base64.encode(buf), 76).length,
    'quoted-printable': qp.wrap(qp.encode(buf), 76).length,
  };
}

/** The transfer encoding that makes this part smallest on the wire (ties go to quoted-printable, readable in raw form). */
export function chooseTransferEncoding(content: Buffer | string): TransferEncoding {
  const s = encodedSizes(content);
  return s.base64 < s['quoted-printable'] ? 'base64' : 'quoted-printable';
}

/** Raw and as-sent size of an HTML (or text) part, with the encoding that gives `sent`. */
export function emailSizes(html: Buffer | string): EmailSizes {
  const buf = typeof html === 'string' ? Buffer.from(html, 'utf8') : html;
  const s = encodedSizes(buf);
  const encoding: TransferEncoding = s.base64 < s['quoted-printable'] ? 'base64' : 'quoted-printable';
  return { raw: buf.length, sent: s[encoding], encoding };
}

/** `12.3 KB` (1 KB = 1024 bytes, like Gmail's limit is usually quoted). */
export function formatKb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
