import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { App } from '../../app.ts';
import type { DeliveryProgress, DeliveryReport } from '../../delivery/send-issue.ts';
import { SudiError } from '../../errors.ts';
import type { Issue, Lang } from '../../model.ts';
import { ExitCode, withIssuesOption, type CliContext } from '../context.ts';

/** Exit code of a `sudi send` that waited as long as --retry-wait allows and left its Send unfinished (EX_TEMPFAIL). */
export const EXIT_NOT_FINISHED = 75;

/**
 * `sudi send ISSUE|latest`: starts the Send of an issue, or resumes it, and delivers it. The ledger
 * makes a rerun after Ctrl-C, SIGTERM or kill -9 pick up where it stopped. Asking for it by hand
 * is explicit: a paused Send resumes at once.
 */
export function registerSend(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('send'))
    .argument('<issue>', 'issue id (e.g. 2024-04-15) or latest (the newest ready issue)')
    .description('send an issue to every confirmed subscriber, or resume its send; Ctrl-C stops claiming and lets messages in flight finish')
    .option('--dry-run', 'send nothing: print recipients by language, subject, message size and problems found')
    .option('--to <address>', 'send one test copy to this address (drafts too) without touching the ledger')
    .option('--lang <edition>', 'with --to: the language edition of the test copy: zh, en or both', 'both')
    .option('--no-wait', 'only create the send; the scheduler (sudi serve, sudi run-due) or a sudi worker delivers it')
    .option('--retry-wait <seconds>', `wait at most this long in all for retries, a paused send or the SMTP relay to come back; then exit ${EXIT_NOT_FINISHED} with what is left`, '900')
    .action(async (ref: string, opts: { issues: string; dryRun?: boolean; to?: string; lang: string; wait: boolean; retryWait: string }) => {
      const retryWait = Number(opts.retryWait);
      if (!Number.isFinite(retryWait) || retryWait < 0) {
        throw new SudiError('E_USAGE', `--retry-wait ${opts.retryWait} is not a number of seconds (e.g. --retry-wait 900, or 0 to stop once nothing is due)`);
      }
      await ctx.withApp(opts, async (app) => {
        const { findIssue } = await import('../../content/load-issues.ts');
        const issue = await findIssue(app.config.issuesDir, ref);
        if (opts.dryRun) {
          const { describeDryRun, dryRunManifest } = await import('../../delivery/dry-run.ts');
          for (const line of describeDryRun(await dryRunManifest(app, issue))) ctx.out(line);
          return;
        }
        if (opts.to !== undefined) return sendTestCopy(ctx, app, issue, opts.to, opts.lang);
        if (issue.status !== 'ready') {
          throw new SudiError('E_USAGE', `issue ${issue.id} is a draft (${issue.source}: status: draft); set status: ready to send it (or send yourself a test copy with --to ADDRESS)`);
        }
        if (Date.parse(issue.publish_at) > app.now().getTime()) {
          ctx.err(`note: ${issue.id} is due at ${issue.publish_at}; sending it now because you asked (the archive and feeds show it once it is due)`);
        }
        if (!app.config.smtpUrl) ctx.err(`note: no SMTP_URL set: messages are written to ${app.config.outboxDir} as .eml files`);

        const { resumePausedSend, runDeliveries, startIssueSend } = await import('../../delivery/send-issue.ts');
        const { send, created } = await startIssueSend(app, issue, 'cli');
        const store = await app.store();
        const before = await store.deliveryCounts(issue.id);
        if (send.finishedAt) {
          ctx.out(`${issue.id} was already sent (finished ${send.finishedAt.toISOString()}): ${before.accepted} accepted, ${before.failed} failed, ${before.suppressed} suppressed, ${before.unknown} unknown; see sudi status ${issue.id}`);
          return;
        }
        const lifted = await resumePausedSend(app, issue.id);
        if (lifted) {
          ctx.out(`the send of ${issue.id} was paused until ${lifted.pausedUntil.toISOString()} (${lifted.reason ?? 'no reason recorded'}); resuming it now because you asked, its deferred deliveries due at once`);
        }
        ctx.out(
          created
            ? `started the send of ${issue.id} to ${send.total} subscriber(s) via ${app.transport().description}`
            : `resuming the send of ${issue.id} (started ${send.createdAt.toISOString()} by ${send.trigger}; ${before.accepted} of ${send.total} accepted so far)`,
        );
        if (!opts.wait) {
          ctx.out('not waiting (--no-wait): the scheduler (sudi serve / sudi run-due) or a sudi worker delivers it');
          return;
        }
        const bar = await progressBar(ctx);
        let report: DeliveryReport;
        try {
          report = await runDeliveries(app, { issueId: issue.id, signal: ctx.shutdownSignal, retryWaitMs: retryWait * 1000, onProgress: bar?.update });
        } finally {
          bar?.stop();
        }
        for (const line of describeReport(report)) ctx.out(line);
        if (report.stopped) {
          ctx.out(`stopped: run \`sudi send ${issue.id}\` again to resume`);
          throw new ExitCode(130);
        }
        if (!report.finished) {
          ctx.out(
            `not finished after waiting up to --retry-wait ${retryWait} s: \`sudi send ${issue.id}\` resumes it now (a paused send too), ` +
              'or the scheduler (sudi serve / sudi run-due) or a sudi worker continues it when it is due',
          );
          throw new ExitCode(EXIT_NOT_FINISHED);
        }
      });
    });
}

