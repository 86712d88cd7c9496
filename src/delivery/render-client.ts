/**
 * Renders an Issue's emails in a short-lived child process (render-child.ts) and returns plain
 * RenderedEmails. The sending process then never loads MJML: its memory stays at what sending
 * needs, flat in the number of Subscribers. Falls back to rendering here if no child can start.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import { SudiError, type ErrorCode } from '../errors.ts';
import type { Issue, Lang } from '../model.ts';
import type { RenderedEmail } from '../render/email.ts';

type Reply = { ok: true; rendered: RenderedEmail[] } | { ok: false; error: { message: string; code?: string; problems: string[] } };

export type RenderIssue = (issue: Issue, opts: { config: Config; now: Date; langs: readonly Lang[] }) => Promise<RenderedEmail[]>;

const CACHE_SIZE = 16;

/**
 * Renders in a child process, keeping the renderings already made (a server renders an Issue once,
 * not on every tick or trigger). Rendering is a pure function of the issue, the configuration and
 * the day (the footer shows the year), so that is the key. The composition root (app.ts) makes one
 * per process and hands it to every render cache of Issue messages (issue-messages.ts).
 */
export function renderCache(): RenderIssue {
  const cache = new Map<string, Promise<RenderedEmail[]>>();
  return (issue, opts) => {
    // Only what renderEmail reads (RenderEmailOptions['config']); the issue's file name is not rendered.
    const { siteUrl, siteTitle, siteTitleEn, siteAuthor, templatesDir } = opts.config;
    const key = createHash('sha256')
      .update(JSON.stringify([{ ...issue, source: '' }, siteUrl, siteTitle, siteTitleEn, siteAuthor, templatesDir, opts.now.toISOString().slice(0, 10), opts.langs]))
      .digest('base64');
    let p = cache.get(key);
    if (!p) {
      p = renderElsewhere(issue, opts);
      cache.set(key, p);
      p.catch(() => cache.delete(key));
      if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    return p;
  };
}

async function renderElsewhere(issue: Issue, opts: { config: Config; now: Date; langs: readonly Lang[] }): Promise<RenderedEmail[]> {
  let reply: Reply;
  try {
    reply = await new Promise<Reply>((resolve, reject) => {
      // Node runs the .ts child itself (type stripping), like the rest of Sudi; none of the
      // parent's flags (a test runner's loaders) are passed on.
      const child = fork(fileURLToPath(new URL('./render-child.ts', import.meta.url)), [], {
        execArgv: [],
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      child.once('message', (m) => resolve(m as Reply));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`render process exited with code ${code}`)));
      child.send({ issue, config: opts.config, now: opts.now.getTime(), langs: [...opts.langs] });
    });
  } catch {
    const { renderEmail } = await import('../render/email.ts');
    const out: RenderedEmail[] = [];
    for (const lang of opts.langs) out.push(await renderEmail(issue, { config: opts.config, now: opts.now, lang }));
    return out;
  }
  if (!reply.ok) {
    throw new SudiError((reply.error.code as ErrorCode | undefined) ?? 'E_TEMPLATE', reply.error.message, { problems: reply.error.problems });
  }
  return reply.rendered;
}
