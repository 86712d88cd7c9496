/**
 * Webhooks through the real HTTP server: Mailgun (HMAC-signed) and Postmark (basic auth or
 * ?token=) events about messages Sudi really sent end in the same states as bounces by mail;
 * bad signatures, stale timestamps and wrong tokens change nothing; a replay changes nothing.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import { sentProject, type SentProject } from './inbound-project.ts';

const SIGNING_KEY = 'key-mailgun-test-0123456789';
const POSTMARK_TOKEN = 'postmark-token-0123456789';
let p: SentProject;
let app: App;
let server: RunningServer;
const logs: string[] = [];

beforeAll(async () => {
  p = await sentProject(8);
  app = p.project.app({ env: { PORT: '0', MAILGUN_WEBHOOK_SIGNING_KEY: SIGNING_KEY, POSTMARK_WEBHOOK_TOKEN: POSTMARK_TOKEN }, log: (l) => logs.push(l) });
  server = await startServer(app);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await p?.cleanup();
});

function mailgun(event: Record<string, unknown>, opts: { key?: string; timestamp?: number } = {}) {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const token = `tok${Math.random().toString(36).slice(2)}`;
  const signature = createHmac('sha256', opts.key ?? SIGNING_KEY).update(timestamp + token).digest('hex');
  return fetch(`${server.url}/webhooks/mailgun`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ signature: { timestamp, token, signature }, 'event-data': event }),
  });
}

const failed = (i: number, severity: 'permanent' | 'temporary', id = `ev-${i}-${severity}`) => ({
  event: 'failed',
  id,
  severity,
  recipient: p.sent[i]!.email,
  'delivery-status': { code: severity === 'permanent' ? 550 : 452, message: '', description: severity === 'permanent' ? '5.1.1 The email account that you tried to reach does not exist' : '4.2.2 Mailbox full' },
  message: { headers: { 'message-id': p.sent[i]!.messageId.replace(/[<>]/g, ''), to: p.sent[i]!.email } },
});

function postmark(body: Record<string, unknown>, auth: { basic?: string; token?: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.basic) headers.authorization = `Basic ${Buffer.from(`postmark:${auth.basic}`).toString('base64')}`;
  return fetch(`${server.url}/webhooks/postmark${auth.token ? `?token=${auth.token}` : ''}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

describe('Mailgun webhook', () => {
  it('a permanent failure bounces the Subscriber and fails the Delivery found by its Message-ID; a replay changes nothing', async () => {
    const r = await mailgun(failed(0, 'permanent'));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, kind: 'hard_bounce', changed: 'subscriber bounced; delivery failed' });
    expect(await p.statusOf(p.sent[0]!.email)).toBe('bounced');
    const store = await app.store();
    const [d] = await store.listDeliveries({ issueId: '2024-04-15', limit: 1 });
    expect(d).toMatchObject({ state: 'failed', lastCode: 550 });
    const again = await mailgun(failed(0, 'permanent'));
    expect(await again.json()).toMatchObject({ changed: 'nothing (seen before)' });
  });

  it('a temporary failure is a soft bounce; complained and unsubscribed events', async () => {
    expect(await (await mailgun(failed(1, 'temporary'))).json()).toMatchObject({ kind: 'soft_bounce', changed: 'nothing' });
    expect(await p.statusOf(p.sent[1]!.email)).toBe('active');
    await mailgun({ event: 'complained', id: 'c-2', recipient: p.sent[2]!.email });
    await mailgun({ event: 'unsubscribed', id: 'u-3', recipient: p.sent[3]!.email.toUpperCase() });
    expect(await p.statusOf(p.sent[2]!.email)).toBe('complained');
    expect(await p.statusOf(p.sent[3]!.email)).toBe('unsubscribed');
  });

  it('a wrong signature or a stale timestamp is 401 and changes nothing; an unknown recipient is recorded as ignored', async () => {
    const bad = await mailgun(failed(4, 'permanent', 'ev-bad'), { key: 'not-the-key' });
    expect(bad.status).toBe(401);
    const stale = await mailgun(failed(4, 'permanent', 'ev-stale'), { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.status).toBe(401);
    expect(await p.statusOf(p.sent[4]!.email)).toBe('active');
    expect(logs.join('\n')).toMatch(/mailgun webhook refused \(401\) from 127\.0\.0\.1: signature does not match/);
    const unknown = await mailgun({ ...failed(4, 'permanent', 'ev-unknown'), recipient: 'stranger@example.com' });
    expect(await unknown.json()).toMatchObject({ kind: 'ignored', changed: 'nothing' });
    // Signed, but not an event: 400.
    expect((await mailgun({ nothing: true })).status).toBe(400);
  });
});

describe('Postmark webhook', () => {
  it('HardBounce (basic auth) bounces, SpamComplaint (?token=) complains, SoftBounce counts; a wrong token is 401', async () => {
    const hard = await postmark({ RecordType: 'Bounce', ID: 4323372036, Type: 'HardBounce', TypeCode: 1, Email: p.sent[5]!.email, Details: 'smtp;550 5.1.1 The email account that you tried to reach does not exist.' }, { basic: POSTMARK_TOKEN });
    expect(await hard.json()).toEqual({ ok: true, kind: 'hard_bounce', changed: 'subscriber bounced' });
    const spam = await postmark({ RecordType: 'SpamComplaint', ID: 42, Type: 'SpamComplaint', Email: p.sent[6]!.email }, { token: POSTMARK_TOKEN });
    expect(spam.status).toBe(200);
    const soft = await postmark({ RecordType: 'Bounce', ID: 43, Type: 'SoftBounce', Email: p.sent[7]!.email, Details: 'mailbox full' }, { token: POSTMARK_TOKEN });
    expect(await soft.json()).toMatchObject({ kind: 'soft_bounce' });
    const wrong = await postmark({ RecordType: 'SpamComplaint', ID: 44, Type: 'SpamComplaint', Email: p.sent[7]!.email }, { token: 'wrong-token-0123456789' });
    expect(wrong.status).toBe(401);
    expect(await p.statusOf(p.sent[5]!.email)).toBe('bounced');
    expect(await p.statusOf(p.sent[6]!.email)).toBe('complained');
    expect(await p.statusOf(p.sent[7]!.email)).toBe('active');
    expect((await postmark({ hello: 1 }, { token: POSTMARK_TOKEN })).status).toBe(400);
  });
});
