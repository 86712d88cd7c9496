/**
 * The links in mail: confirm, unsubscribe (with RFC 8058 one-click) and preferences, against the
 * real server. GET never changes the database; bad tokens get a clear page, a 4xx and no change.
 */
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Subscriber } from '../../src/store/store.ts';
import { preferencesUrl, unsubscribeUrl } from '../../src/subscribers/links.ts';
import { signToken } from '../../src/subscribers/tokens.ts';
import { linkIn, startWebFixture, TEST_SECRET, type WebFixture } from './web-fixture.ts';

const DAY = 86_400_000;
let w: WebFixture;
let seq = 0;

beforeAll(async () => {
  w = await startWebFixture({ SUBSCRIBE_RATE_LIMIT: '100000' });
});
afterAll(async () => {
  await w.close();
});

/** A snapshot of the whole subscribers table, read through a separate connection. */
function dbSnapshot(): unknown[] {
  const db = new DatabaseSync(w.config.databaseUrl.slice('sqlite:'.length), { readOnly: true });
  try {
    return db.prepare('SELECT * FROM subscribers ORDER BY id').all();
  } finally {
    db.close();
  }
}

/** Signs up through the form and returns the Subscriber and the confirm path from the mail. */
async function signUp(): Promise<{ s: Subscriber; confirmPath: string }> {
  const email = `links${++seq}@example.org`;
  expect((await w.postForm('/subscribe', { email })).status).toBe(200);
  const mail = (await w.mails()).find((m) => m.text?.includes(email));
  return { s: (await w.subscriber(email))!, confirmPath: linkIn(mail!, 'confirm') };
}

const get = (p: string) => fetch(new URL(p, w.url), { redirect: 'manual' });
const pathOf = (url: string) => new URL(url).pathname;

