/**
 * POST /subscribe against the real server: double opt-in, no address discovery, bombing limits,
 * and refusal of bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebFixture, linkIn, type WebFixture } from './web-fixture.ts';

const HOUR = 3600 * 1000;

describe('POST /subscribe', () => {
  let w: WebFixture;
  beforeAll(async () => {
    w = await startWebFixture({ SUBSCRIBE_RATE_LIMIT: '100000' });
  });
  afterAll(async () => {
    await w.close();
  });
  const advance = (ms: number) => (w.clock.now = new Date(w.clock.now.getTime() + ms));
  const json = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(new URL('/subscribe', w.url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const mailsTo = async (addr: string) => (await w.mails()).filter((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address === addr);

  it('a form sign-up makes a pending Subscriber and sends one confirmation mail that echoes nothing typed but the address', async () => {
    const r = await w.postForm('/subscribe', { email: '  Ann@EXAMPLE.org ', lang: 'en', website: '', name: 'ZZ<b>typed-by-visitor</b>ZZ' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(await r.text()).toContain('Check your inbox');
    const s = await w.subscriber('ann@example.org');
    expect(s).toMatchObject({ status: 'pending', lang: 'en', source: 'web', confirmedAt: null });
    const mails = await mailsTo('ann@example.org');
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.subject).toContain('Confirm your subscription');
    expect(m.headers.get('auto-submitted')).toBe('auto-generated');
    expect(m.from?.text).toContain('digest@localhost');
    const link = linkIn(m, 'confirm');
    expect(link).toMatch(new RegExp(`^/confirm/${s!.id}\\.`));
    expect(m.html).toContain(`${w.config.siteUrl.replace(/\/$/, '')}${link}`);
    for (const part of [m.text ?? '', String(m.html), m.subject ?? '']) {
      expect(part).not.toContain('typed-by-visitor');
      expect(part).not.toContain('EXAMPLE');
    }
    expect(m.text).toContain('ann@example.org');
  });

  it('answers JSON to JSON, identically for a new, pending, active, unsubscribed and complained address and a filled honeypot', async () => {
    const answers: string[] = [];
    const record = async (r: Response) => answers.push(`${r.status} ${r.headers.get('content-type')} ${await r.text()}`);
    await record(await json({ email: 'new1@example.org' })); // new
    await record(await json({ email: 'new1@example.org' })); // pending
    const active = await w.store.insertSubscriber({ email: 'act@example.org', status: 'active', lang: 'zh', source: 'test', now: w.clock.now });
    await record(await json({ email: 'act@example.org', lang: 'en' }));
    const left = await w.store.insertSubscriber({ email: 'left@example.org', status: 'unsubscribed', lang: 'zh', source: 'test', now: w.clock.now });
    await record(await json({ email: 'left@example.org' }));
    const complained = await w.store.insertSubscriber({ email: 'spam@example.org', status: 'complained', lang: 'zh', source: 'test', now: w.clock.now });
    await record(await json({ email: 'spam@example.org' }));
    await record(await json({ email: 'bot@example.org', website: 'http://spam.example' }));
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toMatch(/^200 application\/json; charset=utf-8 \{"ok":true,/);
    // An active Subscriber is untouched by a stranger's form (language included).
    expect(await w.store.getSubscriber(active.id)).toEqual(active);
    // Someone who left comes back as pending, with a new confirmation.
    expect((await w.store.getSubscriber(left.id))!.status).toBe('pending');
    expect(await mailsTo('left@example.org')).toHaveLength(1);
    // A complaint is final for the form; the honeypot does nothing at all.
    expect(await w.store.getSubscriber(complained.id)).toEqual(complained);
    expect(await mailsTo('spam@example.org')).toHaveLength(0);
    expect(await w.subscriber('bot@example.org')).toBeNull();
    expect(await mailsTo('bot@example.org')).toHaveLength(0);
    expect(await mailsTo('act@example.org')).toHaveLength(0);
  });

  it('the HTML answers for a new address, a known one and the honeypot are byte-identical', async () => {
    const bodies = new Set<string>();
    const forms: Record<string, string>[] = [{ email: 'same1@example.org' }, { email: 'same1@example.org' }, { email: 'same2@example.org', website: 'x' }];
    for (const fields of forms) {
      const r = await w.postForm('/subscribe', fields);
      expect(r.status).toBe(200);
      bodies.add(await r.text());
    }
    expect(bodies.size).toBe(1);
    expect(await w.subscriber('same2@example.org')).toBeNull();
  });

  it('100 sign-ups for one address (any spelling, concurrently) send exactly one confirmation mail', async () => {
    const spellings = ['bomb@example.org', 'BOMB@example.org', ' bomb@Example.Org', 'Bomb@EXAMPLE.ORG'];
    const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => w.postForm('/subscribe', { email: spellings[i % 4]! })));
    expect(rs.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(await mailsTo('bomb@example.org')).toHaveLength(1);
    expect(await w.store.countSubscribers()).toBeGreaterThan(0);
    // 23 h later: still one. 25 h after the first: a second one is allowed.
    advance(23 * HOUR);
    await w.postForm('/subscribe', { email: 'bomb@example.org' });
    expect(await mailsTo('bomb@example.org')).toHaveLength(1);
    advance(2 * HOUR);
    await w.postForm('/subscribe', { email: 'bomb@example.org' });
    const mails = await mailsTo('bomb@example.org');
    expect(mails).toHaveLength(2);
    expect(linkIn(mails[0]!, 'confirm')).not.toBe(linkIn(mails[1]!, 'confirm'));
  });

  it.each([
    ['not an address', { email: 'not-an-email' }],
    ['an empty address', { email: '' }],
    ['no address field', { lang: 'zh' }],
    ['a 255-character address', { email: `${'a'.repeat(60)}@${'b'.repeat(190)}.org` }],
    ['an over-long local part', { email: `${'a'.repeat(65)}@example.org` }],
    ['markup', { email: '<script>alert(1)</script>@example.org' }],
    ['two addresses', { email: 'a@example.org, b@example.org' }],
    ['an unknown language', { email: 'lang@example.org', lang: 'fr' }],
  ])('refuses %s with a 400 page, storing and sending nothing', async (_what, fields) => {
    const before = await w.store.countSubscribers();
    const mailsBefore = (await w.mails()).length;
    const r = await w.postForm('/subscribe', fields);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await r.text();
    expect(html).toMatch(/Invalid email address|Unknown language/);
    expect(html).not.toContain('<script>alert');
    const j = await json(fields);
    expect(j.status).toBe(400);
    expect(await j.json()).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid_(email|lang)$/) });
    expect(await w.store.countSubscribers()).toBe(before);
    expect((await w.mails()).length).toBe(mailsBefore);
  });

  it('refuses wrong content types (415), malformed JSON (400) and huge bodies (413)', async () => {
    const post = (body: string, type: string) => fetch(new URL('/subscribe', w.url), { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post('email=x@example.org', 'text/plain')).status).toBe(415);
    expect((await post('<email>x@example.org</email>', 'application/xml')).status).toBe(415);
    const mp = new FormData();
    mp.set('email', 'mp@example.org');
    expect((await fetch(new URL('/subscribe', w.url), { method: 'POST', body: mp })).status).toBe(415);
    expect((await post('{"email": ', 'application/json')).status).toBe(400);
    expect((await post('["a@example.org"]', 'application/json')).status).toBe(400);
    const big = await post(`email=big%40example.org&pad=${'x'.repeat(100_000)}`, 'application/x-www-form-urlencoded');
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('Too large');
    const bigJson = await post(JSON.stringify({ email: 'bigj@example.org', pad: 'x'.repeat(1_000_000) }), 'application/json');
    expect(bigJson.status).toBe(413);
    expect(await bigJson.json()).toMatchObject({ ok: false, error: 'too_large' });
    expect(await w.subscriber('big@example.org')).toBeNull();
    expect(await w.subscriber('bigj@example.org')).toBeNull();
    expect(await w.subscriber('mp@example.org')).toBeNull();
  });

  it('GET /subscribe sends the visitor to the form on the front page', async () => {
    const r = await fetch(new URL('/subscribe', w.url), { redirect: 'manual' });
    expect(r.status).toBe(303);
    // A path on this site, never an absolute or protocol-relative URL.
    expect(r.headers.get('location')).toBe('/');
  });
});

describe('per-IP rate limit on POST /subscribe', () => {
  let w: WebFixture;
  beforeAll(async () => {
    w = await startWebFixture(); // the default: 10 per minute per IP
  });
  afterAll(async () => {
    await w.close();
  });

  it('1,000 sign-ups from one IP: the first 10 are answered, the rest get 429 and send nothing', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let batch = 0; batch < 20; batch++) {
      const rs = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          // A forged X-Forwarded-For changes nothing while TRUST_PROXY is unset.
          w.postForm('/subscribe', { email: `flood${batch * 50 + i}@example.org` }, { headers: { 'x-forwarded-for': `10.0.${batch}.${i}` } }),
        ),
      );
      for (const r of rs) {
        statuses.push(r.status);
        if (r.status === 429) retryAfter ??= r.headers.get('retry-after');
        await r.arrayBuffer();
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(990);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(await w.store.countSubscribers()).toBe(10);
    expect(await w.mails()).toHaveLength(10);
    // The limit is for sign-ups only: pages, feeds and health still answer.
    expect((await fetch(new URL('/feed.xml', w.url))).status).toBe(200);
    const page = await w.postForm('/subscribe', { email: 'late@example.org' });
    expect(page.status).toBe(429);
    expect(await page.text()).toContain('Too many requests');
  });
});
