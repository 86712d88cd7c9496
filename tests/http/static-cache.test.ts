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

