/**
 * nodemailer's SMTPConnection with a faster DATA stream. The protocol (PIPELINING included), TLS,
 * AUTH and replies stay nodemailer's; only the transform that dot-stuffs the message on its way to
 * the socket changes, by overriding one private method, `_createSendStream`.
 *
 * nodemailer's DataStream looks at every byte in JavaScript and writes each chunk of the message
 * to the socket on its own. This one does the same job (a dot at the start of a line is doubled,
 * a bare LF or CR becomes CRLF, the message ends with CRLF "." CRLF) by searching line breaks with
 * Buffer.indexOf, and hands the socket the message's chunks and its end in one corked write,
 * uncopied. bench/smtp-overrides.ts measures it against nodemailer's own method (kept because it
 * is worth far more than 15 % of throughput; BENCHMARKS.md); the `_setEnvelope` override that
 * pipelined the envelope went when nodemailer 10 began to pipeline it itself.
 *
 * tests/delivery/smtp-pool.test.ts holds it to nodemailer's DataStream byte for byte and sends dot
 * lines, bare line breaks and refused envelopes through a real server, so a nodemailer upgrade that
 * changes the private method cannot pass unnoticed.
 */
import { Transform, type TransformCallback } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CR_BUF = Buffer.from('\r');
const LF_BUF = Buffer.from('\n');
const LF_DOT = Buffer.from('\n.');
const DOT_BUF = Buffer.from('.');

/**
 * Dot-stuffing of one chunk, given the last byte of the previous one (LF at the start of the
 * message): the pieces to write (the chunk itself, uncopied, when it needs nothing) and this
 * chunk's last byte. The same rules as nodemailer's DataStream: a bare LF gets its CR, a bare CR
 * its LF (and a dot after it is stuffed, as a receiver that ends lines at a lone CR would see a
 * line start there: SMTP smuggling), a dot at the start of a line is doubled.
 */
export function stuffChunk(chunk: Buffer, last: number): { out: Buffer[]; last: number } {
  if (chunk.length === 0) return { out: [], last };
  const parts: Buffer[] = [];
  let from = 0;
  if (last === CR && chunk[0] !== LF) parts.push(chunk[0] === DOT ? LF_DOT : LF_BUF);
  else if (last === LF && chunk[0] === DOT) parts.push(DOT_BUF);
  let cr = chunk.indexOf(CR);
  let lf = chunk.indexOf(LF);
  while (cr !== -1 || lf !== -1) {
    if (lf === -1 || (cr !== -1 && cr < lf)) {
      // A CR at the chunk's end is settled by the next chunk's first byte (above).
      const next = chunk[cr + 1];
      if (next !== undefined && next !== LF) {
        parts.push(chunk.subarray(from, cr + 1), next === DOT ? LF_DOT : LF_BUF);
        from = cr + 1;
      }
      cr = chunk.indexOf(CR, cr + 1);
    } else {
      if ((lf > 0 ? chunk[lf - 1] : last) !== CR) {
        parts.push(chunk.subarray(from, lf), CR_BUF);
        from = lf;
      }
      if (chunk[lf + 1] === DOT) {
        parts.push(chunk.subarray(from, lf + 1), DOT_BUF);
        from = lf + 1;
      }
      lf = chunk.indexOf(LF, lf + 1);
    }
  }
  if (parts.length === 0) return { out: [chunk], last: chunk[chunk.length - 1]! };
  parts.push(chunk.subarray(from));
  return { out: parts.filter((p) => p.length > 0), last: chunk[chunk.length - 1]! };
}

/**
 * Dot-stuffed forms of big chunks seen before: the pre-encoded pieces of an Issue's body are the
 * same Buffers in every Subscriber's message (delivery/message.ts), so each is searched once per
 * send instead of once per message; only the small personal pieces are searched every time.
 */
const STUFFED = new WeakMap<Buffer, { last: number; out: Buffer[] }>();

function stuffCached(chunk: Buffer, last: number): { out: Buffer[]; last: number } {
  if (chunk.length < 1024) return stuffChunk(chunk, last);
  const seen = STUFFED.get(chunk);
  if (seen && seen.last === last) return { out: seen.out, last: chunk[chunk.length - 1]! };
  const r = stuffChunk(chunk, last);
  STUFFED.set(chunk, { last, out: r.out });
  return r;
}

/** What ends the data: CRLF "." CRLF, with the CRLF only when the message does not end a line. */
export const terminator = (last: number) => Buffer.from(last === LF ? '.\r\n' : last === CR ? '\n.\r\n' : '\r\n.\r\n');

/** The same as a stream (for messages that come as one). */
export class DotStuffer extends Transform {
  #last = LF; // the message starts at the start of a line

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const r = stuffChunk(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, this.#last);
    this.#last = r.last;
    for (const b of r.out) this.push(b);
    done();
  }

  override _flush(done: TransformCallback): void {
    done(null, terminator(this.#last));
  }
}

/**
 * Where nodemailer writes the message (it pipes the message into what _createSendStream returns):
 * straight to the corked socket, chunk by chunk, so a message of many chunks leaves in one writev
 * without being copied into one buffer first. Nothing waits for 'drain' here, so the
 * cork cannot deadlock: the socket buffers the message, as nodemailer's own pipe would.
 */
class SocketWriter {
  #last = LF;
  outByteCount = 0;
  private readonly socket: NodeJS.WritableStream & { cork(): void; uncork(): void };
  private readonly done: () => void;
  constructor(socket: NodeJS.WritableStream & { cork(): void; uncork(): void }, done: () => void) {
    this.socket = socket;
    this.done = done;
    socket.cork();
  }
  write(chunk: Buffer | string): boolean {
    const r = stuffCached(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, this.#last);
    this.#last = r.last;
    for (const b of r.out) {
      this.outByteCount += b.length;
      this.socket.write(b);
    }
    return true;
  }
  end(): void {
    this.socket.write(terminator(this.#last));
    process.nextTick(() => this.socket.uncork());
    this.done();
  }
}

/** The private members of nodemailer's SMTPConnection that _createSendStream uses (as nodemailer's own does). */
type Internals = {
  options: { lmtp?: boolean; debug?: boolean };
  _responseActions: ((str: string) => void)[];
  _actionSMTPStream(str: string, cb: (err: Error | null, str?: string) => void): void;
  _socket: NodeJS.WritableStream;
};

/** SMTPConnection whose DATA is dot-stuffed by stuffChunk straight into the corked socket (LMTP and debug logging keep nodemailer's stream). */
export class FastSMTPConnection extends SMTPConnection {
  /** Called once the whole message, final dot included, has been handed to the socket. */
  onDataHandedOver: (() => void) | null = null;

  _createSendStream(callback: (err: Error | null, str?: string) => void): Transform {
    const self = this as unknown as Internals;
    if (self.options.lmtp || self.options.debug) {
      const stream = (SMTPConnection.prototype as unknown as { _createSendStream(cb: typeof callback): Transform })._createSendStream.call(this, callback);
      stream.once('end', () => this.onDataHandedOver?.());
      return stream;
    }
    self._responseActions.push((str) => self._actionSMTPStream(str, callback));
    return new SocketWriter(self._socket as unknown as NodeJS.WritableStream & { cork(): void; uncork(): void }, () => this.onDataHandedOver?.()) as unknown as Transform;
  }
}
