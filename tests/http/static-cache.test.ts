/**
 * Feeds that readers can poll cheaply, through real clients: Debian curl, undici (fetch), Python's
 * feedparser and @rowanmanning/feed-parser. Content validators that survive a rebuild of unchanged
 * issues (304) and change with a new issue (200), compressed variants chosen by Accept-Encoding,
 * Cache-Control per file, and a build by another process picked up by the running server.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { parseFeed } from '@rowanmanning/feed-parser';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildAndWrite } from '../../src/publish.ts';
import { startAppScheduler, type CronLike } from '../../src/schedule/scheduler.ts';
import { MANIFEST_PATH, type Manifest } from '../../src/static-manifest.ts';
import { issueText } from '../build/site-helpers.ts';
import { curl as curlUrl } from '../helpers/curl.ts';
import { spawnSudi } from '../helpers/sudi-process.ts';
import { startWebFixture, type WebFixture } from './web-fixture.ts';

const run = promisify(execFile);

let w: WebFixture;
beforeEach(async () => {
  w = await startWebFixture();
});
afterEach(async () => {
  await w.close();
});

// Concatenated, not resolved: a path such as //host/… must reach this server as it is.
const curl = (p: string, args: string[] = []) => curlUrl(w.url + p, args);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const etagOf = (b: Buffer, enc = '') => `"${Buffer.from(sha256(b).slice(0, 32), 'hex').toString('base64url')}${enc && `-${enc}`}"`;

function expectSecurityHeaders(h: { get(name: string): string | null | undefined }) {
  expect(h.get('content-security-policy')).toContain("default-src 'self'");
  expect(h.get('x-content-type-options')).toBe('nosniff');
  expect(h.get('referrer-policy')).toBe('no-referrer');
}

describe('compression by Accept-Encoding', () => {
  it('curl without Accept-Encoding gets the identity bytes; with gzip or br the variant, with its own ETag', async () => {
    const plain = await curl('/feed.xml');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-encoding')).toBeUndefined();
    expect(plain.headers.get('vary')).toBe('Accept-Encoding');
    expect(plain.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(plain.body.toString('utf8').startsWith('<?xml')).toBe(true);
    expect(plain.headers.get('etag')).toBe(etagOf(plain.body));
    expect(Number(plain.headers.get('content-length'))).toBe(plain.body.length);

    const gz = await curl('/feed.xml', ['-H', 'Accept-Encoding: gzip']);
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('vary')).toBe('Accept-Encoding');
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(gz.body.length).toBeLessThan(plain.body.length / 2);
    expect(gz.headers.get('etag')).toBe(etagOf(plain.body, 'gzip'));
    expect(gz.headers.get('last-modified')).toBe(plain.headers.get('last-modified'));

    const br = await curl('/feed.xml', ['-H', 'Accept-Encoding: gzip, deflate, br']);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(br.headers.get('etag')).toBe(etagOf(plain.body, 'br'));
    expectSecurityHeaders(br.headers);

    // curl --compressed decodes what it asked for: the reader sees the same feed.
    const decoded = await curl('/feed.xml', ['--compressed']);
    expect(['br', 'gzip']).toContain(decoded.headers.get('content-encoding'));
    expect(decoded.body.equals(plain.body)).toBe(true);

    // q-values: gzip refused, br refused → identity; `*` stands for what is not named.
    expect((await curl('/feed.xml', ['-H', 'Accept-Encoding: br;q=0, gzip;q=0.5'])).headers.get('content-encoding')).toBe('gzip');
    expect((await curl('/feed.xml', ['-H', 'Accept-Encoding: br;q=0, gzip;q=0'])).headers.get('content-encoding')).toBeUndefined();
    expect((await curl('/feed.xml', ['-H', 'Accept-Encoding: *'])).headers.get('content-encoding')).toBe('br');
  });

  it('fetch (undici) decodes what it negotiates; HEAD tells the variant and its length; pages are compressed too', async () => {
    const identity = await fetch(new URL('/', w.url), { headers: { 'accept-encoding': 'identity' } });
    expect(identity.headers.get('content-encoding')).toBeNull();
    const html = await identity.text();
    for (const enc of ['gzip', 'br']) {
      const r = await fetch(new URL('/', w.url), { headers: { 'accept-encoding': enc } });
      expect(r.headers.get('content-encoding')).toBe(enc);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await r.text()).toBe(html);
    }
    const byDefault = await fetch(new URL('/issues/2024-04-15/', w.url));
    expect(byDefault.headers.get('content-encoding')).not.toBeNull();
    expect(await byDefault.text()).toContain('<html');

    const head = await curl('/atom.xml', ['-I', '-H', 'Accept-Encoding: br']);
    const get = await curl('/atom.xml', ['-H', 'Accept-Encoding: br']);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-encoding')).toBe('br');
    expect(head.headers.get('content-length')).toBe(String(get.body.length));
    expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
  });

  it('redirects a folder without its slash to a path from the file table, never elsewhere', async () => {
    const r = await curl('/issues/2024-04-15?utm=x');
    expect(r.status).toBe(301);
    expect(r.headers.get('location')).toBe('/issues/2024-04-15/?utm=x');
    expectSecurityHeaders(r.headers);
    for (const p of ['//evil.example/issues/2024-04-15', '/%2Fevil.example/issues/2024-04-15', '/issues/2024-04-15/../../.sudi-manifest.json', '/.sudi-manifest.json']) {
      const bad = await curl(p, ['--path-as-is']);
      expect(bad.status, p).toBe(404);
      expect(bad.headers.get('location'), p).toBeUndefined();
    }
  });
});

describe('validators and cache headers', () => {
  it('Cache-Control fits each file: feeds and pages revalidate within minutes, the fingerprinted stylesheet is immutable', async () => {
    const feed = await curl('/feed.xml');
    expect(feed.headers.get('cache-control')).toBe('public, max-age=600, must-revalidate');
    const page = await curl('/');
    expect(page.headers.get('cache-control')).toBe('public, max-age=300, must-revalidate');
    const css = /<link rel="stylesheet" href="([^"]+)">/.exec(page.body.toString('utf8'))![1]!;
    expect(new URL(css).pathname).toMatch(/^\/style\.[0-9a-f]{10}\.css$/);
    const asset = await curl(new URL(css).pathname, ['--compressed']);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(sha256(asset.body).slice(0, 10)).toBe(/style\.([0-9a-f]{10})\.css/.exec(css)![1]);
  });

  it('Edition feeds and the OPML list are served with their types, feed caching, validators and compression', async () => {
    for (const [p, type] of [
      ['/zh/feed.xml', 'application/rss+xml; charset=utf-8'],
      ['/en/atom.xml', 'application/atom+xml; charset=utf-8'],
      ['/en/feed.json', 'application/feed+json; charset=utf-8'],
    ] as const) {
      const plain = await curl(p);
      expect(plain.status, p).toBe(200);
      expect(plain.headers.get('content-type'), p).toBe(type);
      expect(plain.headers.get('cache-control'), p).toBe('public, max-age=600, must-revalidate');
      expect(plain.headers.get('last-modified'), p).toBe(new Date('2024-04-20T09:00:00+08:00').toUTCString());
      expect(plain.headers.get('etag'), p).toBe(etagOf(plain.body));
      expect((await curl(p, ['-H', `If-None-Match: ${etagOf(plain.body)}`])).status, p).toBe(304);
      const br = await curl(p, ['-H', 'Accept-Encoding: br', '--compressed']);
      expect(br.headers.get('content-encoding'), p).toBe('br');
      expect(br.body.equals(plain.body), p).toBe(true);
    }
    const opml = await curl('/feeds.opml');
    expect(opml.headers.get('content-type')).toBe('text/x-opml; charset=utf-8');
    expect(opml.headers.get('cache-control')).toBe('public, max-age=300, must-revalidate');
  });

  it("Last-Modified of the feeds is the newest entry's date", async () => {
    for (const p of ['/feed.xml', '/atom.xml', '/feed.json']) {
      expect((await curl(p)).headers.get('last-modified')).toBe(new Date('2024-04-20T09:00:00+08:00').toUTCString());
    }
  });

  it('a rebuild of unchanged issues answers conditional GETs with 304 (curl and fetch), a new issue with 200', async () => {
    const before = await curl('/feed.xml', ['-H', 'Accept-Encoding: gzip']);
    const etag = before.headers.get('etag')!;
    const lastModified = before.headers.get('last-modified')!;
    const page = await curl('/', ['-H', 'Accept-Encoding: br']);

    // An hour later the scheduler rebuilds: new mtimes, same bytes.
    w.clock.now = new Date(w.clock.now.getTime() + 3_600_000);
    await buildAndWrite(w.config, w.clock.now);
    const byTag = await curl('/feed.xml', ['-H', 'Accept-Encoding: gzip', '-H', `If-None-Match: ${etag}`]);
    expect(byTag.status).toBe(304);
    expect(byTag.body.length).toBe(0);
    expect(byTag.headers.get('etag')).toBe(etag);
    expect(byTag.headers.get('vary')).toBe('Accept-Encoding');
    expect(byTag.headers.get('cache-control')).toBe('public, max-age=600, must-revalidate');
    expectSecurityHeaders(byTag.headers);
    expect((await curl('/feed.xml', ['-H', `If-Modified-Since: ${lastModified}`])).status).toBe(304);
    expect((await curl('/', ['-H', 'Accept-Encoding: br', '-H', `If-None-Match: ${page.headers.get('etag')}`])).status).toBe(304);
    expect((await curl('/', ['-H', `If-Modified-Since: ${page.headers.get('last-modified')}`])).status).toBe(304);
    // fetch adds `Cache-Control: no-cache` to its own conditional requests; readers built on it still get 304.
    const viaFetch = await fetch(new URL('/feed.xml', w.url), { headers: { 'accept-encoding': 'gzip', 'if-none-match': etag } });
    expect(viaFetch.status).toBe(304);
    // Another encoding is another representation: its tag does not match this one.
    expect((await curl('/feed.xml', ['-H', 'Accept-Encoding: br', '-H', `If-None-Match: ${etag}`])).status).toBe(200);

    // A new issue: the feed changes, so do its validators.
    await writeFile(path.join(w.dir, 'issues', '2024-04-22.md'), issueText('2024-04-22'));
    w.clock.now = new Date(w.clock.now.getTime() + 3_600_000);
    await buildAndWrite(w.config, w.clock.now);
    const after = await curl('/feed.xml', ['-H', 'Accept-Encoding: gzip', '-H', `If-None-Match: ${etag}`]);
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(after.headers.get('last-modified')).toBe(new Date('2024-04-22T09:00:00+08:00').toUTCString());
    expect(gunzipSync(after.body).toString('utf8')).toContain('tag:127.0.0.1,2024:issue/2024-04-22');
    expect((await curl('/feed.xml', ['-H', `If-Modified-Since: ${lastModified}`])).status).toBe(200);
    const newPage = await curl('/', ['-H', 'Accept-Encoding: br', '-H', `If-None-Match: ${page.headers.get('etag')}`]);
    expect(newPage.status).toBe(200);
    expect(newPage.headers.get('last-modified')).toBe(w.clock.now.toUTCString());
  });

  it('identical builds on two machines (folders) give the same ETags; the manifest says which files changed', async () => {
    const first = JSON.parse(await readFile(path.join(w.config.publicDir, MANIFEST_PATH), 'utf8')) as Manifest;
    const elsewhere = path.join(w.dir, 'elsewhere');
    await buildAndWrite(w.config, new Date('2030-01-01T00:00:00Z'), { outDir: elsewhere });
    const second = JSON.parse(await readFile(path.join(elsewhere, MANIFEST_PATH), 'utf8')) as Manifest;
    expect(second).toEqual(first);
  });

  it("the scheduler's rebuild in sudi serve is served by the time its tick ends", async () => {
    const before = await curl('/feed.xml');
    await writeFile(path.join(w.dir, 'issues', '2024-04-22.md'), issueText('2024-04-22'));
    w.clock.now = new Date('2024-04-23T00:00:00Z');
    // A cron that never fires by itself: the test runs the tick.
    const cron: CronLike = { schedule: () => ({ stop: () => undefined }), validate: () => true };
    const scheduler = startAppScheduler(w.app, { log: () => undefined, cron, catchUp: false });
    try {
      expect(await scheduler.tickNow()).toBe('ran');
    } finally {
      await scheduler.stop();
    }
    const after = await curl('/feed.xml', ['-H', `If-None-Match: ${before.headers.get('etag')}`]);
    expect(after.status).toBe(200);
    expect(after.body.toString('utf8')).toContain('issue/2024-04-22');
  });

  it('a build by another process (sudi build) is served without a restart', async () => {
    const before = await curl('/feed.xml');
    await writeFile(path.join(w.dir, 'issues', '2024-04-22.md'), issueText('2024-04-22'));
    const p = spawnSudi(['build'], { cwd: w.dir, env: { SITE_URL: w.config.siteUrl, TZ: 'Asia/Shanghai', SECRET: 'x'.repeat(40) } });
    expect((await p.exited).code, p.stderr()).toBe(0);
    // The server notices the swap through its folder watch: wait for that, not for a fixed time.
    await vi.waitFor(
      async () => {
        const r = await curl('/feed.xml', ['-H', `If-None-Match: ${before.headers.get('etag')}`]);
        expect(r.status).toBe(200);
        expect(r.body.toString('utf8')).toContain('issue/2024-04-22');
      },
      { timeout: 10_000, interval: 50 },
    );
  });
});

describe('feed parsers read the compressed feed through HTTP', () => {
  it('Python feedparser (Debian python3-feedparser) fetches feed.xml and atom.xml gzip-encoded and parses them cleanly', async () => {
    const script = [
      'import json, sys, feedparser',
      'out = []',
      'for url in sys.argv[1:]:',
      '    d = feedparser.parse(url)',
      "    out.append({'bozo': d.bozo, 'status': d.get('status'), 'encoding': d.headers.get('content-encoding'), 'version': d.version, 'ids': [e.id for e in d.entries], 'etag': d.get('etag'), 'modified': d.get('modified')})",
      'print(json.dumps(out))',
    ].join('\n');
    const urls = ['/feed.xml', '/atom.xml'].map((p) => new URL(p, w.url).href);
    const { stdout } = await run('/usr/bin/python3', ['-c', script, ...urls]);
    const parsed = JSON.parse(stdout) as { bozo: boolean; status: number; encoding: string; version: string; ids: string[]; etag: string; modified: string }[];
    expect(parsed.map((p) => p.version)).toEqual(['rss20', 'atom10']);
    for (const p of parsed) {
      expect(p.bozo).toBe(false);
      expect(p.status).toBe(200);
      expect(['gzip', 'br']).toContain(p.encoding);
      expect(p.ids).toEqual(['tag:127.0.0.1,2024:issue/2024-04-15']);
    }
    // feedparser's own conditional GET (etag + modified it was given) comes back 304.
    const again = [
      'import sys, feedparser',
      'd = feedparser.parse(sys.argv[1], etag=sys.argv[2], modified=sys.argv[3])',
      "print(d.get('status'), len(d.entries))",
    ].join('\n');
    const second = await run('/usr/bin/python3', ['-c', again, urls[0]!, parsed[0]!.etag, parsed[0]!.modified]);
    expect(second.stdout.trim()).toBe('304 0');
  });

  it('@rowanmanning/feed-parser reads all three feeds fetched brotli-encoded', async () => {
    for (const p of ['/feed.xml', '/atom.xml', '/feed.json']) {
      const r = await fetch(new URL(p, w.url), { headers: { 'accept-encoding': 'br' } });
      expect(r.headers.get('content-encoding')).toBe('br');
      const text = await r.text();
      if (p.endsWith('.json')) {
        expect(JSON.parse(text).items[0].id).toBe('tag:127.0.0.1,2024:issue/2024-04-15');
        continue;
      }
      const feed = parseFeed(text);
      expect(feed.items.map((i) => i.id)).toEqual(['tag:127.0.0.1,2024:issue/2024-04-15']);
    }
  });
});
