/**
 * The Console's actions over HTTP against a real server, Store and SMTP server: pause a running
 * Send (nothing more is claimed) and resume it through the trigger /admin/send uses; import a CSV
 * with the CLI's rules and export the list in the CLI's format.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseSetCookie } from 'cookie';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS } from '../../src/subscribers/csv.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { startWebFixture, type WebFixture } from './web-fixture.ts';

const ADMIN_TOKEN = 'console-actions-token-0123456789';
const ISSUE = '2024-04-15';

let w: WebFixture;
let smtp: SmtpCapture;
let release!: () => void;
let cookie = '';

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const get = (p: string) => fetch(w.url + p, { headers: { cookie }, redirect: 'manual' });
/** POST a console form with this Session's CSRF token, read from the page it lives on. */
async function submit(pagePath: string, action: string, fields: Record<string, string> = {}) {
  const csrf = csrfIn(await (await get(pagePath)).text());
  const r = await w.postForm(action, { _csrf: csrf, ...fields }, { headers: { cookie } });
  expect([action, r.status]).toEqual([action, 303]);
  return r;
}

beforeAll(async () => {
  const gate = new Promise<void>((r) => (release = r));
  // Messages wait at the final dot until the test lets them go. With SEND_CONCURRENCY 1 at most two
  // are in flight, so the third cannot have been claimed before the pause.
  smtp = await startSmtpCapture({ data: () => gate.then(() => 'accept' as const) });
  w = await startWebFixture({ ADMIN_TOKEN, SMTP_URL: smtp.url, MAIL_FROM: 'Sudi <digest@news.example.org>', SEND_RATE: '1', SEND_CONCURRENCY: '1' });
  for (const email of ['a@example.org', 'b@example.org', 'c@example.org']) await w.store.insertSubscriber({ email, status: 'active', lang: 'en', source: 'test', now: w.clock.now });
  const form = await fetch(`${w.url}/admin/sign-in`);
  const pre = parseSetCookie(form.headers.getSetCookie()[0]!);
  const signedIn = await w.postForm('/admin/sign-in', { token: ADMIN_TOKEN, _csrf: csrfIn(await form.text()) }, { headers: { cookie: `sudi_admin=${pre.value}` } });
  cookie = `sudi_admin=${parseSetCookie(signedIn.headers.getSetCookie()[0]!).value}`;
});
afterAll(async () => {
  release?.();
  await w?.close();
  await smtp?.close();
});

describe('pause and resume', () => {
  it('pauses a running Send with the reason shown, and resumes it to the end', async () => {
    await submit(`/admin/issues/${ISSUE}/send`, `/admin/issues/${ISSUE}/send`);
    await smtp.waitFor(1);
    await submit(`/admin/sends/${ISSUE}`, `/admin/sends/${ISSUE}/pause`);
    const paused = (await w.store.getSend(ISSUE))!;
    expect(paused.pauseReason).toBe('paused by the operator in the console');
    expect(paused.pausedUntil!.getTime()).toBeGreaterThan(w.clock.now.getTime());
    release();
    // The message on the wire finishes; nothing else is claimed while paused.
    await expect.poll(async () => (await w.store.deliveryCounts(ISSUE)).accepted).toBeGreaterThanOrEqual(1);
    await expect.poll(() => get(`/admin/sends/${ISSUE}`).then((r) => r.text())).toMatch(/Paused until [\d-]+ [\d:]+ UTC: paused by the operator in the console/);
    // Rows claimed before the pause may still go out (the pause stops claims, not the wire); the
    // rest stays queued, unsent, while the Send is paused.
    await expect.poll(async () => (await w.store.deliveryCounts(ISSUE)).sending).toBe(0);
    const held = await w.store.deliveryCounts(ISSUE);
    expect(held.queued).toBeGreaterThanOrEqual(1);
    expect(held.accepted + held.queued).toBe(3);
    expect(smtp.messages).toHaveLength(held.accepted);

    // The live stream says so too, and follows the Send to its end once resumed.
    const events = await get(`/admin/sends/${ISSUE}/events`);
    expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    let stream = '';
    const readUntil = async (re: RegExp) => {
      while (!re.test(stream)) {
        const r = await reader.read();
        if (r.done) break;
        stream += r.value;
      }
      return re.exec(stream)?.[1];
    };
    const first = JSON.parse((await readUntil(/event: progress\ndata: (.*)\n\n/))!);
    expect(first).toMatchObject({ issueId: ISSUE, total: 3, finished: false, paused: { reason: 'paused by the operator in the console' } });

    await submit(`/admin/sends/${ISSUE}`, `/admin/sends/${ISSUE}/resume`);
    const done = JSON.parse((await readUntil(/event: done\ndata: (.*)\n\n/))!);
    expect(done).toMatchObject({ finished: true, settled: 3, paused: null, counts: { accepted: 3 } });
    expect((await reader.read()).done).toBe(true); // the server ends the stream after `done`
    await expect.poll(async () => (await w.store.getSend(ISSUE))?.finishedAt ?? null, { timeout: 30_000 }).not.toBeNull();
    expect(await w.store.deliveryCounts(ISSUE)).toMatchObject({ accepted: 3, queued: 0 });
    expect((await w.store.getSend(ISSUE))!.pausedUntil).toBeNull();
    expect(smtp.accepted().map((m) => m.to[0]).sort()).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
  });
});

