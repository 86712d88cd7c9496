import path from 'node:path';
import type { Command } from 'commander';
import { withIssuesOption, type CliContext } from '../context.ts';

/**
 * `sudi build`: the Archive and Feeds into PUBLIC_DIR (or --out), atomically. Reports what was
 * published and each issue's email size, raw and as sent; warns on stderr above the budget.
 */
export function registerBuild(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('build'))
    .description('write the archive site and the RSS, Atom and JSON feeds (ready issues whose publish_at has passed); a failed build changes nothing')
    .option('--out <dir>', 'output folder (default: PUBLIC_DIR, i.e. public/)')
    .action(async (opts: { issues: string; out?: string }) => {
      const { buildAndWrite, describeEmailSize, emailSizeWarning } = await import('../../publish.ts');
      const { describeHubReport } = await import('../../websub/notify.ts');
      const config = await ctx.config(opts);
      const now = ctx.now();
      const outDir = opts.out === undefined ? config.publicDir : path.resolve(ctx.cwd, opts.out);
      // Emails are rendered before the swap: a template that cannot make one fails the build.
      const report = await buildAndWrite(config, now, { outDir, emails: true });

      ctx.out(`built ${report.files} file(s) into ${report.outDir}: ${report.published.length} issue(s) published`);
      const line = (i: (typeof report.published)[number], label: string) => {
        const size = report.emailSizes.get(i.id);
        if (!size) return ctx.out(`  ${label} ${i.id}  ${i.title}  (${i.papers.length} papers)`);
        ctx.out(`  ${label} ${i.id}  ${i.title}  (${i.papers.length} papers)  ${describeEmailSize(size)}`);
        if (size.overBudget) ctx.err(emailSizeWarning(size));
      };
      for (const i of report.published) line(i, 'published');
      for (const i of report.scheduled) line(i, `scheduled for ${i.publish_at}:`);
      if (report.drafts.length > 0) ctx.out(`  drafts (never published): ${report.drafts.map((i) => i.id).join(', ')}`);
      const unmeasured = report.published.length - Math.min(report.published.length, config.feedLimit);
      if (unmeasured > 0) ctx.out(`  (email sizes shown for the ${config.feedLimit} newest published issues and scheduled ones; ${unmeasured} older not measured)`);
      await report.oldOutputRemoved; // before the process exits, so no `.public.old-*` folder is left
      const hub = await report.websub;
      if (hub) for (const l of describeHubReport(hub)) (l.level === 'warn' ? ctx.err.bind(ctx) : ctx.out.bind(ctx))(l.msg);
    });
}
