/**
 * The delivery engine against a real SMTP server (smtp-server, in process) with faults injected,
 * and a real SQLite ledger. Backoffs are shrunk to milliseconds through the policy; everything
 * else is the production path.
 */
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryPolicy } from '../../src/delivery/classify.ts';
import { doneCount } from '../../src/delivery/progress.ts';
import { runDeliveries, startIssueSend, type DeliveryProgress } from '../../src/delivery/send-issue.ts';
import { findIssue } from '../../src/content/load-issues.ts';
import { deliveryProject, type DeliveryProject } from '../helpers/delivery-project.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';

const FAST: Partial<DeliveryPolicy> = { baseDelayMs: 20, maxDelayMs: 80, unknownRetryMs: 20, policyPauseMs: 60, maxPauseMs: 200, maxAttempts: 6 };
const ISSUE = '2024-04-15';

let smtp: SmtpCapture;
let project: DeliveryProject;

beforeEach(async () => {
  smtp = await startSmtpCapture();
  project = await deliveryProject({ env: { SMTP_URL: '' } });
  project.env.SMTP_URL = smtp.url;
});
afterEach(async () => {
  await project.cleanup();
  await smtp.close();
});

async function send(opts: { issueId?: string; rate?: number; signal?: AbortSignal; policy?: Partial<DeliveryPolicy> } = {}) {
  const app = project.app();
  const issue = await findIssue(app.config.issuesDir, opts.issueId ?? ISSUE);
  await startIssueSend(app, issue, 'cli');
  const report = await runDeliveries(app, { issueId: issue.id, policy: { ...FAST, ...opts.policy }, retryWaitMs: 10_000, rate: opts.rate, signal: opts.signal });
  const store = await app.store();
  return { report, app, store };
}

const byRecipient = (s: SmtpCapture) => {
  const m = new Map<string, number>();
  for (const msg of s.accepted()) for (const to of msg.to) m.set(to, (m.get(to) ?? 0) + 1);
  return m;
};