/** The end of a run in the ledger's words: totals per state, what this run did, and what is left and why. */
export function describeReport(r: DeliveryReport): string[] {
  const c = r.counts;
  const lines = [
    `${r.issueIds.join(', ') || 'nothing to send'}: ${c.accepted} accepted, ${c.deferred} deferred, ${c.failed} failed, ${c.suppressed} suppressed, ${c.unknown} unknown` +
      (c.queued > 0 ? `, ${c.queued} queued (not attempted yet)` : '') +
      (c.sending > 0 ? `, ${c.sending} sending (leased by a sender)` : ''),
    `this run: ${r.run.attempted} message(s) handed to SMTP, ${r.run.accepted} accepted in ${(r.durationMs / 1000).toFixed(1)} s (${r.rate.toFixed(1)} messages/s)` +
      (r.run.notSent > 0 ? `; ${r.run.notSent} claimed and put back unsent (not counted as attempts)` : ''),
  ];
  if (r.finished) {
    lines.push('send finished');
    return lines;
  }
  if (r.outage) {
    lines.push(`SMTP relay unreachable since ${r.outage.since.toISOString()}: ${r.outage.reason}; next probe at ${r.outage.until.toISOString()}`);
  }
  for (const p of r.paused) lines.push(`send of ${p.issueId} paused until ${p.until.toISOString()}: ${p.reason ?? 'no reason recorded'}`);
  const waiting = [c.deferred > 0 ? `${c.deferred} deferred deliveries wait for their retry` : '', r.resendsPending > 0 ? `${r.resendsPending} unknown for their one resend` : ''].filter(Boolean);
  if (waiting.length > 0) lines.push(`${waiting.join(' and ')}${r.nextRetryAt ? `; the next is due at ${r.nextRetryAt.toISOString()}` : ''}`);
  return lines;
}

/** A bar on a terminal (done/total, rate, ETA); nothing when output goes to a file or pipe. */
async function progressBar(ctx: CliContext): Promise<{ update: (p: DeliveryProgress) => void; stop: () => void } | null> {
  if (!ctx.stderr.isTTY) return null;
  const [{ default: cliProgress }, { doneCount }] = await Promise.all([import('cli-progress'), import('../../delivery/progress.ts')]);
  const bar = new cliProgress.SingleBar(
    {
      stream: ctx.stderr as NodeJS.WriteStream,
      // done = accepted + failed + suppressed + unknown, the ledger's own counts (progress.ts).
      format: '{bar} {value}/{total} done | {rate}/s | ETA {eta_formatted} | accepted {accepted} failed {failed} suppressed {suppressed} unknown {unknown} deferred {deferred}',
      hideCursor: true,
      etaBuffer: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const c = p.counts;
      const done = doneCount(p);
      const payload = { rate: p.rate.toFixed(0), accepted: c.accepted, failed: c.failed, suppressed: c.suppressed, unknown: c.unknown, deferred: c.deferred };
      if (!started) {
        bar.start(p.total, done, payload);
        started = true;
      } else bar.update(done, payload);
    },
    stop: () => started && bar.stop(),
  };
}

const LANGS: readonly Lang[] = ['zh', 'en', 'both'];

/** One copy to one address, outside the ledger: to look at the real thing in a real mail client. */
async function sendTestCopy(ctx: CliContext, app: App, issue: Issue, address: string, edition: string): Promise<void> {
  if (!/^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/.test(address)) {
    throw new SudiError('E_USAGE', `--to ${address} is not an email address (expected e.g. --to you@example.org)`);
  }
  if (!(LANGS as readonly string[]).includes(edition)) throw new SudiError('E_USAGE', `--lang ${edition} is not a language edition (expected zh, en or both)`);
  const lang = edition as Lang;
  const { parseMailFrom } = await import('../../delivery/message.ts');
  const factory = await (await app.issueMessages()).factory(issue.id, lang);
  const domain = parseMailFrom(app.config.mailFrom).address.split('@')[1];
  // Subscriber id 0 exists for nobody: the unsubscribe link in a test copy unsubscribes no one.
  const msg = factory.build({ subscriberId: 0, email: address }, { now: app.now(), messageId: `<test.${randomBytes(9).toString('base64url')}.${issue.id}@${domain}>` });
  const result = await app.transport().send(msg);
  if (!result.accepted) throw new SudiError('E_SMTP', `test copy of ${issue.id} to ${address} was not accepted: ${result.response}`);
  ctx.out(`test copy of ${issue.id} (${lang}) sent to ${address} via ${app.transport().description}: ${result.response}`);
  ctx.out('its personal links belong to no subscriber; the ledger was not touched');
}
