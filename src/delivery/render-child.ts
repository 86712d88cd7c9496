/**
 * Child-process entry (forked by render-client.ts): renders one Issue in the languages asked for,
 * sends the results back over IPC and exits. A separate process, so that the MJML toolchain (some
 * 100 MB of code and heap) never lives in a process that sends for hours: a worker thread would
 * not do, its freed memory stays in the process.
 */
import type { Config } from '../config.ts';
import type { Issue, Lang } from '../model.ts';
import { renderEmail } from '../render/email.ts';

type Request = { issue: Issue; config: Config; now: number; langs: Lang[] };

process.once('message', (msg: Request) => void render(msg));

async function render(msg: Request): Promise<void> {
  try {
    const rendered = [];
    for (const lang of msg.langs) rendered.push(await renderEmail(msg.issue, { config: msg.config, now: new Date(msg.now), lang }));
    process.send!({ ok: true, rendered }, () => process.exit(0));
  } catch (e) {
    const err = e as Error & { code?: string; problems?: string[] };
    process.send!({ ok: false, error: { message: err.message, code: err.code, problems: err.problems ?? [] } }, () => process.exit(0));
  }
}