describe('delivery engine', () => {
  it('sends the issue to every active Subscriber once, with the right personal headers', async () => {
    const ids = await project.addSubscribers(30);
    const { report, store } = await send();
    expect(report).toMatchObject({ finished: true, stopped: false, run: { accepted: 30, deferred: 0, failed: 0 } });
    expect(report.counts.accepted).toBe(30);
    expect(smtp.messages).toHaveLength(30);
    expect([...byRecipient(smtp).values()].every((n) => n === 1)).toBe(true);
    expect((await store.getSend(ISSUE))?.finishedAt).not.toBeNull();

    const rows = await store.listDeliveries({ issueId: ISSUE, limit: 100 });
    expect(rows.map((r) => r.subscriberId)).toEqual(ids);
    for (const r of rows) expect(r).toMatchObject({ state: 'accepted', attempts: 1, lastCode: 250 });
    const ledgerIds = new Set(rows.map((r) => r.messageId));
    for (const m of smtp.messages) {
      const parsed = await simpleParser(m.raw);
      expect(ledgerIds.has(parsed.messageId!)).toBe(true);
      expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : '').toBe(m.to[0]);
      expect(m.raw.toString('latin1')).toMatch(/^List-Unsubscribe:\s+<https:\/\/news\.example\.org\/unsubscribe\/\d+\./m);
      expect(parsed.text).toBeTruthy();
      expect(parsed.html).toBeTruthy();
    }
    // A second run finds nothing left to do.
    const again = await send();
    expect(again.report.run.attempted).toBe(0);
    expect(smtp.messages).toHaveLength(30);
  });

  it('451 on 20 % of messages: all eventually accepted; an address that never stops deferring fails at the attempt cap', async () => {
    await project.addSubscribers(40);
    let n = 0;
    smtp.faults = {
      data: (m) => (m.to[0] === 'reader7@example.org' || ++n % 5 === 0 ? { code: 451, message: '4.3.0 try again later' } : 'accept'),
    };
    const { report, store } = await send();
    expect(report.finished).toBe(true);
    expect(report.counts).toMatchObject({ accepted: 39, failed: 1, deferred: 0, queued: 0, sending: 0 });
    const got = byRecipient(smtp);
    expect(got.size).toBe(39);
    expect([...got.values()].every((c) => c === 1)).toBe(true);
    // reader7 was tried exactly maxAttempts times, then given up on (not suppressed: 4xx is temporary).
    expect(smtp.messages.filter((m) => m.to[0] === 'reader7@example.org')).toHaveLength(FAST.maxAttempts!);
    const failed = await store.listDeliveries({ issueId: ISSUE, states: ['failed'], limit: 10 });
    expect(failed[0]).toMatchObject({ attempts: FAST.maxAttempts, lastCode: 451 });
    expect(failed[0]!.lastResponse).toMatch(/gave up after 6 attempts/);
    expect((await store.findSubscriberByEmail('reader7@example.org'))?.status).toBe('active');
  });

  it('550 5.1.1: tried once, failed, Subscriber suppressed and left out of the next issue; the rest unaffected', async () => {
    await project.addSubscribers(20);
    let rcpts = 0;
    smtp.faults = {
      rcpt: (to) => {
        if (to === 'reader3@example.org' || to === 'reader11@example.org') {
          rcpts++;
          return { code: 550, message: '5.1.1 <' + to + '>: Recipient address rejected: User unknown' };
        }
        return null;
      },
    };
    const { report, store } = await send();
    expect(report.counts).toMatchObject({ accepted: 18, failed: 2 });
    expect(rcpts).toBe(2);
    for (const e of ['reader3@example.org', 'reader11@example.org']) expect((await store.findSubscriberByEmail(e))?.status).toBe('bounced');
    const failed = await store.listDeliveries({ issueId: ISSUE, states: ['failed'], limit: 10 });
    expect(failed.map((d) => [d.attempts, d.lastCode])).toEqual([
      [1, 550],
      [1, 550],
    ]);
    expect(failed[0]!.lastResponse).toContain('5.1.1');

    await project.writeIssue('2024-04-22');
    smtp.messages.length = 0;
    const next = await send({ issueId: '2024-04-22' });
    expect(next.report.counts.accepted).toBe(18);
    expect(smtp.messages.map((m) => m.to[0])).not.toContain('reader3@example.org');
    expect((await next.store.getSend('2024-04-22'))?.total).toBe(18);
  });

  it('connection dropped after DATA without a reply: no automatic resend, row unknown, then resent once with the same Message-ID', async () => {
    await project.addSubscribers(6);
    const drops = new Map<string, number>();
    smtp.faults = {
      data: (m) => {
        const to = m.to[0]!;
        // reader1: dropped once (then accepted); reader2: dropped every time.
        if ((to === 'reader1@example.org' && !drops.has(to)) || to === 'reader2@example.org') {
          drops.set(to, (drops.get(to) ?? 0) + 1);
          return 'drop';
        }
        return 'accept';
      },
    };
    const { report, store } = await send();
    expect(report.finished).toBe(true);
    const copies = (to: string) => smtp.messages.filter((m) => m.to[0] === to);
    // reader1: the dropped copy and one resend, same Message-ID; accepted in the end.
    expect(copies('reader1@example.org')).toHaveLength(2);
    expect(new Set(copies('reader1@example.org').map((m) => m.messageId)).size).toBe(1);
    // reader2: sent, dropped, resent once, dropped: left unknown, never sent a third time.
    expect(copies('reader2@example.org')).toHaveLength(2);
    expect(new Set(copies('reader2@example.org').map((m) => m.messageId)).size).toBe(1);
    const rows = await store.listDeliveries({ issueId: ISSUE, limit: 10 });
    const row = (email: string) => rows[Number(email.match(/\d+/)![0])]!;
    expect(row('reader1@example.org')).toMatchObject({ state: 'accepted', attempts: 2 });
    expect(row('reader2@example.org')).toMatchObject({ state: 'unknown', attempts: 2, nextAttemptAt: null, lastCode: null });
    expect(report.counts).toMatchObject({ accepted: 5, unknown: 1 });
    for (const e of ['reader0', 'reader3', 'reader4', 'reader5']) expect(copies(`${e}@example.org`)).toHaveLength(1);
  });

  it('421 and close every 50 messages: the send carries on where it was, nothing sent twice', async () => {
    await project.addSubscribers(200);
    smtp.faults = { mail: (_from, n) => (n % 50 === 0 ? { code: 421, message: 'closing, too many messages' } : null) };
    const { report } = await send();
    expect(report.counts.accepted).toBe(200);
    expect(smtp.messages).toHaveLength(200);
    expect(new Set(smtp.messages.map((m) => m.to[0])).size).toBe(200);
  });

  it('4.7.x pauses the whole Send without suppressing anyone, then it completes', async () => {
    await project.addSubscribers(12);
    let refused = 0;
    smtp.faults = { data: (_m, n) => (n === 4 ? (refused++, { code: 451, message: '4.7.1 rate limited, slow down' }) : 'accept') };
    const logs: string[] = [];
    const app = project.app({ log: (l) => logs.push(l) });
    const issue = await findIssue(app.config.issuesDir, ISSUE);
    await startIssueSend(app, issue, 'cli');
    const report = await runDeliveries(app, { issueId: ISSUE, policy: FAST, retryWaitMs: 10_000 });
    expect(refused).toBe(1);
    expect(report.counts.accepted).toBe(12);
    expect(logs.some((l) => /paused until .*4\.7\.1/.test(l))).toBe(true);
    expect((await (await app.store()).countSubscribers('bounced'))).toBe(0);
  });

  it('progress: every update is the ledger counts; done = accepted + failed + suppressed + unknown, equal to accepted at the end', async () => {
    await project.addSubscribers(40);
    smtp.faults = { rcpt: (to) => (to === 'reader5@example.org' ? { code: 550, message: '5.1.1 no such user' } : null) };
    const app = project.app();
    const issue = await findIssue(app.config.issuesDir, ISSUE);
    await startIssueSend(app, issue, 'cli');
    const seen: DeliveryProgress[] = [];
    // 40 messages at 20/s: about two seconds, so the once-a-second reads happen mid-send too.
    const report = await runDeliveries(app, { issueId: ISSUE, policy: FAST, rate: 20, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const p of seen) expect(Object.values(p.counts).reduce((a, b) => a + b, 0)).toBe(p.total);
    const last = seen.at(-1)!;
    expect(last.counts).toEqual(report.counts);
    expect(doneCount(last)).toBe(40);
    expect(last.counts.accepted).toBe(39);
    expect(doneCount(last) - last.counts.failed).toBe(last.counts.accepted);
    const done = seen.map(doneCount);
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });

  it('SEND_RATE=20: no one-second window at the server holds more than 21 messages', async () => {
    await project.addSubscribers(45);
    await send({ rate: 20 });
    const times = smtp.messages.map((m) => m.at).sort((a, b) => a - b);
    expect(times).toHaveLength(45);
    for (let i = 0; i < times.length; i++) expect(times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length).toBeLessThanOrEqual(21);
    // And the cap is not far below the rate: 45 messages take about 2.2 s.
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(2000);
  });

  it('an unsubscribe during a send: nothing to that Subscriber after it', async () => {
    const ids = await project.addSubscribers(40);
    const app = project.app();
    const store = await app.store();
    let unsubscribedAt = 0;
    smtp.faults = {
      data: (_m, n) => {
        if (n === 10) {
          // Unsubscribe readers 20–29 while the send is under way (their rows are still queued).
          unsubscribedAt = Date.now();
          void Promise.all(ids.slice(20, 30).map((id) => store.setSubscriberStatus(id, 'unsubscribed', new Date())));
        }
        return 'accept';
      },
    };
    const { report } = await send({ rate: 100 });
    expect(unsubscribedAt).toBeGreaterThan(0);
    const after = smtp.messages.filter((m) => m.at > unsubscribedAt + 5).map((m) => m.to[0]);
    for (let i = 20; i < 30; i++) expect(after).not.toContain(`reader${i}@example.org`);
    expect(report.counts.suppressed).toBeGreaterThanOrEqual(5);
    expect(report.counts.accepted + report.counts.suppressed).toBe(40);
  });

  it('stops claiming when aborted; a rerun resumes where it stopped', async () => {
    await project.addSubscribers(60);
    const ac = new AbortController();
    smtp.faults = { data: (_m, n) => (n === 15 && ac.abort(), 'accept') };
    const first = await send({ signal: ac.signal, rate: 200 });
    expect(first.report.stopped).toBe(true);
    expect(first.report.finished).toBe(false);
    const sentFirst = smtp.messages.length;
    expect(sentFirst).toBeLessThan(60);
    // Rows claimed but never handed over went back to the queue, not counted as attempts.
    const left = (await first.store.listDeliveries({ issueId: ISSUE, limit: 100 })).filter((d) => d.state !== 'accepted');
    expect(left.length).toBeGreaterThan(0);
    expect(left.map((d) => [d.state, d.attempts])).toEqual(left.map(() => ['queued', 0]));
    expect(first.report.counts.queued).toBe(left.length);
    smtp.faults = {};
    const second = await send();
    expect(second.report.finished).toBe(true);
    expect(smtp.messages).toHaveLength(60);
    expect(new Set(smtp.messages.map((m) => m.to[0])).size).toBe(60);
  });
});