describe('CSV import and export', () => {
  it('imports as the CLI does: bad lines refuse the file, people who left stay out, pending with a queued confirmation', async () => {
    const gone = await w.store.insertSubscriber({ email: 'gone@example.org', status: 'active', lang: 'zh', source: 'test', now: w.clock.now });
    await w.store.setSubscriberStatus(gone.id, 'unsubscribed', w.clock.now);
    const csv = 'email,lang\nnew@example.org,zh\nnot-an-address,en\ngone@example.org,en\n';
    const refused = await submit('/admin/subscribers', '/admin/subscribers/import', { csv });
    const page = await (await get(refused.headers.get('location')!)).text();
    expect(page).toContain('Nothing imported: 1 bad line(s)');
    expect(page).toContain('pasted.csv:3: email');
    expect(await w.subscriber('new@example.org')).toBeNull();

    await submit('/admin/subscribers', '/admin/subscribers/import', { csv, skip_invalid: 'yes' });
    const done = await (await get('/admin/subscribers')).text();
    expect(done).toContain('imported pasted.csv: 1 added (pending)');
    expect(done).toContain('1 unsubscribed/suppressed left alone, 1 bad line(s) skipped; 1 confirmation mail(s) queued');
    expect(await w.subscriber('new@example.org')).toMatchObject({ status: 'pending', lang: 'zh', source: 'import:console' });
    expect((await w.subscriber('gone@example.org'))!.status).toBe('unsubscribed');
  });

  it('takes a file far larger than the site\'s 16 KB forms (here 1,000 lines, consent given elsewhere)', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `bulk-${String(i).padStart(4, '0')}-with-a-longer-local-part@example.net,en`);
    const csv = `email,lang\n${lines.join('\n')}\n`;
    expect(csv.length).toBeGreaterThan(3 * 16 * 1024);
    await submit('/admin/subscribers', '/admin/subscribers/import', { csv, confirmed: 'yes' });
    expect(await (await get('/admin/subscribers')).text()).toContain('imported pasted.csv: 1000 added (active)');
    expect(await w.store.searchSubscribers({ text: 'bulk-', status: 'active', limit: 2000 })).toHaveLength(1000);
  });

  it('exports the CLI format, filtered as the page is', async () => {
    const r = await get('/admin/subscribers/export.csv?status=active&q=example.org');
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="subscribers-\d{4}-\d{2}-\d{2}\.csv"$/);
    const rows: string[][] = parse(await r.text());
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows.slice(1).map((x) => [x[0], x[2]])).toEqual([
      ['a@example.org', 'active'],
      ['b@example.org', 'active'],
      ['c@example.org', 'active'],
    ]);
    // Page by page past the first thousand: every active Subscriber once, in id order.
    const all: string[][] = parse(await (await get('/admin/subscribers/export.csv?status=active')).text());
    expect(all).toHaveLength(1 + 1003);
    expect(new Set(all.slice(1).map((x) => x[0])).size).toBe(1003);
    const found: string[][] = parse(await (await get('/admin/subscribers/export.csv?q=new')).text());
    expect(found.slice(1).map((x) => x[0])).toEqual(['new@example.org']);
  });
});

