/**
 * The Archive and Feeds as served: content types, conditional GETs, security headers, health.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebFixture, type WebFixture } from './web-fixture.ts';

let w: WebFixture;
beforeAll(async () => {
  w = await startWebFixture();
});
afterAll(async () => {
  await w.close();
});

const get = (p: string, headers: Record<string, string> = {}) => fetch(new URL(p, w.url), { headers, redirect: 'manual' });

/**
 * Conditional GETs through node:http: fetch (undici) adds `Cache-Control: no-cache` to a request
 * that carries its own If-None-Match, which rightly makes a server answer 200.
 */
function conditional(p: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Headers }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(p, w.url), { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode!, body, headers: h });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function expectSecurityHeaders(r: { headers: Headers }) {
  const csp = r.headers.get('content-security-policy') ?? '';
  for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"]) {
    expect(csp).toContain(d);
  }
  // 'wasm-unsafe-eval' (Pagefind's search, see security-headers.ts) allows WebAssembly only; never eval or inline code.
  expect(csp).toMatch(/script-src [^;]*'wasm-unsafe-eval'/);
  expect(csp).not.toMatch(/unsafe-inline|(?<!wasm-)unsafe-eval/);
  expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  expect(r.headers.get('referrer-policy')).toBe('no-referrer');
  expect(r.headers.get('x-frame-options')).toBe('DENY');
}

describe('static archive and feeds', () => {
  it('serves the archive index as text/html; charset=utf-8 with the subscribe form', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(r);
    const html = await r.text();
    expect(html).toContain(`action="${w.url}/subscribe"`);
    // No inline script or style anywhere on the page (the CSP would block them anyway).
    expect(html).not.toMatch(/<script\b(?![^>]*\bsrc=)/i);
    expect(html).not.toMatch(/<style\b|\sstyle="/i);
  });

  it.each([
    ['/feed.xml', 'application/rss+xml; charset=utf-8'],
    ['/atom.xml', 'application/atom+xml; charset=utf-8'],
    ['/feed.json', 'application/feed+json; charset=utf-8'],
    ['/style.css', 'text/css; charset=utf-8'],
    ['/issues/2024-04-15/', 'text/html; charset=utf-8'],
  ])('%s is served as %s', async (p, type) => {
    const r = await get(p);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(type);
    expectSecurityHeaders(r);
    // Strong validators from content (static-cache.test.ts covers their stability and the encodings).
    expect(r.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    expect(r.headers.get('last-modified')).toBeTruthy();
    const body = await r.text();
    if (p.endsWith('.xml')) expect(body.startsWith('<?xml')).toBe(true);
    if (p.endsWith('.json')) expect(JSON.parse(body).version).toBe('https://jsonfeed.org/version/1.1');
  });

  it('answers conditional GETs with 304 (ETag and Last-Modified), and 200 when the validator differs', async () => {
    const first = await conditional('/feed.xml', {});
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    const byEtag = await conditional('/feed.xml', { 'if-none-match': etag });
    expect(byEtag.status).toBe(304);
    expect(byEtag.body).toBe('');
    expectSecurityHeaders(byEtag);
    expect((await conditional('/feed.xml', { 'if-modified-since': lastModified })).status).toBe(304);
    expect((await conditional('/feed.xml', { 'if-none-match': 'W/"something-else"' })).status).toBe(200);
    // A request's no-cache is addressed to caches; the origin still answers the condition (fetch sends it).
    expect((await conditional('/feed.xml', { 'if-none-match': etag, 'cache-control': 'no-cache' })).status).toBe(304);
    expect((await conditional('/', { 'if-none-match': (await conditional('/', {})).headers.get('etag')! })).status).toBe(304);
  });

  it('redirects an issue folder without its slash, answers HEAD, and 404s unknown paths as a page', async () => {
    const r = await get('/issues/2024-04-15');
    expect([301, 302, 308]).toContain(r.status);
    expect(r.headers.get('location')).toMatch(/\/issues\/2024-04-15\/$/);
    const head = await fetch(new URL('/feed.xml', w.url), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    const missing = await get('/no/such/page.html');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(missing);
    expect(await missing.text()).toContain('Page not found');
    expect((await get('/../../etc/passwd')).status).toBe(404);
    expect((await get('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
  });

  it('GET /healthz reports ok with a Store round trip', async () => {
    const r = await get('/healthz');
    expect(r.status).toBe(200);
    expectSecurityHeaders(r);
    expect(await r.json()).toEqual({ status: 'ok', store: 'sqlite' });
  });
});
