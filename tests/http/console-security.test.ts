/**
 * The Console's doors, over plain HTTP against a real server: nothing without a signed-in Session
 * (every route walked), CSRF tokens refused unless they are this Session's, a new Session id at
 * sign-in (no fixation), the cookie's flags (Secure with an https SITE_URL), the sign-in guessing
 * limit with the client's address logged, sign-out, and /admin off entirely without ADMIN_TOKEN.
 */
import http from 'node:http';
import { parseSetCookie } from 'cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILED_TOKEN_LIMIT } from '../../src/http/admin-routes.ts';
import { startWebFixture, type WebFixture } from './web-fixture.ts';

const ADMIN_TOKEN = 'console-token-0123456789abcdef';
const ISSUE = '2024-04-15';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request from a loopback address of its own (the guessing limit counts per address). */
function call(base: string, method: string, path: string, opts: { cookie?: string; form?: Record<string, string>; from?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
    const headers: Record<string, string> = {};
    if (opts.cookie) headers.cookie = opts.cookie;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const req = http.request(new URL(path, base), { method, headers, localAddress: opts.from ?? '127.0.0.1', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      // An event stream would not end on its own: the head is enough.
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
      }
    });
    req.on('error', reject);
    req.end(body);
  });
}

const cookieOf = (a: Answer) => {
  const raw = a.headers['set-cookie']?.[0];
  return raw ? parseSetCookie(raw) : null;
};
const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** GET the form (a pre-sign-in Session and its CSRF token), then POST the token. */
async function signIn(base: string, from = '127.0.0.1', planted?: string) {
  const form = await call(base, 'GET', '/admin/sign-in', { from, cookie: planted });
  const pre = cookieOf(form)!;
  const answer = await call(base, 'POST', '/admin/sign-in', { from, cookie: `sudi_admin=${pre.value}`, form: { token: ADMIN_TOKEN, _csrf: csrfIn(form.body) } });
  const session = cookieOf(answer);
  return { pre: pre.value, answer, cookie: session ? `sudi_admin=${session.value}` : '', raw: answer.headers['set-cookie']?.[0] ?? '' };
}

/** Every Console route that needs a session (the test below checks this list against the server's). */
const TEMPLATES: [string, string][] = [
  ['GET', '/admin'],
  ['GET', '/admin/issues/:id'],
  ['GET', '/admin/issues/:id/preview/:lang'],
  ['POST', '/admin/issues/:id/test-send'],
  ['GET', '/admin/issues/:id/send'],
  ['POST', '/admin/issues/:id/send'],
  ['GET', '/admin/sends/:id'],
  ['GET', '/admin/sends/:id/events'],
  ['POST', '/admin/sends/:id/retry'],
  ['POST', '/admin/sends/:id/pause'],
  ['POST', '/admin/sends/:id/resume'],
  ['GET', '/admin/subscribers'],
  ['GET', '/admin/subscribers/export.csv'],
  ['POST', '/admin/subscribers/import'],
  ['GET', '/admin/subscribers/:id'],
  ['POST', '/admin/subscribers/:id/lang'],
  ['POST', '/admin/subscribers/:id/unsubscribe'],
  ['POST', '/admin/sign-out'],
];
/** The routes open without a session: the sign-in form, its two static files, the bearer endpoint. */
const OPEN = ['/admin/sign-in', '/admin/assets/console.css', '/admin/assets/console.js', '/admin/send'];
/** A path that exists in the fixture where it matters. */
const fill = (p: string) => p.replace(/(issues|sends)\/:id/, `$1/${ISSUE}`).replace('subscribers/:id', 'subscribers/1').replace(':lang', 'en');
const ROUTES: [string, string][] = TEMPLATES.map(([m, p]) => [m, fill(p)]);

/** [method, path] of every route in Fastify's printRoutes tree (HEAD left out: Fastify adds it to each GET). */
function routeTable(tree: string): [string, string][] {
  const stack: string[] = [];
  const out: [string, string][] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.*) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    stack.length = m[1]!.length / 4;
    const full = (stack.at(-1) ?? '') + m[2]!;
    stack.push(full);
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') out.push([method, full]);
  }
  return out;
}

let w: WebFixture;
beforeAll(async () => {
  w = await startWebFixture({ ADMIN_TOKEN });
  await w.store.insertSubscriber({ email: 'reader@example.org', status: 'active', lang: 'zh', source: 'test', now: w.clock.now });
});
afterAll(async () => {
  await w?.close();
});

