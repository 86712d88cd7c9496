import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { SudiError } from '../../errors.ts';
import { withIssuesOption, type CliContext } from '../context.ts';

/** `sudi import DIGEST.txt`: a plain-text weekly digest → `<issues dir>/<week start>.md`. */
export function registerImport(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('import'))
    .description('turn a plain-text weekly digest (每周AI论文速递(YYMMDD-YYMMDD) …) into an issue file and print its path')
    .argument('<digest>', 'the digest text file (UTF-8; CRLF and a BOM are fine)')
    .option('--ready', 'write status: ready instead of draft')
    .option('--force', 'replace an existing issue file that differs from this import')
    .action(async (digest: string, opts: { issues: string; ready?: boolean; force?: boolean }) => {
      const [{ importDigest }, { writeIssueFile }] = await Promise.all([import('../../content/import-digest.ts'), import('../../content/write-issue-file.ts')]);
      const config = await ctx.config(opts);
      const digestPath = path.resolve(ctx.cwd, digest);
      let input: string;
      try {
        input = await readFile(digestPath, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new SudiError('E_NOT_FOUND', `digest ${digest} does not exist (expected a text file such as weekly-ai-papers-240415-240419.txt)`);
        }
        throw e;
      }
      // Everything is parsed and validated before the file system is touched: bad input writes nothing.
      const result = importDigest(input, { tz: config.tz, ready: opts.ready, source: digest });
      for (const w of result.warnings) ctx.err(`sudi: warning: ${w}`);

      const file = path.join(config.issuesDir, `${result.id}.md`);
      const existing = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
      if (existing === result.text) {
        ctx.err(`sudi: ${file} is already up to date`);
        ctx.out(file);
        return;
      }
      if (existing !== undefined && !opts.force) {
        throw new SudiError(
          'E_CONFLICT',
          `${file} already exists and differs from this import; not overwritten (run again with --force to replace it, losing its edits)`,
        );
      }
      await writeIssueFile(file, result.text, { create: existing === undefined });
      ctx.out(file);
    });
}

