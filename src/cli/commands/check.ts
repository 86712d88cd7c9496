import type { Command } from 'commander';
import { ExitCode, withIssuesOption, type CliContext } from '../context.ts';

/** `sudi check`: validate every issue file, report every problem, exit 2 if there is any. */
export function registerCheck(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('check'))
    .description('validate every issue file; prints FILE:LINE: field: problem for each problem and exits 2; warns what a draft still lacks and where a glossary term is not used')
    .option('--verbose', 'list every file checked and what it holds')
    .action(async (opts: { issues: string; verbose?: boolean }) => {
      const { loadIssues } = await import('../../content/load-issues.ts');
      const { loadGlossary } = await import('../../content/glossary.ts');
      const { isSudiError } = await import('../../errors.ts');
      const config = await ctx.config(opts);
      // A broken glossary is reported with everything else; the issues are still checked (without it).
      const glossary = await loadGlossary(config.issuesDir).catch((e: unknown) => {
        if (!isSudiError(e) || e.code !== 'E_CONFIG') throw e;
        return e;
      });
      const glossaryProblems = isSudiError(glossary) ? [...glossary.problems] : [];
      const r = await loadIssues(config.issuesDir, { glossary: isSudiError(glossary) ? undefined : glossary });
      for (const w of r.warnings) ctx.err(w);
      for (const p of [...glossaryProblems, ...r.problems]) ctx.err(p);
      if (opts.verbose) {
        for (const i of r.issues) ctx.out(`ok ${i.source}: ${i.status}, ${i.papers.length} paper(s), publish_at ${i.publish_at}`);
        ctx.out(`checked ${r.files.length} file(s) in ${config.issuesDir}: ${r.issues.length} valid, ${r.files.length - r.issues.length} with problems`);
      }
      if (r.problems.length > 0 || glossaryProblems.length > 0) throw new ExitCode(2);
    });
}