describe('the Console without a session', () => {
  it('walks every /admin route the server has (the list below is complete)', () => {
    const table = routeTable(w.server.fastify.printRoutes({ commonPrefix: false }));
    expect(table).toContainEqual(['GET', '/healthz']); // the parse reads the tree
    const guarded = table.filter(([, p]) => p.startsWith('/admin') && !OPEN.includes(p));
    const key = ([m, p]: [string, string]) => `${m} ${p}`;
    expect(guarded.map(key).sort()).toEqual(TEMPLATES.map(key).sort());
  });

  it('answers no route: GET pages go to the sign-in form, everything else is 403, and nothing changes', async () => {
    const form = await call(w.url, 'GET', '/admin/sign-in');
    const anonymous = `sudi_admin=${cookieOf(form)!.value}`;
    for (const [method, path] of ROUTES) {
      for (const cookie of [undefined, anonymous, 'sudi_admin=made-up-0123456789']) {
        const a = await call(w.url, method, path, { cookie, form: method === 'POST' ? { _csrf: csrfIn(form.body), lang: 'en', address: 'x@example.org', csv: 'email\nnew@example.org' } : undefined });
        if (method === 'GET' && !path.endsWith('/events')) {
          expect([path, a.status, a.headers.location]).toEqual([path, 303, '/admin/sign-in']);
          expect(a.body).toBe('');
        } else {
          expect([method, path, a.status]).toEqual([method, path, 403]);
          expect(a.body).not.toContain('reader@example.org');
        }
      }
    }
    expect(await w.store.getSend(ISSUE)).toBeNull();
    expect((await w.subscriber('reader@example.org'))!).toMatchObject({ status: 'active', lang: 'zh' });
    expect(await w.subscriber('new@example.org')).toBeNull();
  });
});

describe('signing in', () => {
  it('issues a new Session id at sign-in, never the one the browser came with (no fixation)', async () => {
    const s = await signIn(w.url);
    expect(s.answer.status).toBe(303);
    expect(s.answer.headers.location).toBe('/admin');
    expect(s.cookie).not.toBe(`sudi_admin=${s.pre}`);
    expect((await call(w.url, 'GET', '/admin', { cookie: s.cookie })).status).toBe(200);
    // The pre-sign-in id is gone, not promoted.
    expect((await call(w.url, 'GET', '/admin', { cookie: `sudi_admin=${s.pre}` })).status).toBe(303);
    // An id planted by someone else (unknown to the server) is never adopted either.
    const planted = await signIn(w.url, '127.0.0.1', 'sudi_admin=attacker-chosen-id-0123456789abcdef');
    expect(planted.cookie).not.toContain('attacker-chosen');
    expect((await call(w.url, 'GET', '/admin', { cookie: 'sudi_admin=attacker-chosen-id-0123456789abcdef' })).status).toBe(303);
  });

  it('sets the cookie HttpOnly, SameSite=Strict, on /admin, for 12 hours; not Secure over an http SITE_URL', async () => {
    const { raw } = await signIn(w.url);
    const c = parseSetCookie(raw);
    expect(c).toMatchObject({ name: 'sudi_admin', httpOnly: true, sameSite: 'strict', path: '/admin', maxAge: 12 * 3600 });
    expect(c.value).toMatch(/^[\w-]{43}$/); // 256 bits, base64url
    expect(c.secure).toBeFalsy();
  });

  it('ends a Session 12 hours after sign-in', async () => {
    const start = w.clock.now;
    try {
      const { cookie } = await signIn(w.url);
      w.clock.now = new Date(start.getTime() + 12 * 3600_000 - 1000);
      expect((await call(w.url, 'GET', '/admin', { cookie })).status).toBe(200);
      w.clock.now = new Date(start.getTime() + 12 * 3600_000);
      const late = await call(w.url, 'GET', '/admin', { cookie });
      expect([late.status, late.headers.location]).toEqual([303, '/admin/sign-in']);
    } finally {
      w.clock.now = start;
    }
  });

  it('refuses a sign-in without the form token of its own pre-sign-in Session', async () => {
    const form = await call(w.url, 'GET', '/admin/sign-in');
    const other = await call(w.url, 'GET', '/admin/sign-in');
    const cookie = `sudi_admin=${cookieOf(form)!.value}`;
    for (const csrf of ['', 'wrong', csrfIn(other.body)]) {
      const a = await call(w.url, 'POST', '/admin/sign-in', { cookie, form: { token: ADMIN_TOKEN, _csrf: csrf } });
      expect(a.status).toBe(403);
      expect(a.headers['set-cookie']).toBeUndefined();
    }
  });

  it(`allows ${FAILED_TOKEN_LIMIT} wrong tokens per address in 15 min, logging each with the address, then 429 even for the right one`, async () => {
    const from = '127.0.0.31';
    const statuses: number[] = [];
    for (let i = 0; i < FAILED_TOKEN_LIMIT; i++) {
      const form = await call(w.url, 'GET', '/admin/sign-in', { from });
      const a = await call(w.url, 'POST', '/admin/sign-in', { from, cookie: `sudi_admin=${cookieOf(form)!.value}`, form: { token: `guess-${i}`, _csrf: csrfIn(form.body) } });
      statuses.push(a.status);
    }
    expect(statuses).toEqual(Array(FAILED_TOKEN_LIMIT).fill(401));
    const logged = w.logs.filter((l) => l.startsWith('console: wrong token at sign-in from 127.0.0.31 '));
    expect(logged).toHaveLength(FAILED_TOKEN_LIMIT);
    expect(logged.at(-1)).toContain(`(${FAILED_TOKEN_LIMIT} of ${FAILED_TOKEN_LIMIT} failures allowed in 15 min)`);
    const limited = await signIn(w.url, from);
    expect(limited.answer.status).toBe(429);
    expect(limited.answer.headers['retry-after']).toMatch(/^\d+$/);
    // What it got back is a fresh sign-in form's Session, which opens nothing.
    expect((await call(w.url, 'GET', '/admin', { cookie: limited.cookie })).status).toBe(303);
    // Another address is not affected; the successful sign-in is logged with its address.
    expect((await signIn(w.url, '127.0.0.32')).answer.status).toBe(303);
    expect(w.logs).toContain('console: signed in from 127.0.0.32');
  });
});

