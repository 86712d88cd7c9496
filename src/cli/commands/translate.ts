import type { Command } from 'commander';
import { ExitCode, type CliContext } from '../context.ts';

/**
 * `sudi translate issues/ID.md`: fills the missing Chinese titles and abstracts by machine
 * (TRANSLATE_* settings) and marks them for review. The file is written once, at the end, whole;
 * exit 1 when some fields could not be translated (they are listed, the rest is written).
 */
export function registerTranslate(program: Command, ctx: CliContext): void {
  program
    .command('translate')
    .argument('<file>', 'the issue file, e.g. issues/2024-04-15.md')
    .description("fill missing title.zh and abstract.zh by machine translation, marked as machine text to review (exit 1 if some failed)")
    .action(async (fileArg: string) => {
      const [{ readFile }, path, { SudiError }, { validateIssue, formatProblem }, { writeIssueFile }, { loadGlossary }, { translateIssue, describeTranslation }, { writeTranslations }] =
        await Promise.all([
          import('node:fs/promises'),
          import('node:path'),
          import('../../errors.ts'),
          import('../../content/parse-issue.ts'),
          import('../../content/write-issue-file.ts'),
          import('../../content/glossary.ts'),
          import('../../translate/translate-issue.ts'),
          import('../../translate/write-translations.ts'),
        ]);
      const config = await ctx.config({});
      if (!config.translate) {
        throw new SudiError('E_CONFIG', 'machine translation is not configured: set TRANSLATE_URL, TRANSLATE_MODEL and TRANSLATE_API_KEY (see README: Machine translation)');
      }
      const file = path.resolve(ctx.cwd, fileArg);
      const read = () =>
        readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') throw new SudiError('E_NOT_FOUND', `${fileArg} does not exist (expected an issue file such as issues/2024-04-15.md)`);
          throw e;
        });
      const text = await read();
      const r = validateIssue(fileArg, text);
      if (!('issue' in r)) {
        throw new SudiError('E_ISSUE_INVALID', `${fileArg}: ${r.problems.length} problem(s); nothing translated`, { problems: r.problems.map((p) => formatProblem(fileArg, p)) });
      }
      // The glossary next to the file: that is where the editor keeps it (issues/glossary.yml).
      const glossary = await loadGlossary(path.dirname(file));
      const { front, report } = await translateIssue(r.issue, { config, log: ctx.err, glossary });
      if (report.translated.length === 0 && report.failed.length === 0) {
        ctx.out(`nothing to translate in ${fileArg}: every paper with English text has its Chinese`);
        return;
      }
      if (report.translated.length > 0) {
        if ((await read()) !== text) {
          throw new SudiError('E_CONFLICT', `${fileArg} changed while it was being translated; nothing written (run \`sudi translate ${fileArg}\` again)`);
        }
        await writeIssueFile(file, writeTranslations(text, front, report.translated), { create: false });
      }
      const lines = describeTranslation(report, fileArg);
      for (const line of lines.out) ctx.out(line);
      for (const line of lines.err) ctx.err(line);
      if (report.failed.length > 0) throw new ExitCode(1);
    });
}
