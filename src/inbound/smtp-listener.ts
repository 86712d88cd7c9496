/**
 * `sudi inbound`'s SMTP server (smtp-server): where an MX record or a Postfix transport sends
 * BOUNCE_DOMAIN's mail. It accepts only our return addresses at BOUNCE_DOMAIN, postmaster and
 * abuse (no relay: anything else is refused at RCPT TO), refuses messages over INBOUND_MAX_BYTES at DATA (552), and answers 250 only
 * once the event is in the Store; a Store failure is answered 451 so the sending MTA tries again.
 * An unreadable message is set aside and answered 250: retrying it would not make it readable.
 */
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { readReturnAddress } from './addresses.ts';
import type { Intake } from './intake.ts';

export interface SmtpListenerOptions {
  host: string;
  port: number;
  bounceDomain: string;
  maxBytes: number;
  intake: Intake;
  log: (line: string) => void;
}

export interface SmtpListener {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

class SmtpReply extends Error {
  readonly responseCode: number;

  constructor(responseCode: number, message: string) {
    super(message);
    this.responseCode = responseCode;
  }
}

export async function startSmtpListener(opts: SmtpListenerOptions): Promise<SmtpListener> {
  const domain = opts.bounceDomain.toLowerCase();
  const server = new SMTPServer({
    name: domain,
    banner: 'Sudi inbound (bounces, complaints, unsubscribes)',
    size: opts.maxBytes,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const at = address.address.lastIndexOf('@');
      if (at < 0 || address.address.slice(at + 1).toLowerCase() !== domain) {
        return callback(new SmtpReply(550, `5.7.1 relay not permitted: this server takes mail for ${domain} only`));
      }
      // Only our return addresses (signed or not: a bad signature is logged after reading) and the
      // addresses RFC 5321 and RFC 2142 require; nothing else at the domain is stored.
      const local = address.address.slice(0, at).toLowerCase();
      if (!readReturnAddress(address.address, domain) && local !== 'postmaster' && local !== 'abuse') {
        return callback(new SmtpReply(550, `5.1.1 no such mailbox here (this server takes bounces+…@${domain} and unsubscribe+…@${domain})`));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          opts.log(`inbound: smtp refused a message over ${opts.maxBytes} bytes from ${session.remoteAddress}`);
          return callback(new SmtpReply(552, `5.3.4 message exceeds the fixed limit of ${opts.maxBytes} bytes`));
        }
        const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
        opts.intake.take(raw, { source: 'smtp', envelopeTo }).then(
          () => callback(null, 'queued: read by Sudi'),
          (e: Error) => {
            opts.log(`inbound: smtp could not record a message (${e.message}); asked the sender to retry`);
            callback(new SmtpReply(451, '4.3.0 temporary failure recording the message; try again later'));
          },
        );
      });
    },
  });
  server.on('error', (e) => opts.log(`inbound: smtp error: ${e.message}`));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