describe('issues and a Subscriber\'s history', () => {
  it('lists every issue file with its state, and the problems `sudi check` finds under the file', async () => {
    await writeFile(path.join(w.dir, 'issues', '2024-04-29.md'), '---\ntitle: Broken\nstatus: maybe\npapers:\n  - title: { en: A, zh: B }\n    abstract: { en: C }\n    links: { paper: not-a-url }\n---\n');
    const page = await (await get('/admin')).text();
    expect(page).toContain('2024-04-29.md:3: status: is invalid (expected draft or ready)');
    // A message with a slash in it stays whole; no path on the server shows.
    expect(page).toContain('2024-04-29.md:7: papers.0.links.paper: is not an absolute http(s) URL (expected e.g. https://arxiv.org/abs/2404.08634)');
    expect(page).not.toContain(w.dir);
    expect(page).toContain('does not pass check');
    expect(page).toMatch(/<a href="\/admin\/sends\/2024-04-15">the send<\/a>/);
    // A Send whose file is gone is still listed, with its page.
    await w.store.startSend('2023-12-25', { trigger: 'cli', now: w.clock.now });
    expect(await (await get('/admin')).text()).toContain('<a href="/admin/sends/2023-12-25">2023-12-25</a>');
    expect((await get('/admin/sends/2023-12-25')).status).toBe(200);
    const refused = await get('/admin/issues/2024-04-29/send');
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('does not pass check');
    // As /admin/send: nothing is sent from a set of files with problems, a good issue included.
    const held = await get(`/admin/issues/${ISSUE}/send`);
    expect(held.status).toBe(409);
    expect(await held.text()).toContain('Nothing is sent while 2024-04-29.md has problems');
  });

  it("shows a Subscriber's sign-up, confirmation, Deliveries and the bounces inbound mail recorded", async () => {
    const s = (await w.subscriber('b@example.org'))!;
    await w.store.applyInboundEvent(
      { fingerprint: 'test-bounce-1', source: 'smtp', kind: 'hard_bounce', subscriberId: s.id, issueId: ISSUE, status: '5.1.1', diagnostic: '550 5.1.1 user unknown', detail: null },
      { now: w.clock.now, softBounceLimit: 3 },
    );
    const page = await (await get(`/admin/subscribers/${s.id}`)).text();
    expect(page).toContain('signed up (test)');
    expect(page).toContain('confirmed');
    expect(page).toContain(`hard bounce 5.1.1 on issue ${ISSUE} via smtp: 550 5.1.1 user unknown`);
    expect(page).toMatch(new RegExp(`issue ${ISSUE}: (accepted|failed)`));
    expect(page).toContain('<dd id="subscriber-status">bounced</dd>');
  });
});

describe('retry', () => {
  it('queues a failed Delivery again without lifting the Send\'s pause; a retry naming no Subscriber changes nothing', async () => {
    const id = '2024-04-22';
    await rm(path.join(w.dir, 'issues', '2024-04-29.md'), { force: true }); // the broken file of the test above
    const seed = await readFile(path.join(w.dir, 'issues', `${ISSUE}.md`), 'utf8');
    await writeFile(path.join(w.dir, 'issues', `${id}.md`), seed.replaceAll('2024-04-15', id).replace('2024-04-19', '2024-04-26').replace('2024-04-20T', '2024-04-27T'));
    await w.store.startSend(id, { trigger: 'cli', now: w.clock.now });
    const a = (await w.subscriber('a@example.org'))!;
    const [claimed] = await w.store.claimDeliveries({ issueId: id, owner: 'test/1/x', now: w.clock.now, leaseMs: 60_000, limit: 1 });
    expect(claimed?.subscriberId).toBe(a.id);
    await w.store.recordOutcome(id, a.id, { owner: 'test/1/x', state: 'failed', code: 554, response: '554 5.6.0 rejected', now: w.clock.now });
    const until = new Date(w.clock.now.getTime() + 3_600_000);
    await w.store.pauseSend(id, until, 'paused by the operator in the console');
    const sent = smtp.messages.length;

    const bad = csrfIn(await (await get(`/admin/sends/${id}`)).text());
    expect((await w.postForm(`/admin/sends/${id}/retry`, { _csrf: bad, subscriber: 'abc' }, { headers: { cookie } })).status).toBe(400);
    expect((await w.store.deliveryCounts(id)).failed).toBe(1);

    const r = await submit(`/admin/sends/${id}`, `/admin/sends/${id}/retry`, { subscriber: String(a.id) });
    expect((await w.store.deliveryCounts(id)).failed).toBe(0);
    const send = (await w.store.getSend(id))!;
    expect(send.pausedUntil?.toISOString()).toBe(until.toISOString());
    expect(send.pauseReason).toBe('paused by the operator in the console');
    const page = await (await get(r.headers.get('location')!)).text();
    expect(page).toContain('queued again; the send stays paused until');
    expect(smtp.messages).toHaveLength(sent);
  });
});
