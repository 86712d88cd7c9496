/**
 * Where messages go: an SMTP relay (nodemailer, pooled) or the outbox folder (`.eml` files, the
 * embedded default when SMTP_URL is unset). Messages arrive fully built (raw RFC 5322 bytes plus
 * the envelope), so the transport never re-encodes anything and costs the same for every recipient.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config.ts';

export interface OutgoingMessage {
  /** Envelope sender (MAIL FROM) and the one recipient (RCPT TO): one recipient per message. */
  from: string;
  to: string;
  /** The complete message, headers and body, CRLF line endings. */
  raw: Buffer | string;
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
}

export interface Transport {
  /** Human description for logs and CLI output, e.g. `SMTP smtp://relay:25` or `outbox /path`. */
  readonly description: string;
  send(msg: OutgoingMessage): Promise<SendResult>;
  close(): Promise<void>;
}

export function createTransport(config: Pick<Config, 'smtpUrl' | 'outboxDir' | 'sendConcurrency' | 'sendRate'>): Transport {
  return config.smtpUrl ? smtpTransport(config.smtpUrl, config.sendConcurrency) : outboxTransport(config.outboxDir);
}

/** Writes each message as `<outbox>/<time>-<message-id>.eml` (temp file + rename: never half a file). */
export function outboxTransport(dir: string): Transport {
  let seq = 0;
  return {
    description: `outbox ${dir} (no SMTP_URL set: mail is written as .eml files)`,
    async send(msg) {
      await mkdir(dir, { recursive: true });
      const id = msg.messageId.replace(/[<>]/g, '').replace(/[^\w.@-]/g, '_');
      const name = `${Date.now()}-${String(seq++).padStart(6, '0')}-${id}.eml`;
      const tmp = path.join(dir, `.${name}.tmp`);
      await writeFile(tmp, msg.raw);
      await rename(tmp, path.join(dir, name));
      return { accepted: true, code: 250, response: `250 written to ${name}` };
    },
    async close() {},
  };
}

/** SMTP through nodemailer's pool. The ledger decides about retries, so the pool never re-queues. */
export function smtpTransport(url: string, connections: number): Transport {
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: connections,
    maxMessages: 1000,
    // A message lost with its connection may have been delivered: only the ledger may resend it.
    maxRequeues: 0,
    disableFileAccess: true,
    disableUrlAccess: true,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  } as nodemailer.TransportOptions);
  const redacted = url.replace(/\/\/[^@/]*@/, '//***@');
  return {
    description: `SMTP ${redacted}`,
    async send(msg) {
      try {
        const info = await transporter.sendMail({ envelope: { from: msg.from, to: [msg.to] }, raw: msg.raw });
        const response = String(info.response ?? '250');
        return { accepted: true, code: Number(/^\d{3}/.exec(response)?.[0] ?? 250), response };
      } catch (e) {
        const err = e as { responseCode?: number; response?: string; message?: string; command?: string; code?: string };
        return {
          accepted: false,
          code: typeof err.responseCode === 'number' ? err.responseCode : null,
          response: String(err.response ?? err.message ?? e),
          stage: err.command,
          errorCode: err.code,
        };
      }
    },
    async close() {
      transporter.close();
    },
  };
}
