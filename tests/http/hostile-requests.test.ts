/**
 * What the server answers to requests that are malformed, oversized or crafted, sent byte for byte
 * over a socket (fetch would refuse to send most of them): every answer carries the security
 * headers — Fastify's and Node's own 400, 414 and 431 included —, no answer shows a filesystem
 * path, and every redirect is a path on this site starting with a single `/`.
 */
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameSiteLocation } from '../../src/http/redirects.ts';
import { securityHeaders } from '../../src/http/security-headers.ts';
import { startWebFixture, type WebFixture } from './web-fixture.ts';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
  raw: string;
}

/** Writes `request` as is and reads the answer until the server closes the connection. */
function raw(url: string, request: string): Promise<RawAnswer> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (data += c));
    // The server may close while we are still writing (431): what it answered is what counts.
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    socket.on('close', () => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no complete answer to ${JSON.stringify(request.slice(0, 80))}: ${JSON.stringify(data)}`));
      const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
      const headers = new Map<string, string>();
      for (const l of lines) headers.set(l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim());
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1]), headers, body: data.slice(end + 4), raw: data });
    });
  });
}

const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: sudi.test\r\n${extra}Connection: close\r\n\r\n`;
const post = (target: string, body: string, extra = '') =>
  `POST ${target} HTTP/1.1\r\nHost: sudi.test\r\n${extra}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

let w: WebFixture;
const answers: { request: string; answer: RawAnswer }[] = [];
async function send(request: string): Promise<RawAnswer> {
  const answer = await raw(w.url, request);
  answers.push({ request, answer });
  return answer;
}

beforeAll(async () => {
  w = await startWebFixture({ ADMIN_TOKEN });
});
afterAll(async () => {
  await w.close();
});

function expectSecurityHeaders(a: RawAnswer) {
  for (const [name, value] of Object.entries(securityHeaders(w.config))) expect(a.headers.get(name), `${name} in\n${a.raw.slice(0, 400)}`).toBe(value);
}

describe('security headers on every answer', () => {
  it("Fastify's 400 for a malformed URL: headers, our page, the URL not echoed", async () => {
    const a = await send(get('/%zz%3Cscript%3E'));
    expect(a.status).toBe(400);
    expectSecurityHeaders(a);
    expect(a.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(a.body).toContain('Bad request');
    expect(a.body).not.toMatch(/%zz|<script/i);
  });

  it('404 for a page that does not exist, HTML and JSON', async () => {
    const html = await send(get('/no-such-page'));
    expect(html.status).toBe(404);
    expectSecurityHeaders(html);
    const json = await send(get('/no-such-page', 'Accept: application/json\r\n'));
    expect(json.status).toBe(404);
    expectSecurityHeaders(json);
    expect(JSON.parse(json.body)).toMatchObject({ ok: false, error: 'not_found' });
  });

  it('414 for an over-long link token', async () => {
    const a = await send(post(`/confirm/${'a'.repeat(300)}`, ''));
    expect(a.status).toBe(414);
    expectSecurityHeaders(a);
    expect(a.body).not.toContain('a'.repeat(300));
  });

  it("Node's 431 for headers over the limit, and 400 for bytes that are not HTTP", async () => {
    const big = await send(get('/', `X-Padding: ${'x'.repeat(20_000)}\r\n`));
    expect(big.status).toBe(431);
    expectSecurityHeaders(big);
    const longUrl = await send(get(`/${'a'.repeat(20_000)}`));
    expect(longUrl.status).toBe(431);
    expectSecurityHeaders(longUrl);
    const garbage = await send('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage.status).toBe(400);
    expectSecurityHeaders(garbage);
  });

  it('405, 413 and 415 answers and the admin endpoint', async () => {
    expectSecurityHeaders(await send(`DELETE /subscribe HTTP/1.1\r\nHost: sudi.test\r\nConnection: close\r\n\r\n`));
    const tooLarge = await send(post('/subscribe', JSON.stringify({ email: 'x'.repeat(20_000) })));
    expect(tooLarge.status).toBe(413);
    expectSecurityHeaders(tooLarge);
    const wrongType = await send(`POST /subscribe HTTP/1.1\r\nHost: sudi.test\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`);
    expect(wrongType.status).toBe(415);
    expectSecurityHeaders(wrongType);
    const admin = await send(post('/admin/send', '{}', 'Authorization: Bearer wrong-wrong-wrong\r\n'));
    expect(admin.status).toBe(401);
    expectSecurityHeaders(admin);
  });
});

describe('no answer shows a filesystem path', () => {
  it('the admin endpoint names issues, never their files', async () => {
    const auth = `Authorization: Bearer ${ADMIN_TOKEN}\r\n`;
    const unknown = await send(post('/admin/send', JSON.stringify({ issue: '2023-01-02' }), auth));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toBe('no issue 2023-01-02 (expected an issue id such as 2024-04-15 or "latest")');
    await writeFile(path.join(w.dir, 'issues', '2024-05-06.md'), '---\ntitle: broken\n---\n');
    const invalid = await send(post('/admin/send', JSON.stringify({ issue: 'latest' }), auth));
    expect(invalid.status).toBe(422);
    const body = JSON.parse(invalid.body) as { problems: string[] };
    expect(body.problems.length).toBeGreaterThan(0);
    expect(body.problems[0]).toMatch(/^2024-05-06\.md:\d+: /);
  });

  it('in none of the answers in this file (headers or body)', async () => {
    // Last in the file: every answer collected above is checked.
    await send(get('/admin/send'));
    await send(get('/issues/../../../../etc/passwd'));
    await send(get('/%2e%2e/%2e%2e/package.json'));
    await send(get('/feed.xml/x'));
    expect(answers.length).toBeGreaterThan(15);
    const root = path.resolve(import.meta.dirname, '..', '..');
    for (const { request, answer } of answers) {
      for (const p of [w.dir, root, '/tmp/', 'node_modules', 'ENOENT']) expect(answer.raw, `${p} in the answer to ${request.slice(0, 60)}`).not.toContain(p);
    }
  });
});

describe('redirects stay on this site', () => {
  it('a crafted path that a path-joining redirect would send to //host/… stays on this site', async () => {
    for (const target of ['/issues/2024-04-15']) {
      const a = await send(get(target));
      expect(a.status, target).toBe(301);
      expect(a.headers.get('location'), target).toBe('/issues/2024-04-15/');
      expectSecurityHeaders(a);
    }
    // Dot segments and doubled slashes name no file in the archive's table: not found, or a redirect on this site.
    for (const target of ['//evil.test/..//issues/2024-04-15', '/\\evil.test/..//issues/2024-04-15', '/.//issues/2024-04-15', '///issues/2024-04-15']) {
      const a = await send(get(target));
      if (a.status === 301) expect(a.headers.get('location'), target).toBe('/issues/2024-04-15/');
      else expect(a.status, target).toBe(404);
      expectSecurityHeaders(a);
    }
    const subscribe = await send(get('/subscribe'));
    expect(subscribe.status).toBe(303);
    expect(subscribe.headers.get('location')).toBe('/');
  });

  it('sameSiteLocation keeps paths, turns this site\'s URLs into paths and anything else into /', () => {
    const site = 'https://news.example.org/';
    expect(sameSiteLocation('/issues/2024-04-15/?a=1', site)).toBe('/issues/2024-04-15/?a=1');
    expect(sameSiteLocation('//issues/2024-04-15/', site)).toBe('/issues/2024-04-15/');
    expect(sameSiteLocation('/\\evil.test/x', site)).toBe('/evil.test/x');
    expect(sameSiteLocation('\\\\evil.test/x', site)).toBe('/evil.test/x');
    expect(sameSiteLocation('/.//evil.test/x', site)).toBe('/evil.test/x');
    expect(sameSiteLocation('https://news.example.org/feed.xml', site)).toBe('/feed.xml');
    expect(sameSiteLocation('https://evil.test/', site)).toBe('/');
    expect(sameSiteLocation('javascript:alert(1)', site)).toBe('/');
  });
});
