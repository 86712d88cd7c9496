/**
 * A real SMTP server (smtp-server) on 127.0.0.1, port 0, that keeps every message it receives and
 * can misbehave on purpose. Faults are decided per message by a function the test sets and can
 * change at any time:
 *
 *   rcpt(address, n)  → refuse RCPT TO with a reply (e.g. 550 5.1.1)
 *   mail(from, n)     → refuse MAIL FROM (e.g. 421 every 500th message: the server closes)
 *   data(msg, n)      → after the whole message arrived: 'accept', a reply to refuse it, 'drop'
 *                       (close the connection without any reply) or 'hang' (never reply); or a
 *                       promise of one of those (a slow relay that answers later)
 *
 * `n` counts MAIL FROM commands (mail), or messages received (data) since the server started.
 * A dropped or hung message was received in full and is kept, with `replied: false`: from the
 * recipient's side it may well have been delivered, which is the point of those faults.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface Captured {
  from: string;
  to: string[];
  raw: Buffer;
  /** The Message-ID header, as written. */
  messageId: string | null;
  /** When the final dot arrived (Date.now()). */
  at: number;
  session: string;
  /** Whether the server answered the final dot at all. */
  replied: boolean;
  /** The reply code the server gave (250 unless a fault refused it), null when it gave none. */
  code: number | null;
}

export interface Reply {
  code: number;
  message: string;
}

export type DataVerdict = 'accept' | 'drop' | 'hang' | Reply;

export interface Faults {
  mail?: (from: string, n: number) => Reply | null;
  rcpt?: (to: string, n: number) => Reply | null;
  data?: (msg: Captured, n: number) => DataVerdict | Promise<DataVerdict>;
}

export interface SmtpCapture {
  port: number;
  url: string;
  messages: Captured[];
  /** Messages the server accepted (250). */
  accepted(): Captured[];
  faults: Faults;
  /** Resolves once `n` messages have arrived (whatever the reply). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const replyError = (r: Reply) => Object.assign(new Error(r.message), { responseCode: r.code });

export interface CaptureOptions {
  /** Keep only the header block of each message (big runs: thousands of 40 KB bodies add up). */
  headersOnly?: boolean;
  /** Do not announce PIPELINING (a server that wants one command at a time). */
  noPipelining?: boolean;
  /** Listen on this port (a relay coming back where a sender expects it); default: any free one. */
  port?: number;
}

export async function startSmtpCapture(faults: Faults = {}, opts: CaptureOptions = {}): Promise<SmtpCapture> {
  const messages: Captured[] = [];
  let mails = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const state = { faults };

  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    // No reverse DNS of 127.0.0.1 per connection: it delays the first message on each connection.
    disableReverseLookup: true,
    hidePIPELINING: opts.noPipelining ?? false,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    size: 50 * 1024 * 1024,
    maxClients: 200,
    onMailFrom(address, _session, cb) {
      const r = state.faults.mail?.(address.address, ++mails);
      cb(r ? replyError(r) : undefined);
    },
    onRcptTo(address, _session, cb) {
      const r = state.faults.rcpt?.(address.address, messages.length + 1);
      cb(r ? replyError(r) : undefined);
    },
    onData(stream, session, cb) {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        const full = Buffer.concat(parts);
        const headerEnd = Math.max(0, full.indexOf('\r\n\r\n'));
        const raw = opts.headersOnly ? Buffer.from(full.subarray(0, headerEnd + 4)) : full;
        const header = full.subarray(0, headerEnd).toString('utf8');
        const msg: Captured = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          messageId: /^Message-ID:\s*(.+)$/im.exec(header)?.[1]?.trim() ?? null,
          at: Date.now(),
          session: session.id,
          replied: true,
          code: 250,
        };
        messages.push(msg);
        for (const w of waiters.filter((x) => messages.length >= x.n)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
        const answer = (verdict: DataVerdict) => {
          if (verdict === 'accept') return cb(null, 'queued as ' + messages.length);
          if (verdict === 'drop') {
            [msg.replied, msg.code] = [false, null];
            return socketOf(server, session)?.destroy();
          }
          if (verdict === 'hang') {
            [msg.replied, msg.code] = [false, null];
            return;
          }
          msg.code = verdict.code;
          cb(replyError(verdict));
        };
        const decided = state.faults.data?.(msg, messages.length) ?? 'accept';
        if (decided instanceof Promise) void decided.then(answer);
        else answer(decided);
      });
    },
  });
  // A client killed mid-session resets its connection: expected in these tests, not a failure.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    accepted: () => messages.filter((m) => m.code === 250),
    get faults() {
      return state.faults;
    },
    set faults(f: Faults) {
      state.faults = f;
    },
    waitFor(n, timeoutMs = 30_000) {
      if (messages.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${n} messages, got ${messages.length}`)), timeoutMs);
        waiters.push({ n, resolve: () => [clearTimeout(t), resolve()] });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connectionsOf(server)) c._socket?.destroy();
        server.close(() => resolve());
      }),
  };
}

type ServerConnection = { session: SMTPServerSession; _socket?: { destroy(): void } };
const connectionsOf = (server: SMTPServer) => [...((server as unknown as { connections: Set<ServerConnection> }).connections ?? [])];
const socketOf = (server: SMTPServer, session: SMTPServerSession) => connectionsOf(server).find((c) => c.session === session)?._socket;
