/**
 * The schedule with an injected clock and cron: each tick rebuilds and sends what is ready and due,
 * exactly once; drafts and issues not yet due wait; a restart after downtime catches up once;
 * ticks never overlap. One test lets the real node-cron fire.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScheduler, startAppScheduler } from '../../src/schedule/scheduler.ts';
import { CATCH_UP_MS, dueIssues } from '../../src/schedule/run-due.ts';
import { deliveryProject, type DeliveryProject } from '../helpers/delivery-project.ts';
import { fakeCron } from '../helpers/fake-cron.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';

let smtp: SmtpCapture;
let project: DeliveryProject;
const clock = { now: new Date('2024-04-21T00:00:00Z') };
const logs: string[] = [];

beforeEach(async () => {
  smtp = await startSmtpCapture({}, { headersOnly: true });
  project = await deliveryProject({ env: { SMTP_URL: '', SCHEDULE: '0 9 * * 6', TZ: 'Asia/Shanghai' }, issue: false });
  project.env.SMTP_URL = smtp.url;
  logs.length = 0;
  await project.addSubscribers(12);
  await project.writeIssue('2024-04-15', { publishAt: '2024-04-20T09:00:00+08:00' });
  await project.writeIssue('2024-04-22', { status: 'draft', publishAt: '2024-04-27T09:00:00+08:00' });
  await project.writeIssue('2024-04-29', { publishAt: '2024-05-04T09:00:00+08:00' });
});
afterEach(async () => {
  await project.cleanup();
  await smtp.close();
});

const sentIssues = () => [...new Set(smtp.messages.map((m) => /\.(\d{4}-\d{2}-\d{2})@/.exec(m.messageId ?? '')?.[1]))].sort();
const app = () => project.app({ now: () => clock.now, log: (l) => logs.push(l) });

describe('scheduler', () => {
  it('a due issue is sent once; a draft and an issue not yet due are not; the next one goes when due', async () => {
    clock.now = new Date('2024-04-21T00:00:00Z');
    const c = fakeCron();
    const s = startAppScheduler(app(), { log: (l) => logs.push(l), cron: c, catchUp: false });
    expect(c.expressions).toEqual(['0 9 * * 6 Asia/Shanghai']);
    await c.fire();
    expect(sentIssues()).toEqual(['2024-04-15']);
    expect(smtp.messages).toHaveLength(12);
    expect(existsSync(path.join(project.dir, 'public', 'issues', '2024-04-15', 'index.html'))).toBe(true);

    await c.fire();
    await c.fire();
    expect(smtp.messages).toHaveLength(12);

    clock.now = new Date('2024-04-27T02:00:00Z'); // the draft's publish_at has passed: still a draft
    await c.fire();
    expect(smtp.messages).toHaveLength(12);

    clock.now = new Date('2024-05-04T01:00:01Z'); // 09:00:01 in Shanghai
    await c.fire();
    expect(sentIssues()).toEqual(['2024-04-15', '2024-04-29']);
    expect(smtp.messages).toHaveLength(24);
    await s.stop();
  });

  it('a restart after a missed tick catches up once, at start', async () => {
    clock.now = new Date('2024-04-19T00:00:00Z');
    const first = startAppScheduler(app(), { log: (l) => logs.push(l), cron: fakeCron() });
    await first.tickNow(); // (the catch-up tick of this start may still be running: then this one is skipped)
    await first.stop();
    expect(smtp.messages).toHaveLength(0);

    // Down over the due time; back two days later.
    clock.now = new Date('2024-04-22T08:00:00Z');
    const c = fakeCron();
    const second = startAppScheduler(app(), { log: (l) => logs.push(l), cron: c });
    // The catch-up tick renders (in a child process) and sends: give it time on a busy machine.
    for (let i = 0; i < 600 && smtp.messages.length < 12; i++) await new Promise((r) => setTimeout(r, 50));
    while ((await second.tickNow()) === 'skipped') await new Promise((r) => setTimeout(r, 50));
    expect(sentIssues()).toEqual(['2024-04-15']);
    expect(smtp.messages).toHaveLength(12);
    await c.fire();
    await second.stop();

    const third = startAppScheduler(app(), { log: (l) => logs.push(l), cron: fakeCron() });
    await third.tickNow();
    await third.stop();
    expect(smtp.messages).toHaveLength(12);
  });

  it('ticks never overlap: a tick while one runs is skipped', async () => {
    clock.now = new Date('2024-04-21T00:00:00Z');
    const c = fakeCron();
    // 12 messages at 10/s: the first tick takes over a second.
    const s = startAppScheduler(project.app({ now: () => clock.now, env: { SEND_RATE: '10' } }), { log: (l) => logs.push(l), cron: c, catchUp: false });
    const ticks = [c.fire(), c.fire(), s.tickNow()];
    const results = await Promise.all(ticks);
    expect(results.filter((r) => r === 'skipped')).toHaveLength(2);
    expect(logs.filter((l) => l.includes('still running'))).toHaveLength(2);
    expect(smtp.messages).toHaveLength(12);
    expect(new Set(smtp.messages.map((m) => m.to[0])).size).toBe(12);
    await s.stop();
  });

  it('leaves issues due longer ago than the catch-up window to a person, and says so', async () => {
    clock.now = new Date(Date.parse('2024-05-04T01:00:00Z') + CATCH_UP_MS + 60_000);
    const s = startAppScheduler(app(), { log: (l) => logs.push(l), cron: fakeCron(), catchUp: false });
    await s.tickNow();
    await s.stop();
    expect(smtp.messages).toHaveLength(0);
    expect(logs.some((l) => l.includes('sudi send 2024-04-15'))).toBe(true);
    expect(logs.some((l) => l.includes('sudi send 2024-04-29'))).toBe(true);
  });

  it('dueIssues: ready, due, within the window, not yet sent', () => {
    const issue = (id: string, status: 'ready' | 'draft', publish_at: string) => ({ id, status, publish_at }) as never;
    const now = new Date('2024-04-21T00:00:00Z');
    const r = dueIssues([issue('a', 'ready', '2024-04-20T09:00:00+08:00'), issue('b', 'draft', '2024-04-20T09:00:00+08:00'), issue('c', 'ready', '2024-04-22T00:00:00Z'), issue('d', 'ready', '2024-04-20T00:00:00Z')], new Set(['d']), now);
    expect(r.due.map((i: { id: string }) => i.id)).toEqual(['a']);
    expect(r.notDue.map((i: { id: string }) => i.id)).toEqual(['c']);
  });

  it('the real node-cron fires ticks; a bad SCHEDULE is refused', async () => {
    let ticks = 0;
    const s = createScheduler({ expression: '* * * * * *', timezone: 'Asia/Shanghai', log: () => {}, catchUp: false, tick: async () => void ticks++ });
    for (let i = 0; i < 40 && ticks < 1; i++) await new Promise((r) => setTimeout(r, 100));
    await s.stop();
    expect(ticks).toBeGreaterThanOrEqual(1);
    expect(() => createScheduler({ expression: 'every saturday', timezone: 'UTC', log: () => {}, tick: async () => {} })).toThrow(/SCHEDULE "every saturday" is not a cron expression/);
  });
});
