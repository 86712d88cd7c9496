/**
 * A real SMTP server (smtp-server, 127.0.0.1, port 0) for runs of tens of thousands of messages:
 * it keeps who got what (envelope recipient, Message-ID, arrival time), not the bodies, so memory
 * stays small. Every `sampleEvery`-th message's header block is kept for an independent parser.
 * `replyDelayMs` makes the server slow to answer the final dot (messages stay in flight longer).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Arrival {
  to: string;
  messageId: string | null;
  at: number;
}

export interface SmtpCounter {
  url: string;
  arrivals: Arrival[];
  /** Header blocks (raw, up to the blank line) of every `sampleEvery`-th message. */
  samples: { arrival: Arrival; header: string }[];
  waitFor(n: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpCounter(opts: { sampleEvery?: number; replyDelayMs?: number } = {}): Promise<SmtpCounter> {
  const sampleEvery = opts.sampleEvery ?? 500;
  const arrivals: Arrival[] = [];
  const samples: SmtpCounter['samples'] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    maxClients: 500,
    size: 20 * 1024 * 1024,
    onData(stream, session, cb) {
      // Only the header block is kept; the rest of the message is read and dropped.
      let head = '';
      let headDone = false;
      stream.on('data', (chunk: Buffer) => {
        if (headDone) return;
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end >= 0) [head, headDone] = [head.slice(0, end), true];
      });
      stream.on('end', () => {
        const arrival: Arrival = {
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          messageId: /^Message-ID:[ \t]*(.+)$/im.exec(head)?.[1]?.trim() ?? null,
          at: Date.now(),
        };
        arrivals.push(arrival);
        if (arrivals.length % sampleEvery === 0) samples.push({ arrival, header: `${head}\r\n\r\n` });
        for (const w of waiters.filter((x) => arrivals.length >= x.n)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
        const n = arrivals.length;
        if (opts.replyDelayMs) setTimeout(() => cb(null, `queued as ${n}`), opts.replyDelayMs);
        else cb(null, `queued as ${n}`);
      });
    },
  });
  // A client killed mid-message (the SIGKILL tests) resets its connection: expected, not a failure.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    arrivals,
    samples,
    waitFor(n, timeoutMs) {
      if (arrivals.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${n} messages, got ${arrivals.length}`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of (server as unknown as { connections: Set<{ _socket?: { destroy(): void } }> }).connections ?? []) c._socket?.destroy();
        server.close(() => resolve());
      }),
  };
}
