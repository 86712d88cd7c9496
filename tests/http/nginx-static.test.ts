/**
 * The README's nginx setup, run for real: Debian nginx (with libnginx-mod-http-brotli-static)
 * serving a built `public/` directly on loopback, configured from the README's own blocks. It must
 * give readers what `sudi serve` gives them: the precompressed copies, the Cache-Control per file,
 * the security headers, and validators that survive a rebuild of unchanged issues (304).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../src/config.ts';
import { buildAndWrite } from '../../src/publish.ts';
import { configFor, issueText, ROOT, tempProject } from '../build/site-helpers.ts';
import { curl as curlUrl } from '../helpers/curl.ts';
import { freePort } from './web-fixture.ts';

const run = promisify(execFile);
const MODULE = '/usr/lib/nginx/modules/ngx_http_brotli_static_module.so';

let project: string;
let config: Config;
let nginx: ChildProcess;
let base: string;

/** The README's ```nginx blocks under "Caching and compression": the headers snippet and the server. */
async function readmeBlocks(): Promise<{ snippet: string; server: string }> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Caching and compression'));
  const blocks = [...section.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return { snippet: blocks[0]!, server: blocks[1]! };
}

const curl = (p: string, args: string[] = []) => curlUrl(base + p, args);

beforeAll(async () => {
  project = await tempProject();
  config = configFor(project);
  await buildAndWrite(config, new Date('2024-06-01T00:00:00Z'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const { snippet, server } = await readmeBlocks();
  const conf = path.join(project, 'nginx');
  await mkdir(conf, { recursive: true });
  await writeFile(path.join(conf, 'sudi-headers.conf'), snippet);
  const site = server
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${port};`)
    .replace('/srv/sudi/public', config.publicDir)
    .replaceAll('snippets/sudi-headers.conf', path.join(conf, 'sudi-headers.conf'));
  await writeFile(
    path.join(conf, 'nginx.conf'),
    [
      `load_module ${MODULE};`,
      'user root;',
      'worker_processes 1;',
      `pid ${conf}/nginx.pid;`,
      `error_log ${conf}/error.log;`,
      'events { worker_connections 64; }',
      'http {',
      '  include /etc/nginx/mime.types;',
      `  access_log off; client_body_temp_path ${conf}; proxy_temp_path ${conf}; fastcgi_temp_path ${conf}; uwsgi_temp_path ${conf}; scgi_temp_path ${conf};`,
      site,
      '}',
    ].join('\n'),
  );
  nginx = spawn('nginx', ['-p', conf, '-c', path.join(conf, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  nginx.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise((r) => nginx.once('exit', r));
  // Ready when it answers (or failed when it exits): wait for either, never a fixed time.
  await Promise.race([
    vi.waitFor(() => run('curl', ['-sS', '-o', '/dev/null', `${base}/`]), { timeout: 10_000, interval: 50 }),
    exited.then(() => Promise.reject(new Error(`nginx exited: ${stderr}`))),
  ]);
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx.once('exit', r));
    nginx.kill('SIGTERM');
    await exited;
  }
});

describe('nginx serving public/ as the README shows', () => {
  it('sends the precompressed copies, the feeds\' types, Cache-Control per file and the security headers', async () => {
    const plain = await curl('/feed.xml');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=600, must-revalidate');
    expect(plain.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(plain.headers.get('x-content-type-options')).toBe('nosniff');

    const gz = await curl('/feed.xml', ['-H', 'Accept-Encoding: gzip']);
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('vary')).toBe('Accept-Encoding');
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    const br = await curl('/feed.xml', ['-H', 'Accept-Encoding: br', '--compressed']);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.body.equals(plain.body)).toBe(true);

    const page = await curl('/', ['-H', 'Accept-Encoding: br']);
    expect(page.headers.get('content-encoding')).toBe('br');
    expect(page.headers.get('cache-control')).toBe('public, max-age=300, must-revalidate');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const css = /style\.[0-9a-f]{10}\.css/.exec((await curl('/')).body.toString('utf8'))!;
    const asset = await curl(`/${css[0]}`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-security-policy')).toContain("default-src 'self'");
    // The search index: its binary files as bytes (never re-encoded), its JSON and JavaScript as such.
    expect(asset.headers.get('content-security-policy')).toContain("'wasm-unsafe-eval'");
    const wasm = await curl('/pagefind/en/wasm.en.pagefind', ['-H', 'Accept-Encoding: gzip, br']);
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get('content-type')).toBe('application/octet-stream');
    expect(wasm.headers.get('content-encoding')).toBeUndefined();
    expect(gunzipSync(wasm.body).subarray(0, 12).toString()).toBe('pagefind_dcd');
    expect((await curl('/pagefind/zh/pagefind-entry.json')).headers.get('content-type')).toMatch(/^application\/json(; charset=utf-8)?$/);
    expect((await curl('/pagefind/zh/pagefind.js')).headers.get('content-type')).toMatch(/^(application|text)\/javascript; charset=utf-8$/);
    expect((await curl('/.sudi-manifest.json')).status).toBe(404);
    expect((await curl('/issues/2024-04-15/')).status).toBe(200);

    // The Edition feeds and the OPML list, by the README's locations.
    for (const [p, type] of [
      ['/zh/feed.xml', 'application/rss+xml; charset=utf-8'],
      ['/en/atom.xml', 'application/atom+xml; charset=utf-8'],
      ['/zh/feed.json', 'application/feed+json; charset=utf-8'],
    ] as const) {
      const feed = await curl(p, ['-H', 'Accept-Encoding: gzip']);
      expect(feed.status, p).toBe(200);
      expect(feed.headers.get('content-type'), p).toBe(type);
      expect(feed.headers.get('cache-control'), p).toBe('public, max-age=600, must-revalidate');
      expect(feed.headers.get('content-encoding'), p).toBe('gzip');
    }
    const opml = await curl('/feeds.opml');
    expect(opml.headers.get('content-type')).toBe('text/x-opml; charset=utf-8');
    expect(opml.headers.get('cache-control')).toBe('public, max-age=300, must-revalidate');
  });

  it('a rebuild of unchanged issues keeps nginx\'s validators (304); a new issue changes them (200)', async () => {
    const before = await curl('/feed.xml', ['-H', 'Accept-Encoding: gzip']);
    const etag = before.headers.get('etag')!;
    const lastModified = before.headers.get('last-modified')!;
    await buildAndWrite(config, new Date('2024-06-01T01:00:00Z'));
    expect((await curl('/feed.xml', ['-H', 'Accept-Encoding: gzip', '-H', `If-None-Match: ${etag}`])).status).toBe(304);
    expect((await curl('/feed.xml', ['-H', `If-Modified-Since: ${lastModified}`])).status).toBe(304);
    expect(lastModified).toBe(new Date('2024-04-20T09:00:00+08:00').toUTCString());

    await writeFile(path.join(project, 'issues', '2024-04-22.md'), issueText('2024-04-22'));
    await buildAndWrite(config, new Date('2024-06-01T02:00:00Z'));
    const after = await curl('/feed.xml', ['-H', 'Accept-Encoding: gzip', '-H', `If-None-Match: ${etag}`]);
    expect(after.status).toBe(200);
    expect(after.headers.get('last-modified')).toBe(new Date('2024-04-22T09:00:00+08:00').toUTCString());
  });
});
