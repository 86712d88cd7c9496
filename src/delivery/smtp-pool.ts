/**
 * SMTP through a small pool of nodemailer SMTPConnections (nodemailer speaks the protocol; this
 * file only keeps N connections busy). Why not nodemailer's own pool: it re-queues a message whose
 * connection died (we must never resend behind the ledger's back), it cannot tell "the connection
 * died before the message was handed over" from "…after the final dot, before the reply" (the one
 * case where the message may have been delivered), and its per-message MailComposer pass costs a
 * third of the throughput. Here each result says exactly how far the message got.
 *
 * Memory is bounded by the caller: the pool queues whoever waits for a free connection, and the
 * delivery engine never has more than a few messages per connection outstanding.
 */
import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { FastSMTPConnection } from './smtp-connection.ts';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import { NOT_SENT, type OutgoingMessage, type SendResult, type Transport } from './transport.ts';

export interface SmtpPoolOptions {
  url: string;
  connections: number;
  /** Messages per connection before it is closed and reopened (a relay may cap them). */
  maxMessagesPerConnection?: number;
}

interface Attempt {
  conn: FastSMTPConnection;
  /** The first thing known about the message: a reply, or how the connection ended. */
  result: SendResult | null;
  /** True once the whole message was handed to the socket (the final dot may have arrived). */
  dataDone: boolean;
  /** Ends the attempt once the connection is ready for the next message (or gone). */
  finish(): void;
}

interface Slot {
  conn: FastSMTPConnection | null;
  messages: number;
  attempt: Attempt | null;
}

type SmtpError = Error & { code?: string; responseCode?: number; response?: string; command?: string };

function failure(err: SmtpError, stage: string, maybeDelivered: boolean): SendResult {
  return {
    accepted: false,
    code: typeof err.responseCode === 'number' ? err.responseCode : null,
    response: String(err.response ?? err.message),
    stage: err.command && err.command !== 'CONN' ? err.command : stage,
    errorCode: err.code,
    maybeDelivered,
  };
}

