import type { Command } from 'commander';
import type { FetchOptions } from '../../sources/run-fetch.ts';
import { withIssuesOption, type CliContext } from '../context.ts';

/** `sudi fetch`: fill or extend an issue file from arXiv and Hugging Face. */
export function registerFetch(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('fetch'))
    .description('fill or extend a draft issue from arXiv and Hugging Face, and print its path')
    .option('--arxiv <ids>', 'arXiv ids separated by commas (2404.08634,2404.08197): title, abstract, authors, categories, dates, links')
    .option('--week <YYYY-MM-DD>', 'with --arxiv: the issue of the week starting that Monday (default: this week in TZ)')
    .option('--into <file>', 'the issue file to fill (issues/YYYY-MM-DD.md); created as a draft when missing')
    .option('--hf-date <YYYY-MM-DD>', "Hugging Face's daily papers of that day, into that day's week")
    .option('--hf-week <YYYY-Www>', "Hugging Face's papers of that ISO week (e.g. 2024-W16)")
    .option('--top <N>', 'with --hf-*: keep the N most upvoted papers')
    .option('--min-upvotes <N>', 'with --hf-*: keep papers with at least N upvotes (default 45, the digest\'s rule)')
    .option('--enrich <file>', 'fill what the papers of an issue file lack (papers without an id are found by exact title)')
    .option('--refresh', 'ask the sources again instead of reusing the answers cached under DATA_DIR/cache/sources')
    .action(async (opts: FetchOptions & { issues: string; refresh?: boolean }) => {
      const [{ parseFetchOptions, runFetch }, { sourcesFor }, { localDate }, { translatorFor }] = await Promise.all([
        import('../../sources/run-fetch.ts'),
        import('../../sources/paper-sources.ts'),
        import('../../time.ts'),
        import('../translator.ts'),
      ]);
      const config = await ctx.config(opts);
      const req = parseFetchOptions(opts, { cwd: ctx.cwd, issuesDir: config.issuesDir, today: localDate(ctx.now(), config.tz) });
      const sources = sourcesFor(config, { refresh: opts.refresh, signal: ctx.shutdownSignal, now: ctx.now });
      const log = (line: string) => ctx.err(`sudi: ${line}`);
      const r = await runFetch(req, { config, sources, log: ctx.err, translate: await translatorFor(config, log) });
      for (const line of r.lines) ctx.err(`sudi: ${line}`);
      ctx.err(`sudi: ${r.created ? 'wrote' : 'updated'} ${r.file}`);
      if (r.needs.length > 0) {
        ctx.err(`sudi: still needs a person (${r.needs.length} paper(s)):`);
        for (const line of r.needs) ctx.err(`  ${line}`);
      }
      ctx.out(r.file);
    });
}
