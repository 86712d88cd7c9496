/**
 * The confirmation sender against a real SMTP server that refuses: a temporary failure (4xx) keeps
 * the mail queued and it goes out at its retry time with the same link and Message-ID; a permanent
 * one (5xx), or 24 h of temporary ones, gives it up and frees the 24-hour slot, so the person's next
 * sign-up gets a fresh mail at once. The server's clock is the fixture's, moved by the test.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { startWebFixture, type WebFixture } from './web-fixture.ts';

let smtp: SmtpCapture;
let w: WebFixture;

beforeAll(async () => {
  smtp = await startSmtpCapture();
  w = await startWebFixture({ SMTP_URL: smtp.url, SUBSCRIBE_RATE_LIMIT: '1000' });
});
afterAll(async () => {
  await w.close();
  await smtp.close();
});

const signUp = async (email: string) => expect((await w.postForm('/subscribe', { email })).status).toBe(200);
const queued = async (email: string) => {
  const s = await w.subscriber(email);
  return (await w.store.listQueuedConfirmations(100)).find((q) => q.subscriberId === s!.id);
};
const to = (email: string) => smtp.messages.filter((m) => m.to[0] === email && m.code === 250);
const later = (ms: number) => (w.clock.now = new Date(w.clock.now.getTime() + ms));

it('451 keeps the mail queued; at its retry time it goes out, with the Message-ID fixed when it was queued', async () => {
  smtp.faults = { rcpt: (a) => (a === 'slow@example.org' ? { code: 451, message: '4.3.0 try again later' } : null) };
  await signUp('slow@example.org');
  await w.background.idle();
  const q = (await queued('slow@example.org'))!;
  expect(q).toMatchObject({ attempts: 1, leaseOwner: null, lastError: expect.stringMatching(/451/) });
  expect(q.nextAttemptAt.getTime() - w.clock.now.getTime()).toBe(30_000);
  expect(to('slow@example.org')).toHaveLength(0);
  expect(w.logs.join('\n')).toMatch(/confirmation mail to subscriber \d+ deferred \(will retry\): .*451/);

  smtp.faults = {};
  later(29_000);
  await w.background.idle();
  expect(to('slow@example.org')).toHaveLength(0);
  later(1_000);
  await w.background.idle();
  expect(to('slow@example.org').map((m) => m.messageId)).toEqual([q.messageId]);
  expect(await queued('slow@example.org')).toBeUndefined();
});

it('550 gives the mail up and frees the slot: the next sign-up gets a fresh mail at once', async () => {
  smtp.faults = { rcpt: (a) => (a === 'nobody@example.org' ? { code: 550, message: '5.1.1 no such user' } : null) };
  await signUp('nobody@example.org');
  await w.background.idle();
  expect(await queued('nobody@example.org')).toBeUndefined();
  expect((await w.subscriber('nobody@example.org'))!.confirmationSentAt).toBeNull();
  expect(w.logs.join('\n')).toMatch(/confirmation mail to subscriber \d+ given up: .*550/);
  smtp.faults = {};
  later(1000);
  await signUp('nobody@example.org');
  await w.background.idle();
  expect(to('nobody@example.org')).toHaveLength(1);
});

it('temporary failures for 24 h: given up, slot freed', async () => {
  smtp.faults = { rcpt: (a) => (a === 'down@example.org' ? { code: 421, message: '4.4.2 busy' } : null) };
  await signUp('down@example.org');
  await w.background.idle();
  for (let i = 0; (await queued('down@example.org')) && i < 200; i++) {
    later((await queued('down@example.org'))!.nextAttemptAt.getTime() - w.clock.now.getTime());
    await w.background.idle();
  }
  expect(await queued('down@example.org')).toBeUndefined();
  expect((await w.subscriber('down@example.org'))!.confirmationSentAt).toBeNull();
  expect(w.logs.join('\n')).toMatch(/given up: still failing after 24 h/);
  expect(to('down@example.org')).toHaveLength(0);
});

it('a Subscriber who confirmed (or was removed) before the retry gets nothing more', async () => {
  smtp.faults = { rcpt: (a) => (a === 'quick@example.org' ? { code: 451, message: '4.3.0 later' } : null) };
  await signUp('quick@example.org');
  await w.background.idle();
  const s = (await w.subscriber('quick@example.org'))!;
  await w.store.setSubscriberStatus(s.id, 'active', w.clock.now);
  smtp.faults = {};
  later(60_000);
  await w.background.idle();
  expect(await queued('quick@example.org')).toBeUndefined();
  expect(to('quick@example.org')).toHaveLength(0);
});