describe('confirm', () => {
  it('GET shows a page with a Confirm button and changes nothing; POST activates; a second POST is harmless', async () => {
    const { s, confirmPath } = await signUp();
    const before = dbSnapshot();
    for (let i = 0; i < 3; i++) {
      const r = await get(confirmPath);
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      const html = await r.text();
      expect(html).toMatch(/<form method="post"[^>]*>/);
      expect(html).toContain('Confirm');
    }
    expect((await fetch(new URL(confirmPath, w.url), { method: 'HEAD' })).status).toBe(200);
    expect(dbSnapshot()).toEqual(before);

    const r = await w.postForm(confirmPath, {});
    expect(r.status).toBe(200);
    expect(r.headers.get('location')).toBeNull();
    const html = await r.text();
    expect(html).toContain('You are subscribed');
    expect(html).toContain(pathOf(preferencesUrl(w.config, TEST_SECRET, s)));
    const active = (await w.store.getSubscriber(s.id))!;
    expect(active).toMatchObject({ status: 'active', confirmedAt: w.clock.now });

    w.clock.now = new Date(w.clock.now.getTime() + 1000);
    const again = await w.postForm(confirmPath, {});
    expect(again.status).toBe(200);
    expect(await w.store.getSubscriber(s.id)).toEqual(active);
    // GET on an active subscriber's link says so and still changes nothing.
    expect(await (await get(confirmPath)).text()).toContain('already confirmed');
  });

  it('refuses forged, tampered, malformed, other-purpose and expired tokens with a page and a 4xx, changing nothing', async () => {
    const { s, confirmPath } = await signUp();
    const token = confirmPath.split('/').at(-1)!;
    const [id, iat, mac] = token.split('.') as [string, string, string];
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const cases: [string, string, number, RegExp][] = [
      ['forged MAC', `/confirm/${id}.${iat}.${'A'.repeat(43)}`, 400, /not valid/],
      ['tampered MAC', `/confirm/${id}.${iat}.${flip(mac[0]!)}${mac.slice(1)}`, 400, /not valid/],
      ['tampered id', `/confirm/${Number(id) + 1}.${iat}.${mac}`, 400, /not valid/],
      ['tampered time', `/confirm/${id}.${(parseInt(iat, 36) + 1).toString(36)}.${mac}`, 400, /not valid/],
      ['malformed', '/confirm/hello', 400, /not valid/],
      ['unsubscribe token on /confirm', pathOf(unsubscribeUrl(w.config, TEST_SECRET, s)).replace('/unsubscribe/', '/confirm/'), 400, /not valid/],
      ['preferences token on /confirm', pathOf(preferencesUrl(w.config, TEST_SECRET, s)).replace('/preferences/', '/confirm/'), 400, /not valid/],
      ['expired (8 days old)', `/confirm/${signToken(TEST_SECRET, 'confirm', s, new Date(w.clock.now.getTime() - 8 * DAY))}`, 410, /expired/],
      ['other secret', `/confirm/${signToken('another-secret-0123456789-abcdefghijkl', 'confirm', s, w.clock.now)}`, 400, /not valid/],
    ];
    const before = dbSnapshot();
    for (const [what, p, status, text] of cases) {
      for (const method of ['GET', 'POST'] as const) {
        const r = method === 'GET' ? await get(p) : await w.postForm(p, {});
        expect(r.status, `${method} ${what}`).toBe(status);
        expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(await r.text(), what).toMatch(text);
      }
    }
    expect(dbSnapshot()).toEqual(before);
    expect((await w.store.getSubscriber(s.id))!.status).toBe('pending');
  });

  it('a confirm link expires after 7 days; the visitor is told to subscribe again', async () => {
    const { s, confirmPath } = await signUp();
    w.clock.now = new Date(w.clock.now.getTime() + 7 * DAY + 60_000);
    const r = await w.postForm(confirmPath, {});
    expect(r.status).toBe(410);
    expect(await r.text()).toContain('Subscribe again');
    expect((await w.store.getSubscriber(s.id))!.status).toBe('pending');
  });

  it('an old confirm link does not bring back someone who unsubscribed since', async () => {
    const { s, confirmPath } = await signUp();
    expect((await w.postForm(confirmPath, {})).status).toBe(200);
    const unsub = pathOf(unsubscribeUrl(w.config, TEST_SECRET, s));
    expect((await w.postForm(unsub, {})).status).toBe(200);
    const r = await w.postForm(confirmPath, {});
    expect(r.status).toBe(410);
    expect((await w.store.getSubscriber(s.id))!.status).toBe('unsubscribed');
  });
});

