/**
 * The Console on a PostgreSQL Store: what the page takes from the address bar reaches PostgreSQL's
 * typed parameters only in a shape they accept (a bigint id to page after), so odd values are the
 * first page, not a 500.
 */
import { parseSetCookie } from 'cookie';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../helpers/postgres.ts';
import { startWebFixture, type WebFixture } from './web-fixture.ts';

const ADMIN_TOKEN = 'console-postgres-token-0123456789';
let schema: TestSchema;
let w: WebFixture;
let cookie = '';

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

beforeAll(async () => {
  schema = await createTestSchema();
  w = await startWebFixture({ ADMIN_TOKEN, DATABASE_URL: schema.url });
  for (const email of ['a@example.org', 'b@example.org']) await w.store.insertSubscriber({ email, status: 'active', lang: 'en', source: 'test', now: w.clock.now });
  const form = await fetch(`${w.url}/admin/sign-in`);
  const pre = parseSetCookie(form.headers.getSetCookie()[0]!);
  const signedIn = await w.postForm('/admin/sign-in', { token: ADMIN_TOKEN, _csrf: csrfIn(await form.text()) }, { headers: { cookie: `sudi_admin=${pre.value}` } });
  cookie = `sudi_admin=${parseSetCookie(signedIn.headers.getSetCookie()[0]!).value}`;
});
afterAll(async () => {
  await w?.close();
  await schema?.drop();
});

it('pages after a Subscriber id; an id PostgreSQL could not take is the first page', async () => {
  expect(w.store.kind).toBe('postgres');
  const page = (q: string) => fetch(`${w.url}/admin/subscribers${q}`, { headers: { cookie } });
  const first = await page('');
  expect(first.status).toBe(200);
  const a = (await w.subscriber('a@example.org'))!;
  const after = await (await page(`?after=${a.id}`)).text();
  expect(after).toContain('b@example.org');
  expect(after).not.toContain('a@example.org</');
  for (const odd of ['1.5', '1e20', '-3', '99999999999999999999', 'x']) {
    const r = await page(`?after=${odd}`);
    expect([odd, r.status]).toEqual([odd, 200]);
    expect(await r.text()).toContain('a@example.org');
  }
});
