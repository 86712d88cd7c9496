/**
 * A MIME part body encoded ONCE per Issue and language, with holes for the personal values.
 *
 * Transfer-encoding a 100 KB part per recipient is what makes a naive sender CPU-bound (quoted-
 * printable Chinese text costs milliseconds per message). Here the static text between the
 * placeholders is encoded up front; per recipient only the few personal bytes are encoded and the
 * chunks are concatenated, and the decoded part is exactly the personalized text:
 *
 * - quoted-printable is position-independent: each chunk is encoded alone and ends with a line
 *   break (a soft one, `=\r\n`, when the text goes on), which decoding removes.
 * - base64 turns each 3 bytes into 4 characters, so a chunk can only be encoded alone when it
 *   starts on a 3-byte boundary. The boundary shifts with the length of the personal values, so
 *   each static segment is encoded three times (for 0, 1 or 2 bytes carried in front of it). Per
 *   recipient, the carried bytes, the personal value and the first bytes of the next segment are
 *   encoded together (a multiple of 3), then the matching pre-encoded variant follows.
 *
 * Text is put in MIME canonical form (CRLF line breaks) before encoding, as RFC 2045 asks for text/*.
 * Every chunk is a run of whole lines (ending with CRLF) of at most 76 characters, so chunks can be
 * DKIM-canonicalized one by one (see dkim.ts).
 */
import * as qp from 'libqp';

export type TransferEncoding = 'base64' | 'quoted-printable';

/** A part with placeholders: statics[0] value[0] statics[1] … statics[n]. */
export interface PartTemplate {
  statics: readonly string[];
}

interface B64Variant {
  /** Bytes taken from the segment's start to complete the carried group. */
  head: Buffer;
  /** The aligned middle, encoded and wrapped, ending with CRLF (empty when there is none). */
  body: Buffer;
  /** 0–2 bytes left over, carried into the next group. */
  tail: Buffer;
}

export interface SplicedBody {
  readonly encoding: TransferEncoding;
  /** Appends the encoded part for these values (one per placeholder, in order) to `out`. */
  encode(values: readonly string[], out: Buffer[]): void;
}

const CRLF = Buffer.from('\r\n');
const SOFT_BREAK = Buffer.from('=\r\n');

/** LF or lone CR → CRLF (MIME canonical form for text). */
export function canonicalLines(s: string): string {
  return s.replace(/\r\n|\r|\n/g, '\r\n');
}

export function wrapBase64(b64: string): string {
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += `${b64.slice(i, i + 76)}\r\n`;
  return out;
}

export function splicedBody(part: PartTemplate, encoding: TransferEncoding): SplicedBody {
  const statics = part.statics.map((s) => Buffer.from(canonicalLines(s), 'utf8'));
  return encoding === 'base64' ? base64Body(statics) : qpBody(statics);
}

function qpChunk(buf: Buffer): Buffer {
  if (buf.length === 0) return Buffer.alloc(0);
  const enc = qp.wrap(qp.encode(buf), 76);
  // A chunk that does not end a line ends with a soft break: the next chunk starts a new line.
  return enc.endsWith('\r\n') ? Buffer.from(enc, 'latin1') : Buffer.concat([Buffer.from(enc, 'latin1'), SOFT_BREAK]);
}

/**
 * The CRLF before a boundary belongs to the boundary (RFC 2046), so the last line of a part must
 * not be a soft break (that would leave a dangling `=`), and a part that ends with a line break
 * needs one more for the boundary to take.
 */
function qpFinal(chunk: Buffer): Buffer {
  if (chunk.length >= 3 && chunk.subarray(-3).equals(SOFT_BREAK)) return Buffer.concat([chunk.subarray(0, -3), CRLF]);
  return Buffer.concat([chunk, CRLF]);
}

function qpBody(statics: Buffer[]): SplicedBody {
  const encoded = statics.map(qpChunk);
  const last = encoded.length - 1;
  const lastFinal = encoded[last]!.length > 0 ? qpFinal(encoded[last]!) : null;
  return {
    encoding: 'quoted-printable',
    encode(values, out) {
      const start = out.length;
      if (last === 0) {
        out.push(lastFinal ?? CRLF);
        return;
      }
      out.push(encoded[0]!);
      for (let i = 1; i <= last; i++) {
        const value = qpChunk(Buffer.from(canonicalLines(values[i - 1] ?? ''), 'utf8'));
        if (i < last || lastFinal) {
          out.push(value, i < last ? encoded[i]! : lastFinal!);
        } else {
          out.push(value.length > 0 ? qpFinal(value) : CRLF);
        }
      }
      // Empty chunks carry nothing; drop them so every chunk is a run of whole lines.
      for (let j = out.length - 1; j >= start; j--) if (out[j]!.length === 0) out.splice(j, 1);
    },
  };
}

function base64Body(statics: Buffer[]): SplicedBody {
  // variants[i][k]: static segment i preceded by k carried bytes. Built on first use.
  const variants: (B64Variant | undefined)[][] = statics.map(() => [undefined, undefined, undefined]);
  const variant = (i: number, k: number): B64Variant => {
    let v = variants[i]![k];
    if (!v) {
      const seg = statics[i]!;
      const headLen = Math.min((3 - k) % 3, seg.length);
      const midLen = Math.floor((seg.length - headLen) / 3) * 3;
      v = {
        head: seg.subarray(0, headLen),
        body: Buffer.from(wrapBase64(seg.subarray(headLen, headLen + midLen).toString('base64')), 'latin1'),
        tail: seg.subarray(headLen + midLen),
      };
      variants[i]![k] = v;
    }
    return v;
  };
  for (let k = 0; k < 3; k++) for (let i = 0; i < statics.length; i++) variant(i, k);

  const encodeSmall = (b: Buffer) => Buffer.from(wrapBase64(b.toString('base64')), 'latin1');
  return {
    encoding: 'base64',
    encode(values, out) {
      // Invariant: 0–2 bytes are carried into each static segment and each value.
      let carry: Buffer = Buffer.alloc(0);
      for (let i = 0; i < statics.length; i++) {
        const seg = statics[i]!;
        if (carry.length + seg.length < 3) {
          carry = Buffer.concat([carry, seg]);
        } else {
          const v = variant(i, carry.length);
          if (carry.length > 0) out.push(encodeSmall(Buffer.concat([carry, v.head])));
          if (v.body.length > 0) out.push(v.body);
          carry = v.tail;
        }
        if (i < values.length) {
          const bytes = Buffer.concat([carry, Buffer.from(canonicalLines(values[i]!), 'utf8')]);
          const full = bytes.length - (bytes.length % 3);
          if (full > 0) out.push(encodeSmall(bytes.subarray(0, full)));
          carry = bytes.subarray(full);
        }
      }
      if (carry.length > 0) out.push(encodeSmall(carry));
    },
  };
}