export function smtpPoolTransport(opts: SmtpPoolOptions): Transport {
  const parsed = parseConnectionUrl(opts.url) as SMTPConnection.Options & { auth?: { user?: string; pass?: string } };
  const { auth, ...connOptions } = parsed;
  const options: SMTPConnection.Options = {
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    // Also the wait for the reply to the final dot; servers that scan mail can take a while.
    socketTimeout: 120_000,
    ...connOptions,
  };
  const maxMessages = opts.maxMessagesPerConnection ?? 500;
  const slots: Slot[] = Array.from({ length: Math.max(1, opts.connections) }, () => ({ conn: null, messages: 0, attempt: null }));
  const free: Slot[] = [...slots];
  const waiting: ((s: Slot) => void)[] = [];
  let closed = false;

  const acquire = () => new Promise<Slot>((resolve) => (free.length > 0 ? resolve(free.pop()!) : waiting.push(resolve)));
  const release = (s: Slot) => {
    const next = waiting.shift();
    if (next) next(s);
    else free.push(s);
  };

  function drop(slot: Slot): void {
    const c = slot.conn;
    slot.conn = null;
    slot.messages = 0;
    if (c) c.close();
  }

  /** Opens (and authenticates) a connection; any error comes back as a failure of this message. */
  function connect(slot: Slot): Promise<SendResult | null> {
    return new Promise((resolve) => {
      const conn = new FastSMTPConnection(options);
      let connecting = true;
      const lost = (err: SmtpError) => {
        if (slot.conn === conn) slot.conn = null;
        if (connecting) {
          connecting = false;
          resolve(failure(err, 'connect', false));
        }
        // The message in flight on this connection, if any, learns how far it got.
        const a = slot.attempt;
        if (a && a.conn === conn) {
          a.result ??= failure(err, a.dataDone ? 'reply' : 'CONN', a.dataDone);
          a.finish();
        }
      };
      conn.on('error', lost);
      conn.on('end', () => lost(Object.assign(new Error('connection closed'), { code: 'ECONNECTION', command: 'CONN' })));
      const ready = () => {
        // nodemailer leaves Nagle's algorithm on: the final "." of a message would wait for the
        // server's delayed ACK (40 ms on Linux), which caps a connection at ~25 messages/s.
        (conn as unknown as { _socket?: { setNoDelay?(on: boolean): void } })._socket?.setNoDelay?.(true);
        connecting = false;
        slot.conn = conn;
        resolve(null);
      };
      conn.connect(() => {
        if (!auth?.user) return ready();
        conn.login({ credentials: { user: auth.user, pass: auth.pass ?? '' } }, (err) => {
          if (!err) return ready();
          connecting = false;
          resolve(failure(err, 'AUTH', false));
          conn.close();
        });
      });
    });
  }

  function sendOn(slot: Slot, msg: OutgoingMessage): Promise<SendResult> {
    const conn = slot.conn!;
    // The chunks go to the socket as they are (FastSMTPConnection writes them corked: one writev).
    // nodemailer takes a message with a pipe() as a stream: it pipes it to its data writer, or on a
    // refused envelope into a PassThrough it drops.
    const chunks = typeof msg.raw === 'string' ? [Buffer.from(msg.raw)] : Buffer.isBuffer(msg.raw) ? [msg.raw] : msg.raw;
    const data = {
      pipe<T extends NodeJS.WritableStream>(dest: T): T {
        for (const c of chunks) dest.write(c);
        dest.end();
        return dest;
      },
    };
    return new Promise<SendResult>((resolve) => {
      let finished = false;
      const attempt: Attempt = {
        conn,
        result: null,
        dataDone: false,
        finish() {
          if (finished) return;
          finished = true;
          slot.attempt = null;
          resolve(attempt.result!);
        },
      };
      slot.attempt = attempt;
      // The connection says when the whole message has been handed to the socket.
      conn.onDataHandedOver = () => (attempt.dataDone = true);
      conn.send({ from: msg.from, to: [msg.to] }, data as unknown as Buffer, (err, info) => {
        slot.messages++;
        if (!err) {
          attempt.result ??= { accepted: true, code: Number(/^\d{3}/.exec(info.response)?.[0] ?? 250), response: info.response };
          return attempt.finish();
        }
        const e = err as SmtpError;
        if (typeof e.responseCode === 'number') {
          // A reply refused the message (4xx/5xx): reset the session and keep the connection.
          attempt.result ??= failure(e, 'message', false);
          return conn.reset((resetErr) => {
            if (resetErr) drop(slot);
            attempt.finish();
          });
        }
        attempt.result ??= failure(e, attempt.dataDone ? 'reply' : 'message', attempt.dataDone);
        drop(slot);
        attempt.finish();
      });
    });
  }

  return {
    description: `SMTP ${opts.url.replace(/\/\/[^@/]*@/, '//***@')} (${slots.length} connection${slots.length === 1 ? '' : 's'})`,
    async send(msg, hooks) {
      if (closed) return { accepted: false, code: null, response: 'transport closed', stage: 'CONN', errorCode: 'ECLOSED', maybeDelivered: false };
      const slot = await acquire();
      try {
        if (slot.conn && slot.messages >= maxMessages) {
          // Wait for the QUIT reply, so the server counts this session as ended before the next one.
          const old = slot.conn;
          slot.conn = null;
          old.quit();
        }
        if (!slot.conn) {
          if (hooks?.mayConnect && !hooks.mayConnect()) return NOT_SENT;
          slot.messages = 0;
          const failed = await connect(slot);
          if (failed) return failed;
        }
        if (hooks?.ready && !(await hooks.ready())) return NOT_SENT;
        // The connection may have been closed by the server while we waited.
        if (!slot.conn) {
          if (hooks?.mayConnect && !hooks.mayConnect()) return NOT_SENT;
          const failed = await connect(slot);
          if (failed) return failed;
        }
        return await sendOn(slot, msg);
      } finally {
        release(slot);
      }
    },
    async probe() {
      if (closed) return null;
      const slot = await acquire();
      try {
        if (slot.conn) return null;
        slot.messages = 0;
        return await connect(slot);
      } finally {
        release(slot);
      }
    },
    async close() {
      closed = true;
      for (const s of slots) {
        if (s.conn) s.conn.quit();
        s.conn = null;
      }
    },
  };
}
