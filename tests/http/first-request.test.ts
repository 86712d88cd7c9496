/**
 * The first request after a start does not wait for MJML.
 *
 * To see the server (or the preview) *while* its first MJML work is under way, without guessing
 * how long that takes, the template (or issue) file it reads first is a named pipe: the work
 * cannot go on until the test writes the file's content into the pipe. What the server answers
 * meanwhile is what a visitor would get during the warm-up.
 */
import { execFileSync } from 'node:child_process';
import { cp, link, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { BUNDLED_TEMPLATES_DIR, parseConfig } from '../../src/config.ts';
import { runCli } from '../../src/cli/main.ts';
import { Background } from '../../src/http/background.ts';
import { startServer } from '../../src/http/server.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { FIXTURE_ISSUES, freePort, TEST_SECRET } from './web-fixture.ts';

/** Replaces `file` by a named pipe and returns a second name for it (to write the content through later). */
async function gate(file: string): Promise<{ content: string; open(): Promise<void> }> {
  const content = await readFile(file, 'utf8');
  const fifo = `${file}.fifo`;
  execFileSync('mkfifo', [fifo]);
  const writer = `${file}.writer`;
  await link(fifo, writer);
  await rename(fifo, file);
  return {
    content,
    // Blocks until the reader has opened the pipe, then hands it the content; afterwards the name
    // holds a plain file again for anyone who reads it later.
    async open() {
      await writeFile(writer, content);
      await writeFile(`${file}.plain`, content);
      await rename(`${file}.plain`, file);
    },
  };
}

/** Whether MJML has been loaded into this process (it is CommonJS: Node's module cache says). */
const mjmlLoadedHere = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes(`${path.sep}mjml-core${path.sep}`));

describe('sudi serve warms up after listening, off its own thread', () => {
  it('answers a sign-up and a GET during the warm-up; the mail goes out after it; MJML never loads in the server', async () => {
    expect(mjmlLoadedHere()).toBe(false);
    const t = await tempDir('sudi-warm-');
    const templates = path.join(t.dir, 'templates');
    await cp(BUNDLED_TEMPLATES_DIR, templates, { recursive: true });
    const confirmTemplate = await gate(path.join(templates, 'email', 'confirm.mjml.hbs'));
    const port = await freePort();
    const config = parseConfig(
      { PORT: String(port), SITE_URL: `http://127.0.0.1:${port}/`, SECRET: TEST_SECRET, TEMPLATES_DIR: templates, TZ: 'Asia/Shanghai' },
      t.dir,
    );
    const logs: string[] = [];
    const app = createApp(config, { now: () => new Date('2024-05-01T00:00:00Z'), log: (l) => void logs.push(l) });
    const background = new Background((e) => logs.push(String(e)));
    const server = await startServer(app, { background });
    try {
      const events: string[] = [];
      void server.warmedUp.then(() => events.push('warmed up'));

      const signUp = await fetch(`${server.url}/subscribe`, { method: 'POST', body: new URLSearchParams({ email: 'first@example.org' }) });
      events.push(`sign-up ${signUp.status}`);
      const health = await fetch(`${server.url}/healthz`);
      events.push(`healthz ${health.status}`);
      expect(await readdir(config.outboxDir).catch(() => [])).toEqual([]); // the mail waits in the queue for the warm-up, not the visitor

      await confirmTemplate.open();
      await server.warmedUp;
      await background.idle();
      await background.drain();
      expect(events).toEqual(['sign-up 200', 'healthz 200', 'warmed up']);
      expect(logs).toEqual([]);
      const [eml] = await readdir(config.outboxDir);
      const mail = await readFile(path.join(config.outboxDir, eml!), 'utf8');
      expect(mail).toContain('first@example.org');
      expect(mail).toMatch(/\/confirm\//);
      // MJML ran in a child process: nothing in this process ever blocked on it.
      expect(mjmlLoadedHere()).toBe(false);
    } finally {
      await server.close();
      await app.close();
      await t.cleanup();
    }
  });
});

describe('sudi preview during its first render', () => {
  it('shows a "rendering…" page that refreshes itself, never a 500, then the issue', async () => {
    const t = await tempDir('sudi-preview-first-');
    await cp(FIXTURE_ISSUES, path.join(t.dir, 'issues'), { recursive: true });
    const issue = await gate(path.join(t.dir, 'issues', '2024-04-15.md'));
    const port = await freePort();
    let stdout = '';
    let stderr = '';
    const stop = new AbortController();
    let listening!: () => void;
    const listened = new Promise<void>((r) => (listening = r));
    const running = runCli(['preview', '2024-04-15', '--port', String(port)], {
      stdout: {
        write: (s: string) => {
          stdout += s;
          if (stdout.includes('serving the preview on')) listening();
        },
      },
      stderr: { write: (s: string) => (stderr += s) },
      env: { TZ: 'Asia/Shanghai' },
      cwd: t.dir,
      now: () => new Date('2024-05-01T00:00:00Z'),
      shutdownSignal: stop.signal,
    });
    const url = `http://127.0.0.1:${port}/`;
    try {
      await listened;
      expect(stdout).toBe(`serving the preview on ${url} (first render…)\n`);
      for (const p of ['', 'email.html', 'web.html']) {
        const r = await fetch(`${url}${p}`);
        expect(r.status, p).toBe(200);
        const html = await r.text();
        expect(html).toContain('Rendering…');
        expect(html).toContain('<meta http-equiv="refresh" content="1">');
        expect(html).toContain('<script src="/reload.js" defer></script>');
      }
      const text = await fetch(`${url}email.txt`);
      expect(text.status).toBe(503);
      expect(text.headers.get('retry-after')).toBe('1');
      await text.arrayBuffer();

      const events = await fetch(`${url}events`);
      const reader = events.body!.getReader();
      await issue.open();
      let seen = '';
      while (!seen.includes('event: reload')) seen += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      const ready = await fetch(url);
      expect(ready.status).toBe(200);
      expect(await ready.text()).not.toContain('Rendering…');
      expect(stderr).toBe('');
    } finally {
      stop.abort();
    }
    expect(await running).toBe(0);
    await t.cleanup();
  });
});
