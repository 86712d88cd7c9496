import path from 'node:path';
import type { Command } from 'commander';
import { SudiError } from '../../errors.ts';
import type { CliContext } from '../context.ts';

/**
 * `sudi migrate-store --from sqlite:PATH --to postgres://…`: moves a whole Store (subscribers with
 * their ids, statuses and timestamps; every Send and Delivery) to PostgreSQL in one transaction.
 */
export function registerMigrateStore(program: Command, ctx: CliContext): void {
  program
    .command('migrate-store')
    .description('copy every subscriber, send and delivery from a SQLite database into PostgreSQL (one transaction)')
    .requiredOption('--from <url>', 'the source, sqlite:PATH (e.g. sqlite:data/sudi.db)')
    .requiredOption('--to <url>', 'the target, postgres://USER@HOST/DB (tables are created if missing)')
    .option('--force', 'replace whatever the target already holds (otherwise a non-empty target is refused)')
    .action(async (opts: { from: string; to: string; force?: boolean }) => {
      const { redactUrl } = await import('../../store/postgres/db.ts');
      if (!opts.from.startsWith('sqlite:') || opts.from.length === 'sqlite:'.length) {
        throw new SudiError('E_USAGE', `--from ${opts.from} is not a SQLite URL (expected sqlite:PATH, e.g. sqlite:data/sudi.db)`);
      }
      if (!/^postgres(ql)?:\/\/.+/.test(opts.to)) {
        throw new SudiError('E_USAGE', `--to ${redactUrl(opts.to)} is not a PostgreSQL URL (expected postgres://USER@HOST/DB)`);
      }
      const file = path.resolve(ctx.cwd, opts.from.slice('sqlite:'.length));
      const { copySqliteToPostgres } = await import('../../store/copy-store.ts');
      const started = performance.now();
      const report = await copySqliteToPostgres(file, opts.to, { force: Boolean(opts.force) });
      for (const t of report.tables) ctx.out(`${t.name}: ${t.rows} row(s)`);
      ctx.out(`copied ${file} to ${redactUrl(opts.to)} in ${((performance.now() - started) / 1000).toFixed(1)} s; point DATABASE_URL at it`);
    });
}
