import type { Command } from 'commander';
import { ExitCode, withIssuesOption, type CliContext } from '../context.ts';

/**
 * `sudi run-due`: one scheduler tick, then exit (for system cron or a Kubernetes CronJob): rebuild
 * the site and feeds, then send every ready issue that is due and not yet sent, and resume
 * unfinished sends. Running it twice at once sends nothing twice.
 */
export function registerRunDue(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('run-due'))
    .description('one scheduler tick: rebuild public/, send every ready issue that is due and not yet sent, resume unfinished sends')
    .option('--no-build', 'do not rebuild public/ first')
    .action(async (opts: { issues: string; build: boolean }) =>
      ctx.withApp(opts, async (app) => {
        const [{ describeTick }, { runDue }] = await Promise.all([import('../../schedule/scheduler.ts'), import('../../schedule/run-due.ts')]);
        const r = await runDue(app, { signal: ctx.shutdownSignal, build: opts.build, delivery: { retryWaitMs: 0 } });
        if (r.built) ctx.out(`built ${r.built.files} file(s): ${r.built.published} issue(s) published`);
        if (r.delivered.length === 0) ctx.out('nothing due to send');
        describeTick(r, (line) => ctx.out(line.replace(/^schedule: /, '')));
        if (r.notDue.length > 0) ctx.out(`not yet due: ${r.notDue.join(', ')}`);
        if (ctx.shutdownSignal.aborted) {
          ctx.out('stopped: run it again to resume');
          throw new ExitCode(130);
        }
      }),
    );
}
