/**
 * `sudi serve` in-process: builds public/, says where mail goes and where the secret came from,
 * serves, and shuts down cleanly when asked (the signal stands in for SIGTERM).
 */
import { spawn } from 'node:child_process';
import { cp, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { FIXTURE_ISSUES, freePort } from './web-fixture.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('sudi-serve-'));
  await cp(FIXTURE_ISSUES, path.join(dir, 'issues'), { recursive: true });
});
afterEach(async () => {
  await cleanup();
});

async function serve(env: Record<string, string>) {
  const port = await freePort();
  const controller = new AbortController();
  let stdout = '';
  let stderr = '';
  const exit = runCli(['serve'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { PORT: String(port), SITE_URL: `http://127.0.0.1:${port}/`, TZ: 'Asia/Shanghai', ...env },
    cwd: dir,
    now: () => new Date('2024-05-01T00:00:00Z'),
    shutdownSignal: controller.signal,
  });
  const deadline = Date.now() + 20_000;
  while (!stdout.includes('serving ') && Date.now() < deadline) {
    if (stderr.includes('sudi:')) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `http://127.0.0.1:${port}`, out: () => stdout, err: () => stderr, stop: () => controller.abort(), exit };
}

describe('sudi serve', () => {
  it('builds public/, reports transport and secret source, serves, and stops on the signal', async () => {
    const s = await serve({});
    try {
      expect(s.out()).toMatch(/built \d+ file\(s\) into .*public: 1 issue\(s\) published/);
      expect(s.out()).toMatch(/mail: outbox .*outbox \(no SMTP_URL set/);
      expect(s.out()).toContain(`links signed with the secret from ${path.join(dir, 'data', 'secret')}`);
      expect(s.err()).toMatch(/warning: SECRET is not set; generated one/);
      expect((await stat(path.join(dir, 'data', 'secret'))).mode & 0o777).toBe(0o600);
      expect(await readdir(path.join(dir, 'public'))).toEqual(expect.arrayContaining(['index.html', 'feed.xml', 'atom.xml', 'feed.json']));
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      const home = await fetch(`${s.url}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('每周AI论文速递');
      const sub = await fetch(`${s.url}/subscribe`, { method: 'POST', body: new URLSearchParams({ email: 'serve@example.org' }) });
      expect(sub.status).toBe(200);
    } finally {
      s.stop();
    }
    expect(await s.exit).toBe(0);
    expect(s.out()).toMatch(/stopped\n$/);
    // The confirmation mail started by the last request was finished before the exit.
    expect((await readdir(path.join(dir, 'outbox'))).filter((n) => n.endsWith('.eml'))).toHaveLength(1);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });

  it('says when the secret comes from SECRET, and fails clearly on a bad configuration', async () => {
    const s = await serve({ SECRET: 'z'.repeat(40) });
    s.stop();
    expect(await s.exit).toBe(0);
    expect(s.out()).toContain('links signed with the secret from SECRET');
    expect(s.err()).not.toContain('warning');

    const bad = await serve({ SUBSCRIBE_RATE_LIMIT: 'lots' });
    expect(await bad.exit).toBe(2);
    expect(bad.err()).toMatch(/SUBSCRIBE_RATE_LIMIT/);
  });

  it('as a real process (npm start runs bin/sudi.js serve): SIGTERM stops it with exit code 0', async () => {
    const port = await freePort();
    const bin = path.resolve(import.meta.dirname, '..', '..', 'bin', 'sudi.js');
    const child = spawn(process.execPath, [bin, 'serve'], {
      cwd: dir,
      env: { PATH: process.env.PATH, PORT: String(port), SECRET: 'p'.repeat(40), TZ: 'Asia/Shanghai' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!out.includes('serving ') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain(`serving ${path.join(dir, 'public')} at http://127.0.0.1:${port}`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopped\n$/);
  });
});
