/**
 * Where messages go: an SMTP relay (nodemailer SMTPConnections, pooled in smtp-pool.ts) or the outbox folder (`.eml` files, the
 * embedded default when SMTP_URL is unset). Messages arrive fully built (raw RFC 5322 bytes plus
 * the envelope), so the transport never re-encodes anything and costs the same for every recipient.
 * The composition root (app.ts) picks one.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface OutgoingMessage {
  /** Envelope sender (MAIL FROM) and the one recipient (RCPT TO): one recipient per message. */
  from: string;
  to: string;
  /** The complete message, headers and body, CRLF line endings; or its chunks in order (written as they are). */
  raw: Buffer | string | readonly Buffer[];
  /** The Message-ID header value (with angle brackets), for logs and the outbox file name. */
  messageId: string;
}

export interface SendResult {
  /** true = the server answered 250 to the message (Accepted). */
  accepted: boolean;
  /** The SMTP reply code (250, 451, 550 …), null when there was none (connection lost, timeout). */
  code: number | null;
  /** The server's reply text, or the error message. */
  response: string;
  /** The SMTP command the failure happened at (`CONN`, `MAIL FROM`, `RCPT TO`, `DATA`, `message`…). */
  stage?: string;
  /** nodemailer's error code (`ECONNECTION`, `ETIMEDOUT`, `ESOCKET`, …) when there was an error. */
  errorCode?: string;
  /**
   * The whole message was handed over (final dot written) and then the connection was lost or timed
   * out without a reply: the server may have accepted it (RFC 1047). Never retried by the transport.
   */
  maybeDelivered?: boolean;
  /** Nothing was handed to the server: `ready` (see SendHooks) declined, e.g. the sender is stopping. */
  notSent?: boolean;
}

export interface SendHooks {
  /**
   * Awaited once a connection is ready, right before the SMTP transaction starts; false = do not
   * send. The delivery engine paces SEND_RATE here, so connection setup can never bunch messages up.
   */
  ready?: () => Promise<boolean>;
  /**
   * Asked before a new connection is opened; false = do not open one (the message comes back
   * notSent). The delivery engine says no while the relay is known to be down, so messages that
   * were already waiting for a connection do not each hang on it again.
   */
  mayConnect?: () => boolean;
}

export const NOT_SENT: SendResult = { accepted: false, code: null, response: 'not sent: stopped before sending', notSent: true };

export interface Transport {
  /** Human description for logs and CLI output, e.g. `SMTP smtp://relay:25` or `outbox /path`. */
  readonly description: string;
  send(msg: OutgoingMessage, hooks?: SendHooks): Promise<SendResult>;
  /**
   * Opens one connection (and logs in) to see whether the relay can be reached again: null when it
   * can (the connection stays open for the next message), else how it failed. Absent: always can.
   */
  probe?(): Promise<SendResult | null>;
  close(): Promise<void>;
}

/** Writes each message as `<outbox>/<time>-<message-id>.eml` (temp file + rename: never half a file). */
export function outboxTransport(dir: string): Transport {
  let seq = 0;
  return {
    description: `outbox ${dir} (no SMTP_URL set: mail is written as .eml files)`,
    async send(msg, hooks) {
      if (hooks?.ready && !(await hooks.ready())) return NOT_SENT;
      await mkdir(dir, { recursive: true });
      const id = msg.messageId.replace(/[<>]/g, '').replace(/[^\w.@-]/g, '_');
      const name = `${Date.now()}-${String(seq++).padStart(6, '0')}-${id}.eml`;
      const tmp = path.join(dir, `.${name}.tmp`);
      await writeFile(tmp, typeof msg.raw === 'string' || Buffer.isBuffer(msg.raw) ? msg.raw : Buffer.concat(msg.raw));
      await rename(tmp, path.join(dir, name));
      return { accepted: true, code: 250, response: `250 written to ${name}` };
    },
    async close() {},
  };
}
