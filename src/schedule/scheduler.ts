/**
 * The weekly schedule: node-cron runs a tick on SCHEDULE in TZ; each tick is run-due (rebuild, then
 * send what is due). One tick at start catches up whatever was missed while the process was down,
 * once. Ticks never overlap: a tick that comes while the previous one still runs is skipped (and
 * the ledger's unique Send per Issue keeps other processes from sending twice as well).
 *
 * The cron library and the tick are injectable, so tests drive ticks with their own clock.
 */
import cron from 'node-cron';
import { SudiError } from '../errors.ts';
import { logEvent, type LineLog } from '../log.ts';
import { runDue, type RunDueDeps, type RunDueReport } from './run-due.ts';
import { describeHubReport } from '../websub/notify.ts';

export interface CronLike {
  schedule(expression: string, fn: () => unknown, options: { timezone: string; name?: string }): { stop(): unknown };
  validate(expression: string): boolean;
}

export interface SchedulerOptions {
  expression: string;
  timezone: string;
  tick: (signal: AbortSignal) => Promise<void>;
  log: LineLog;
  /** Run one tick right away (catch-up after downtime); default true. */
  catchUp?: boolean;
  /** The setting the expression came from, for the error message (default SCHEDULE). */
  setting?: string;
  cron?: CronLike;
}

export interface Scheduler {
  /** Runs a tick now unless one is running: 'ran' or 'skipped'. */
  tickNow(): Promise<'ran' | 'skipped'>;
  /** Stops the schedule, asks a running tick to stop claiming, and waits for it. */
  stop(): Promise<void>;
}

export function createScheduler(opts: SchedulerOptions): Scheduler {
  const c = opts.cron ?? (cron);
  if (!c.validate(opts.expression)) {
    throw new SudiError('E_CONFIG', `${opts.setting ?? 'SCHEDULE'} ${JSON.stringify(opts.expression)} is not a cron expression (expected e.g. "0 9 * * 6" for Saturdays at 09:00)`);
  }
  const stopping = new AbortController();
  let running: Promise<void> | null = null;

  const tickNow = async (): Promise<'ran' | 'skipped'> => {
    if (stopping.signal.aborted) return 'skipped';
    if (running) {
      logEvent(opts.log, 'warn', {}, 'schedule: the previous tick is still running; this one is skipped');
      return 'skipped';
    }
    running = (async () => {
      try {
        await opts.tick(stopping.signal);
      } catch (e) {
        logEvent(opts.log, 'error', { err: e }, `schedule: tick failed: ${(e as Error).message}`);
      }
    })();
    try {
      await running;
    } finally {
      running = null;
    }
    return 'ran';
  };

  const task = c.schedule(opts.expression, () => tickNow(), { timezone: opts.timezone, name: 'sudi-run-due' });
  if (opts.catchUp !== false) void tickNow();
  return {
    tickNow,
    async stop() {
      await task.stop();
      stopping.abort();
      await running;
    },
  };
}

/**
 * The scheduler of `sudi serve`: run-due on SCHEDULE in TZ, logging each tick that did something.
 * A Send held by a relay outage or a pause is looked at again when that ends (one extra tick,
 * without the rebuild), not only at the next SCHEDULE time: it resumes within one backoff step.
 */
export function startAppScheduler(app: RunDueDeps, opts: { log: LineLog; cron?: CronLike; catchUp?: boolean }): Scheduler {
  let followUp: NodeJS.Timeout | undefined;
  let rebuild = true;
  const scheduler: Scheduler = createScheduler({
    expression: app.config.schedule,
    timezone: app.config.tz,
    log: opts.log,
    cron: opts.cron,
    catchUp: opts.catchUp,
    tick: async (signal) => {
      const build = rebuild;
      rebuild = true;
      const r = await runDue(app, { signal, build, delivery: { retryWaitMs: 0 } });
      describeTick(r, opts.log);
      const wakeAt = heldUntil(r);
      if (wakeAt === null || signal.aborted) return;
      clearTimeout(followUp);
      followUp = setTimeout(() => {
        rebuild = false;
        void scheduler.tickNow();
      }, Math.max(0, wakeAt.getTime() - app.now().getTime()));
      logEvent(opts.log, 'info', { wakeAt: wakeAt.toISOString() }, `schedule: looking at the held send(s) again at ${wakeAt.toISOString()}`);
    },
  });
  logEvent(opts.log, 'info', { schedule: app.config.schedule, tz: app.config.tz }, `schedule: "${app.config.schedule}" in ${app.config.tz}: rebuild the site and send due issues`);
  return {
    tickNow: () => scheduler.tickNow(),
    async stop() {
      clearTimeout(followUp);
      await scheduler.stop();
      await (await app.runner()).stop();
    },
  };
}

/** When the earliest relay outage or pause of this tick's Sends ends (null: none is held). */
export function heldUntil(r: RunDueReport): Date | null {
  const times = r.delivered.flatMap((d) => [...(d.report.outage ? [d.report.outage.until] : []), ...d.report.paused.map((p) => p.until)]);
  return times.length === 0 ? null : new Date(Math.min(...times.map((t) => t.getTime())));
}

export function describeTick(r: RunDueReport, log: LineLog): void {
  if (r.websub) for (const l of describeHubReport(r.websub)) logEvent(log, l.level, { hub: r.websub.hub }, l.msg);
  for (const d of r.delivered) {
    const c = d.report.counts;
    const fields = {
      issue: d.issueId,
      send: r.started.includes(d.issueId) ? 'started' : 'resumed',
      acceptedThisRun: d.report.run.accepted,
      deliveryStates: c,
      finished: d.report.finished,
      nextRetryAt: d.report.nextRetryAt?.toISOString(),
      pausedUntil: d.report.paused[0]?.until.toISOString(),
    };
    logEvent(
      log,
      d.report.paused.length > 0 ? 'warn' : 'info',
      fields,
      `schedule: ${d.issueId}${r.started.includes(d.issueId) ? ' (started)' : ' (resumed)'}: ${d.report.run.accepted} accepted this run; ` +
        `total ${c.accepted} accepted, ${c.deferred} deferred, ${c.failed} failed, ${c.suppressed} suppressed, ${c.unknown} unknown` +
        (d.report.finished ? ', finished' : d.report.nextRetryAt ? `, next retry due ${d.report.nextRetryAt.toISOString()}` : '') +
        d.report.paused.map((p) => `; paused until ${p.until.toISOString()}: ${p.reason ?? 'no reason recorded'}`).join(''),
    );
  }
}
