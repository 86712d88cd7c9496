import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { runCliCaptured } from '../helpers/run-cli.ts';
import { inspectHtml, issueText, ROOT, SITE_URL, tempDir, tempProject } from './site-helpers.ts';

const env = { SITE_URL, TZ: 'Asia/Shanghai' };
const NOW = new Date('2024-04-18T00:00:00Z'); // before the seed's publish_at: preview does not care

/** A draft due in the future: the preview works on it all the same. */
async function draftProject() {
  const project = await tempProject();
  const file = path.join(project, 'issues', '2024-04-22.md');
  await writeFile(file, issueText('2024-04-22', { status: 'draft', publishAt: '2030-01-01T09:00:00+08:00', title: 'Draft title one' }));
  return { project, file };
}

describe('sudi preview --out', () => {
  it('writes the email HTML, its plain text and the web page, and reports the size', async () => {
    const { project } = await draftProject();
    const out = path.join(await tempDir(), 'pv');
    const r = await runCliCaptured(['preview', '2024-04-22', '--out', out], { cwd: project, env, now: NOW });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/issues\/2024-04-22\.md \(draft, 2 papers\): email HTML \d+\.\d KB raw, \d+\.\d KB sent \((base64|quoted-printable)\)/);
    const html = await readFile(path.join(out, 'email.html'), 'utf8');
    const text = await readFile(path.join(out, 'email.txt'), 'utf8');
    const web = await readFile(path.join(out, 'web.html'), 'utf8');
    for (const s of [html, text, web]) {
      expect(s).toContain('Paper 1 of 2024-04-22');
      expect(s).toContain('Paper 2 of 2024-04-22');
    }
    expect(html).toContain(`${SITE_URL}unsubscribe/PREVIEW`);
    expect(html).not.toContain('{%sudi:');
    expect(inspectHtml(web).errors).toEqual([]);
    expect(web).toContain(`<link rel="stylesheet" href="${SITE_URL}style.css">`);
    expect(web).not.toContain('reload.js');
  });

  it('takes a path too, and names a missing issue clearly (exit 2)', async () => {
    const { project } = await draftProject();
    const out = path.join(await tempDir(), 'pv');
    const ok = await runCliCaptured(['preview', 'issues/2024-04-15.md', '--out', out], { cwd: project, env, now: NOW });
    expect(ok.code).toBe(0);
    const missing = await runCliCaptured(['preview', '2024-05-06', '--out', out], { cwd: project, env, now: NOW });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`issue file ${path.join(project, 'issues', '2024-05-06.md')} does not exist`);
    // The server mode too, before listening.
    const serving = await runCliCaptured(['preview', '2024-05-06', '--port', '0'], { cwd: project, env, now: NOW });
    expect(serving.code).toBe(2);
    expect(serving.stdout).not.toContain('preview:');
    expect((await runCliCaptured(['preview', 'latest!', '--out', out], { cwd: project, env })).code).toBe(2);
  });

  it('--lang shows one language edition of the email: en has no Chinese text', async () => {
    const { project } = await draftProject();
    const out = path.join(await tempDir(), 'pv-en');
    const r = await runCliCaptured(['preview', 'issues/2024-04-15.md', '--out', out, '--lang', 'en'], { cwd: project, env, now: NOW });
    expect(r.code, r.stderr).toBe(0);
    const text = await readFile(path.join(out, 'email.txt'), 'utf8');
    expect(text).toContain('Weekly AI Papers (240415–240419)');
    expect(text).not.toMatch(/\p{Script=Han}/u);
    expect(await readFile(path.join(out, 'email.html'), 'utf8')).toMatch(/<html[^>]* lang="en"/);
    const bad = await runCliCaptured(['preview', 'issues/2024-04-15.md', '--out', out, '--lang', 'de'], { cwd: project, env, now: NOW });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--lang de is not a language edition \(expected zh, en or both\)/);
  });
});

/** Reads an SSE stream until `event: reload` arrives. */
async function nextReload(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const decoder = new TextDecoder();
  let seen = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before a reload event: ${seen}`);
    seen += decoder.decode(value);
    if (seen.includes('event: reload')) return;
  }
}

describe('sudi preview server', () => {
  it('serves email, text and web page on 127.0.0.1, reloads on change, and stops on shutdown', async () => {
    const { project, file } = await draftProject();
    const templates = path.join(project, 'templates');
    await cp(path.join(ROOT, 'templates'), templates, { recursive: true });
    let stdout = '';
    let stderr = '';
    const stop = new AbortController();
    let url = '';
    const running = runCli(['preview', '2024-04-22', '--port', '0'], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { ...env, TEMPLATES_DIR: templates },
      cwd: project,
      now: () => NOW,
      shutdownSignal: stop.signal,
    });
    try {
      for (let i = 0; i < 200 && !url; i++) {
        url = /preview: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)?.[1] ?? '';
        if (!url) await new Promise((r) => setTimeout(r, 50));
      }
      expect(url, stdout + stderr).not.toBe('');
      expect(stdout).toMatch(/email HTML \d+\.\d KB raw, \d+\.\d KB sent/);

      const root = await fetch(url);
      expect(root.status).toBe(200);
      expect(root.headers.get('content-security-policy')).toContain("script-src 'self'");
      const email = await root.text();
      expect(email).toContain('Draft title one');
      expect(email).toContain('<script src="/reload.js" defer></script>');
      // The only script is the external reload script: nothing inline.
      const scripts = inspectHtml(email).elements.filter((e) => e.tagName === 'script');
      expect(scripts.map((s) => s.attrs.find((a) => a.name === 'src')?.value)).toEqual(['/reload.js']);
      expect(await (await fetch(`${url}email.html`)).text()).toBe(email);

      const text = await fetch(`${url}email.txt`);
      expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await text.text()).toContain('Paper 1 of 2024-04-22');
      const web = await (await fetch(`${url}web.html`)).text();
      expect(web).toContain('Paper 2 of 2024-04-22');
      expect(web).toContain(`<link rel="stylesheet" href="${url}style.css">`);
      expect((await fetch(`${url}style.css`)).status).toBe(200);
      const js = await fetch(`${url}reload.js`);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await js.text()).toContain("new EventSource('/events')");

      // Save a change: open pages are told to reload and get the new content.
      const events = await fetch(`${url}events`);
      const reader = events.body!.getReader();
      await writeFile(file, issueText('2024-04-22', { status: 'draft', title: 'Draft title two' }));
      await nextReload(reader);
      expect(await (await fetch(url)).text()).toContain('Draft title two');

      // Mid-edit breakage: the page shows why (and still reloads itself when fixed).
      await writeFile(file, (await readFile(file, 'utf8')).replace('status: draft', 'status: [unclosed'));
      await nextReload(reader);
      const broken = await fetch(url);
      expect(broken.status).toBe(500);
      const brokenHtml = await broken.text();
      expect(brokenHtml).toContain('2024-04-22.md');
      expect(brokenHtml).toContain('<script src="/reload.js" defer></script>');

      // A template change reloads too.
      await writeFile(file, issueText('2024-04-22', { status: 'draft', title: 'Draft title three' }));
      await nextReload(reader);
      const page = path.join(templates, 'site', 'issue.html.hbs');
      await writeFile(page, `${await readFile(page, 'utf8')}<p class="marker">template edited</p>\n`);
      await nextReload(reader);
      expect(await (await fetch(`${url}web.html`)).text()).toContain('template edited');
      await reader.cancel();
    } finally {
      stop.abort();
    }
    expect(await running).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
    expect(stdout).toContain('preview stopped');
  });
});
