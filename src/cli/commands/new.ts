import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { SudiError } from '../../errors.ts';
import { addDays, localDate, mondayOf } from '../../time.ts';
import { withIssuesOption, type CliContext } from '../context.ts';

/** `sudi new`: a draft skeleton for the week after the newest issue (or the current week). */
export function registerNew(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('new'))
    .description('write a draft issue skeleton for the next week and print its path')
    .option('--week <YYYY-MM-DD>', 'the week start to use instead of the next one')
    .action(async (opts: { issues: string; week?: string }) => {
      const { loadIssues } = await import('../../content/load-issues.ts');
      const { issueSkeleton, weekStartProblem } = await import('../../content/new-issue.ts');
      const config = await ctx.config(opts);
      await mkdir(config.issuesDir, { recursive: true });
      const { files } = await loadIssues(config.issuesDir);
      const ids = files.map((f) => path.basename(f, '.md')).filter((n) => /^\d{4}-\d{2}-\d{2}$/.test(n)).sort();
      const newest = ids.at(-1);
      let start = opts.week;
      const problem = start === undefined ? null : weekStartProblem(start);
      if (problem) throw new SudiError('E_USAGE', `--week ${problem}`);
      start ??= newest ? addDays(newest, 7) : mondayOf(localDate(ctx.now(), config.tz));
      const file = path.join(config.issuesDir, `${start}.md`);
      try {
        await writeFile(file, issueSkeleton(start, config.tz), { flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new SudiError('E_CONFLICT', `${file} already exists; not overwritten`);
        }
        throw e;
      }
      ctx.out(file);
    });
}