describe('with a session', () => {
  it('refuses every POST whose CSRF token is missing, wrong or another Session’s; the right one works', async () => {
    const a = await signIn(w.url);
    const b = await signIn(w.url);
    const page = await call(w.url, 'GET', '/admin/subscribers/1', { cookie: a.cookie });
    const mine = csrfIn(page.body);
    const theirs = csrfIn((await call(w.url, 'GET', '/admin', { cookie: b.cookie })).body);
    expect(mine).not.toBe(theirs);
    for (const [method, path] of ROUTES.filter(([m]) => m === 'POST')) {
      for (const token of [undefined, 'wrong', theirs]) {
        const r = await call(w.url, method, path, { cookie: a.cookie, form: { ...(token === undefined ? {} : { _csrf: token }), lang: 'en', subscriber: '1' } });
        expect([path, String(token), r.status]).toEqual([path, String(token), 403]);
      }
    }
    expect((await w.subscriber('reader@example.org'))!).toMatchObject({ status: 'active', lang: 'zh' });
    expect(await w.store.getSend(ISSUE)).toBeNull();
    const ok = await call(w.url, 'POST', '/admin/subscribers/1/lang', { cookie: a.cookie, form: { _csrf: mine, lang: 'en' } });
    expect(ok.status).toBe(303);
    expect((await w.subscriber('reader@example.org'))!.lang).toBe('en');
  });

  it('serves the edition preview under its own CSP (no script, sandboxed, framed only by the console)', async () => {
    const { cookie } = await signIn(w.url);
    const r = await call(w.url, 'GET', `/admin/issues/${ISSUE}/preview/zh`, { cookie });
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('sandbox');
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain('script-src');
    expect(r.body).toContain('<html');
    // The console's own pages keep the site's CSP: no inline script or style.
    const issue = await call(w.url, 'GET', `/admin/issues/${ISSUE}`, { cookie });
    expect(String(issue.headers['content-security-policy'])).toMatch(/script-src 'self'/);
    expect(issue.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(issue.body).not.toMatch(/\sstyle=/);
  });

  it('signs out: the Session ends and the cookie is cleared', async () => {
    const { cookie } = await signIn(w.url);
    const csrf = csrfIn((await call(w.url, 'GET', '/admin', { cookie })).body);
    const out = await call(w.url, 'POST', '/admin/sign-out', { cookie, form: { _csrf: csrf } });
    expect(out.status).toBe(303);
    expect(cookieOf(out)).toMatchObject({ name: 'sudi_admin', value: '', maxAge: 0 });
    expect((await call(w.url, 'GET', '/admin', { cookie })).status).toBe(303);
  });

  it('leaves the bearer endpoint for scripts as it was', async () => {
    const r = await fetch(`${w.url}/admin/send`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ issue: '2023-01-02' }) });
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: expect.stringContaining('no issue 2023-01-02') });
  });
});

describe('the cookie under an https SITE_URL, and no console without ADMIN_TOKEN', () => {
  it('marks the cookie Secure when SITE_URL is https', async () => {
    const https = await startWebFixture({ ADMIN_TOKEN, SITE_URL: 'https://news.example.org/' });
    try {
      const { raw, answer } = await signIn(https.url);
      expect(answer.status).toBe(303);
      expect(parseSetCookie(raw)).toMatchObject({ secure: true, httpOnly: true, sameSite: 'strict' });
    } finally {
      await https.close();
    }
  });

  it('answers 404 on every console route when ADMIN_TOKEN is not set', async () => {
    const off = await startWebFixture();
    try {
      for (const [method, path] of [...ROUTES, ['GET', '/admin/sign-in'], ['POST', '/admin/sign-in'], ['GET', '/admin/assets/console.js']] as [string, string][]) {
        expect([method, path, (await call(off.url, method, path, { form: method === 'POST' ? { token: ADMIN_TOKEN } : undefined })).status]).toEqual([method, path, 404]);
      }
    } finally {
      await off.close();
    }
  });
});
