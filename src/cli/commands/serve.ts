import path from 'node:path';
import type { Command } from 'commander';
import type { App } from '../../app.ts';
import type { RunningServer } from '../../http/server.ts';
import { withIssuesOption, type CliContext } from '../context.ts';

/**
 * Work that runs beside the web server for as long as it does. Each hook starts after the server
 * listens and returns a stop function, awaited at shutdown before the Store closes.
 *
 * The delivery engine's scheduler goes here (one line), e.g.:
 *   async (app) => startScheduler(app, { log: app.log }),
 */
export type OnStarted = (app: App, server: RunningServer, ctx: CliContext) => Promise<(() => Promise<void>) | void>;
export const ON_STARTED: OnStarted[] = [
  async (app) => {
    const { startAppScheduler } = await import('../../schedule/scheduler.ts');
    const scheduler = startAppScheduler(app, { log: app.log });
    return () => scheduler.stop();
  },
];

/** DRAFT_SCHEDULE: the week's draft from Hugging Face, when set (translated when TRANSLATE_* is set). */
export const startDraftHook: OnStarted = async (app) => {
  if (!app.config.draft) return;
  const [{ startDraftScheduler }, { translatorFor }] = await Promise.all([import('../../schedule/draft-schedule.ts'), import('../translator.ts')]);
  const scheduler = startDraftScheduler(app, { log: app.log, translate: await translatorFor(app.config, app.log) });
  return scheduler ? () => scheduler.stop() : undefined;
};
ON_STARTED.push(startDraftHook);

/**
 * `sudi serve` (`npm start`): builds the Archive and Feeds into PUBLIC_DIR, then serves them with
 * the subscribe/confirm/unsubscribe endpoints until SIGINT/SIGTERM, then shuts down gracefully
 * (in-flight requests and confirmation mail finish; the Store closes last).
 */
export function registerServe(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('serve'))
    .description('build public/, then serve the archive, feeds and subscription pages on HOST:PORT until stopped')
    .option('--no-build', 'serve PUBLIC_DIR as it is, without building it first')
    .action(async (opts: { issues: string; build: boolean }) =>
      ctx.withApp({ ...opts, service: true }, async (app) => {
        const { config } = app;
        const [{ startServer }, { buildAndWrite }, { describeClientAddress }, { describeHubReport }] = await Promise.all([
          import('../../http/server.ts'),
          import('../../publish.ts'),
          import('../../http/trust-proxy.ts'),
          import('../../websub/notify.ts'),
        ]);
        if (opts.build) {
          const report = await buildAndWrite(config, ctx.now());
          ctx.out(`built ${report.files} file(s) into ${report.outDir}: ${report.published.length} issue(s) published`);
          const hub = await report.websub;
          if (hub) for (const l of describeHubReport(hub)) (l.level === 'warn' ? ctx.err.bind(ctx) : ctx.out.bind(ctx))(l.msg);
        }
        const secretFrom = config.secret ? 'SECRET' : path.join(config.dataDir, 'secret');
        await app.secret(); // generates (and warns) now, not on the first visitor's request
        await app.dkim(); // a bad key fails now, not at the first send
        const server = await startServer(app, { signal: ctx.shutdownSignal });
        ctx.out(`serving ${config.publicDir} at ${server.url} (public address ${config.siteUrl})`);
        ctx.out(`store: ${redactDatabaseUrl(config.databaseUrl)}`);
        ctx.out(`mail: ${app.transport().description}`);
        ctx.out(`links signed with the secret from ${secretFrom}`);
        ctx.out(`sign-ups limited to ${config.subscribeRateLimit}/min per client IP; ${describeClientAddress(config)}`);

        const stops: (() => Promise<void>)[] = [];
        try {
          for (const hook of ON_STARTED) {
            const stop = await hook(app, server, ctx);
            if (stop) stops.push(stop);
          }
        } catch (e) {
          await server.close();
          throw e;
        }
        await server.closed;
        for (const stop of stops.reverse()) await stop();
        ctx.out('stopped');
      }),
    );
}

function redactDatabaseUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
