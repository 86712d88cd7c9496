import { once } from 'node:events';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config.ts';
import type { Lang } from '../../model.ts';
import { isSudiError, SudiError } from '../../errors.ts';
import type { RenderedPreview } from '../../preview/render-preview.ts';
import type { PreviewState } from '../../preview/server.ts';
import { withIssuesOption, type CliContext } from '../context.ts';

const DEFAULT_PORT = 4000;

/** `2024-04-15` → `<issues>/2024-04-15.md`; anything with a slash or `.md` is a path. */
export function resolveIssueFile(ref: string, config: Config, cwd: string): string {
  if (ref.endsWith('.md') || ref.includes('/') || ref.includes(path.sep)) return path.resolve(cwd, ref);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(ref)) {
    throw new SudiError('E_USAGE', `"${ref}" is not an issue id (expected e.g. 2024-04-15, or a path such as issues/2024-04-15.md)`);
  }
  return path.join(config.issuesDir, `${ref}.md`);
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new SudiError('E_USAGE', `--port ${value} is not a port (expected 0–65535; 0 picks a free one)`);
  return n;
}

/**
 * `sudi preview ISSUE`: the editor's loop. Serves the email HTML, plain text and web page on
 * 127.0.0.1 and reloads open pages when the issue file or a template changes; `--out DIR`
 * writes the three files instead. Drafts and not-yet-due issues work too.
 */
export function registerPreview(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('preview'))
    .argument('<issue>', 'issue id (e.g. 2024-04-15) or path to an issue file')
    .description('serve an issue\'s email (HTML and text) and web page on 127.0.0.1, reloading on every change; --out writes the files instead')
    .option('--port <n>', `port on 127.0.0.1 (0 picks a free one)`, String(DEFAULT_PORT))
    .option('--out <dir>', 'write email.html, email.txt and web.html to DIR and exit')
    .option('--lang <edition>', 'the language edition of the email: zh, en or both', 'both')
    .action(async (ref: string, opts: { issues: string; port: string; out?: string; lang: string }) => {
      if (!['zh', 'en', 'both'].includes(opts.lang)) throw new SudiError('E_USAGE', `--lang ${opts.lang} is not a language edition (expected zh, en or both)`);
      const lang = opts.lang as Lang;
      const config = await ctx.config(opts);
      const file = resolveIssueFile(ref, config, ctx.cwd);
      const [{ describeEmailSize, emailSizeWarning }, { SIZE_WARN_BYTES }, { renderPreview }] = await Promise.all([
        import('../../publish.ts'),
        import('../../render/email-size.ts'),
        import('../../preview/render-preview.ts'),
      ]);
      const shown = (f: string) => (path.relative(ctx.cwd, f).startsWith('..') ? f : path.relative(ctx.cwd, f));
      const report = (r: RenderedPreview) => {
        ctx.out(`${shown(file)} (${r.issue.status}, ${r.issue.papers.length} papers): ${describeEmailSize(r.sizes)}`);
        if (r.sizes.sent > SIZE_WARN_BYTES) ctx.err(emailSizeWarning({ issueId: r.issue.id, ...r.sizes, overBudget: true }));
      };

      if (opts.out !== undefined) {
        const out = path.resolve(ctx.cwd, opts.out);
        const r = await renderPreview(file, config, ctx.now(), config.siteUrl, lang);
        await mkdir(out, { recursive: true });
        await writeFile(path.join(out, 'email.html'), r.content.emailHtml);
        await writeFile(path.join(out, 'email.txt'), r.content.emailText);
        await writeFile(path.join(out, 'web.html'), r.content.webHtml);
        report(r);
        ctx.out(`wrote email.html, email.txt and web.html to ${out}`);
        return;
      }

      const port = parsePort(opts.port);
      const [{ startPreviewServer }, { watchForChanges }] = await Promise.all([import('../../preview/server.ts'), import('../../preview/watch.ts')]);
      // A mistyped id fails at once rather than serving an error page for a file that never comes.
      await access(file).catch(() => {
        throw new SudiError('E_NOT_FOUND', `issue file ${file} does not exist (expected an issue id such as 2024-04-15 or a path to its .md file)`);
      });
      if (ctx.shutdownSignal.aborted) return;
      // Listens first: until the first render is done, pages show "rendering…" and refresh themselves.
      const server = await startPreviewServer({ host: '127.0.0.1', port });
      ctx.out(`serving the preview on ${server.url} (first render…)`);
      const render = async (): Promise<PreviewState> => {
        try {
          const r = await renderPreview(file, config, ctx.now(), server.url, lang);
          report(r);
          return { kind: 'ready', content: r.content };
        } catch (e) {
          // Mid-edit the file may be invalid: show why in the page and keep watching.
          const problems = isSudiError(e) ? [e.message, ...e.problems] : [`unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`];
          for (const p of problems) ctx.err(p);
          return { kind: 'invalid', problems };
        }
      };

      let stopWatching: () => void = () => {};
      try {
        server.update(await render());
        ctx.out(`preview: ${server.url} (email)  ${server.url}email.txt (text)  ${server.url}web.html (web page)`);
        ctx.out(`watching ${file} and ${config.templatesDir}; pages reload on save. Ctrl-C stops.`);
        let rendering = Promise.resolve();
        stopWatching = watchForChanges({ files: [file], dirs: [config.templatesDir] }, (changed) => {
          // One render at a time, in order, so the last save always wins.
          rendering = rendering.then(async () => {
            ctx.out(`changed: ${changed.map(shown).join(', ')}`);
            server.update(await render());
          });
        });
        if (!ctx.shutdownSignal.aborted) await once(ctx.shutdownSignal, 'abort');
        await rendering.catch(() => undefined);
      } finally {
        stopWatching();
        await server.close();
      }
      ctx.out('preview stopped');
    });
}