describe('unsubscribe', () => {
  let s: Subscriber;
  let unsubPath: string;
  beforeEach(async () => {
    const up = await signUp();
    await w.postForm(up.confirmPath, {});
    s = (await w.store.getSubscriber(up.s.id))!;
    expect(s.status).toBe('active');
    unsubPath = pathOf(unsubscribeUrl(w.config, TEST_SECRET, s));
  });

  it('GET shows a page with an Unsubscribe button and changes nothing', async () => {
    const before = dbSnapshot();
    const r = await get(unsubPath);
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toMatch(/<form method="post"[^>]*>[\s\S]*Unsubscribe[\s\S]*<\/form>/);
    expect(dbSnapshot()).toEqual(before);
  });

  it('RFC 8058 one-click, urlencoded, no cookies: 200, no redirect, unsubscribed before the answer; a replay is harmless', async () => {
    const r = await fetch(new URL(unsubPath, w.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    // Read the database before reading the body: the change was committed before the answer.
    const after = (await w.store.getSubscriber(s.id))!;
    expect(r.status).toBe(200);
    expect(r.headers.get('location')).toBeNull();
    expect(r.headers.get('set-cookie')).toBeNull();
    expect(after).toMatchObject({ status: 'unsubscribed', unsubscribedAt: w.clock.now });
    expect(await r.text()).toContain('You are unsubscribed');

    w.clock.now = new Date(w.clock.now.getTime() + 5000);
    const replay = await fetch(new URL(unsubPath, w.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(replay.status).toBe(200);
    expect(await w.store.getSubscriber(s.id)).toEqual(after);
  });

  it('RFC 8058 one-click, multipart/form-data: 200, no redirect, unsubscribed', async () => {
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const r = await fetch(new URL(unsubPath, w.url), { method: 'POST', body: form, redirect: 'manual' });
    expect((await w.store.getSubscriber(s.id))!.status).toBe('unsubscribed');
    expect(r.status).toBe(200);
    expect(r.headers.get('location')).toBeNull();
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('a hand-built multipart body with CRLFs, as a mail provider sends it, also works', async () => {
    const boundary = '----sudi-test-boundary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    const r = await fetch(new URL(unsubPath, w.url), { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
    expect(r.status).toBe(200);
    expect((await w.store.getSubscriber(s.id))!.status).toBe('unsubscribed');
  });

  it('the page button (an empty form POST) and a POST with no body at all both unsubscribe', async () => {
    const r = await w.postForm(unsubPath, {});
    expect(r.status).toBe(200);
    expect((await w.store.getSubscriber(s.id))!.status).toBe('unsubscribed');
    const other = (await signUp()).s;
    const bare = await fetch(new URL(pathOf(unsubscribeUrl(w.config, TEST_SECRET, other)), w.url), { method: 'POST' });
    expect(bare.status).toBe(200);
    expect((await w.store.getSubscriber(other.id))!.status).toBe('unsubscribed');
  });

  it('refuses a confirm token, a forged token and a huge body, changing nothing', async () => {
    const before = dbSnapshot();
    const confirmAsUnsub = `/unsubscribe/${signToken(TEST_SECRET, 'confirm', s, w.clock.now)}`;
    for (const p of [confirmAsUnsub, `/unsubscribe/${s.id}.0.${'A'.repeat(43)}`, '/unsubscribe/x']) {
      const r = await w.postForm(p, { 'List-Unsubscribe': 'One-Click' });
      expect(r.status).toBe(400);
      expect(await r.text()).toContain('not valid');
      expect((await get(p)).status).toBe(400);
    }
    const huge = await fetch(new URL(unsubPath, w.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `List-Unsubscribe=One-Click&pad=${'x'.repeat(200_000)}` });
    expect(huge.status).toBe(413);
    expect(dbSnapshot()).toEqual(before);
  });

  it('keeps a bounced Subscriber bounced but still answers "unsubscribed"', async () => {
    await w.store.setSubscriberStatus(s.id, 'bounced', w.clock.now);
    const r = await w.postForm(unsubPath, {});
    expect(r.status).toBe(200);
    expect((await w.store.getSubscriber(s.id))!.status).toBe('bounced');
  });
});

describe('preferences', () => {
  it('GET shows the current language; POST changes it; bad values and tokens are refused', async () => {
    const { s } = await signUp();
    const p = pathOf(preferencesUrl(w.config, TEST_SECRET, s));
    const before = dbSnapshot();
    const page = await (await get(p)).text();
    expect(page).toMatch(/value="both" checked/);
    expect(page).toContain(pathOf(unsubscribeUrl(w.config, TEST_SECRET, s)));
    expect(dbSnapshot()).toEqual(before);

    const r = await w.postForm(p, { lang: 'zh' });
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('Saved');
    expect(html).toMatch(/value="zh" checked/);
    expect((await w.store.getSubscriber(s.id))!.lang).toBe('zh');

    const j = await fetch(new URL(p, w.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lang: 'en' }) });
    expect(await j.json()).toEqual({ ok: true, lang: 'en' });

    const bad = await w.postForm(p, { lang: 'fr' });
    expect(bad.status).toBe(400);
    expect((await w.store.getSubscriber(s.id))!.lang).toBe('en');
    const wrongPurpose = pathOf(unsubscribeUrl(w.config, TEST_SECRET, s)).replace('/unsubscribe/', '/preferences/');
    expect((await w.postForm(wrongPurpose, { lang: 'zh' })).status).toBe(400);
    expect((await w.store.getSubscriber(s.id))!.lang).toBe('en');
  });
});
