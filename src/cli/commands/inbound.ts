import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { SudiError } from '../../errors.ts';
import type { Intake } from '../../inbound/intake.ts';
import { ExitCode, type CliContext } from '../context.ts';

/**
 * `sudi inbound --file MESSAGE.eml …` reads saved messages (bounces, complaints, auto-replies,
 * mailto unsubscribes) into the ledger; `sudi inbound --imap-once` reads INBOUND_IMAP_URL's
 * mailbox once; `sudi inbound` alone runs the SMTP server for BOUNCE_DOMAIN on
 * INBOUND_HOST:INBOUND_PORT (and polls INBOUND_IMAP_URL when set) until stopped.
 */
export function registerInbound(program: Command, ctx: CliContext): void {
  program
    .command('inbound')
    .description('read bounces, complaints and mailto unsubscribes: from saved messages (--file), or as an SMTP server for BOUNCE_DOMAIN')
    .option('--file <message.eml...>', 'read these saved RFC 5322 messages and stop')
    .option('--imap-once', 'read the mailbox of INBOUND_IMAP_URL once and stop (for cron)')
    .action(async (opts: { file?: string[]; imapOnce?: boolean }) =>
      // Only the SMTP server (and its IMAP polling) is a service with a structured log; reading
      // files or one IMAP poll are one-shot commands with plain lines.
      ctx.withApp({ service: !opts.file && !opts.imapOnce }, async (app) => {
        // Loaded here, not at start-up: mailparser, smtp-server and imapflow cost every other command time.
        const [{ createIntake }, { parseImapUrl, pollImapOnce, startImapPolling }, { startSmtpListener }] = await Promise.all([
          import('../../inbound/intake.ts'),
          import('../../inbound/imap-poller.ts'),
          import('../../inbound/smtp-listener.ts'),
        ]);
        const intake = createIntake({ config: app.config, secret: await app.secret(), store: await app.store(), now: ctx.now, log: app.log });
        if (opts.file) return readFiles(intake, opts.file, app.config.inboundMaxBytes, ctx);
        const { config } = app;
        const imap = config.inboundImapUrl ? parseImapUrl(config.inboundImapUrl) : undefined;
        if (opts.imapOnce) {
          if (!imap) throw new SudiError('E_CONFIG', '--imap-once needs INBOUND_IMAP_URL (e.g. imaps://bounces:PASSWORD@imap.example.org/INBOX)');
          const r = await pollImapOnce(imap, { intake, maxBytes: config.inboundMaxBytes, log: app.log });
          ctx.out(`imap ${imap.host}/${imap.mailbox}: ${r.taken} read and moved to ${imap.processed}, ${r.rejected} set aside, ${r.left} left for the next poll`);
          if (r.left > 0) throw new ExitCode(1);
          return;
        }
        const listener = await startSmtpListener({
          host: config.inboundHost,
          port: config.inboundPort,
          bounceDomain: config.bounceDomain,
          maxBytes: config.inboundMaxBytes,
          intake,
          log: app.log,
        });
        ctx.out(`inbound: SMTP on ${config.inboundHost}:${listener.port} for ${config.bounceDomain} (messages up to ${config.inboundMaxBytes} bytes)`);
        const polling = imap
          ? startImapPolling(imap, { intake, maxBytes: config.inboundMaxBytes, intervalMs: config.inboundImapInterval * 1000, log: app.log, signal: ctx.shutdownSignal })
          : Promise.resolve();
        if (imap) ctx.out(`inbound: polling ${imap.host}/${imap.mailbox} every ${config.inboundImapInterval} s`);
        await new Promise<void>((resolve) => {
          if (ctx.shutdownSignal.aborted) resolve();
          else ctx.shutdownSignal.addEventListener('abort', () => resolve(), { once: true });
        });
        await Promise.all([listener.close(), polling]);
        ctx.out('stopped');
      }),
    );
}

/** One line per file; a file that cannot be read is named with the reason and the others still go in (exit 2). */
async function readFiles(intake: Intake, files: string[], maxBytes: number, ctx: CliContext): Promise<void> {
  let bad = 0;
  for (const file of files) {
    let raw: Buffer;
    try {
      const { size } = await stat(file);
      if (size > maxBytes) {
        ctx.err(`${file}: ${size} bytes, over INBOUND_MAX_BYTES (${maxBytes}); not read (raise INBOUND_MAX_BYTES to read it)`);
        bad++;
        continue;
      }
      raw = await readFile(file);
    } catch (e) {
      ctx.err(`${file}: cannot read: ${(e as Error).message} (expected a saved message, e.g. bounce.eml)`);
      bad++;
      continue;
    }
    const r = await intake.take(raw, { source: 'file' });
    if (!r.ok) {
      ctx.err(`${file}: ${r.error}; set aside as ${r.setAsideAt}`);
      bad++;
      continue;
    }
    const e = r.result.event;
    const who = e.subscriberId === null ? '' : ` subscriber #${e.subscriberId}${e.issueId ? ` issue ${e.issueId}` : ''}`;
    ctx.out(`${file}: ${e.kind}${e.status ? ` ${e.status}` : ''}${who}: ${r.result.recorded ? e.outcome : 'seen before, nothing changed'}`);
  }
  if (bad > 0) throw new ExitCode(2);
}
