import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { DeliveryReport } from '../../delivery/send-issue.ts';
import { SudiError } from '../../errors.ts';
import { withIssuesOption, type CliContext } from '../context.ts';

/**
 * `sudi worker`: a long-running sender. It works the ledger of every unfinished Send through the
 * same delivery engine as `sudi send` (claim a batch, send, record each outcome), then waits for
 * more. Run any number of them, on any machines, against one PostgreSQL: claims never overlap
 * (SKIP LOCKED), a dead worker's leases expire and are taken over, and SEND_RATE holds for the
 * whole fleet (slots reserved in PostgreSQL). SIGTERM stops claiming, lets the messages in flight
 * finish and be recorded, and exits 0.
 */
export function registerWorker(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('worker'))
    .description('send the queued deliveries of every unfinished send, then wait for more (run one or many against one PostgreSQL)')
    .option('--poll <seconds>', 'how long to wait between looks for new work when idle', '5')
    .option('--once', 'exit when nothing is due now instead of waiting for more work')
    .action(async (opts: { issues: string; poll: string; once?: boolean }) => {
      const pollSeconds = Number(opts.poll);
      if (!Number.isFinite(pollSeconds) || pollSeconds <= 0 || pollSeconds > 3600) {
        throw new SudiError('E_USAGE', `--poll ${opts.poll} is not a number of seconds between 0 and 3600 (e.g. --poll 5)`);
      }
      const pollMs = pollSeconds * 1000;
      const signal = ctx.shutdownSignal;
      await ctx.withApp({ ...opts, service: true }, async (app) => {
        const [{ newOwnerId }, { runDeliveries }, { logEvent }] = await Promise.all([
          import('../../delivery/lease-owner.ts'),
          import('../../delivery/send-issue.ts'),
          import('../../log.ts'),
        ]);
        // Opened up front: a worker that cannot reach its database should fail at once (and be
        // restarted by systemd or Kubernetes), not idle pretending to work.
        const store = await app.store();
        const rate = app.config.sendRate;
        const owner = newOwnerId();
        // The engine takes the Store's shared pacer: on PostgreSQL the cap holds for every sender.
        const rateNote = rate > 0 ? `${rate}/s ${store.sharedPacer ? 'for the whole fleet' : 'for this process (SQLite)'}` : 'no rate cap';
        const log = app.log;
        logEvent(log, 'info', { worker: owner, store: store.kind, sendRate: rate, leaseSeconds: app.config.leaseSeconds }, `worker ${owner}: ${store.kind} store, ${app.transport().description}, ${rateNote}, lease ${app.config.leaseSeconds} s`);

        // Each Issue is rendered once per worker, on first need, and reused by every pass: an idle
        // worker polling a Send that waits for retries costs a query, not an MJML run.
        const messages = await app.issueMessages();
        const total = { attempted: 0, notSent: 0, accepted: 0, deferred: 0, failed: 0, suppressed: 0, unknown: 0 };
        // Shared with every pass: a relay outage is ridden out once (backoff, probe), not found again per pass.
        const relay = app.relay();
        const started = performance.now();
        let failures = 0;
        while (!signal.aborted) {
          let report: DeliveryReport;
          try {
            report = await runDeliveries(app, { owner, signal, messages, retryWaitMs: pollMs });
            failures = 0;
          } catch (e) {
            // A lost database connection or an SMTP relay gone mad: leases held by this pass expire
            // and are taken over; back off and try again rather than exit.
            failures++;
            const wait = Math.min(pollMs * 2 ** (failures - 1), 60_000);
            logEvent(log, 'error', { worker: owner, err: e, retryInMs: wait }, `worker ${owner}: ${(e as Error).message}; trying again in ${(wait / 1000).toFixed(0)} s`);
            await sleep(wait, undefined, { signal }).catch(() => {});
            continue;
          }
          const r = report.run;
          for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k];
          const worked = r.attempted + r.suppressed > 0;
          if (worked) {
            logEvent(
              log,
              'info',
              { worker: owner, issues: report.issueIds, deliveryStates: { accepted: r.accepted, deferred: r.deferred, failed: r.failed, suppressed: r.suppressed, unknown: r.unknown }, durationMs: Math.round(report.durationMs) },
              `worker ${owner}: ${report.issueIds.join(', ')}: ${r.accepted} accepted, ${r.deferred} deferred, ${r.failed} failed, ` +
                `${r.suppressed} suppressed, ${r.unknown} unknown in ${(report.durationMs / 1000).toFixed(1)} s (${report.rate.toFixed(0)}/s)`,
            );
          }
          if (report.outage) logEvent(log, 'warn', { worker: owner, relayDownUntil: report.outage.until.toISOString() }, `worker ${owner}: SMTP relay unreachable: ${report.outage.reason}; next probe at ${report.outage.until.toISOString()}`);
          if (opts.once && !worked) break;
          // Idle: look again after --poll, or when the relay is due for its next probe (a timer either way).
          if (!worked) await relay.sleep(report.outage ? report.outage.until.getTime() - app.now().getTime() : pollMs, signal);
        }
        const seconds = (performance.now() - started) / 1000;
        ctx.out(
          `worker ${owner} stopped after ${seconds.toFixed(1)} s: ${total.accepted} accepted, ${total.deferred} deferred, ` +
            `${total.failed} failed, ${total.suppressed} suppressed, ${total.unknown} unknown`,
        );
      });
    });
}
