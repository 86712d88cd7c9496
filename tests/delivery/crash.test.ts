/**
 * kill -9 in the middle of a send, five times, resuming each time: every Subscriber receives the
 * issue, and the only duplicates are messages that were in flight at a kill, each carrying the
 * same Message-ID as its first copy (so a receiver can drop it).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deliveryProject, type DeliveryProject } from '../helpers/delivery-project.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { spawnSudi } from '../helpers/sudi-process.ts';
import { testSize } from '../helpers/test-size.ts';

const ISSUE = '2024-04-15';
const SUBSCRIBERS = testSize(2000, 1000);
// Each kill lands 40 to 40 + KILL_SPREAD messages after the previous one: five stay well inside the send.
const KILL_SPREAD = testSize(300, 120);

let smtp: SmtpCapture;
let project: DeliveryProject;

beforeAll(async () => {
  smtp = await startSmtpCapture({}, { headersOnly: true });
  project = await deliveryProject({ env: { SMTP_URL: smtp.url, SEND_CONCURRENCY: '4' } });
  await project.addSubscribers(SUBSCRIBERS);
});
afterAll(async () => {
  await project.cleanup();
  await smtp.close();
});

it(`${SUBSCRIBERS.toLocaleString('en')} subscribers, SIGKILL at 5 random points, resumed each time: all delivered, duplicates only from in-flight messages`, async () => {
  const seed = Date.now() % 100_000;
  let state = seed;
  const random = (n: number) => ((state = (state * 1103515245 + 12345) % 2147483648), state % n);
  const kills: { after: number; inflight: number }[] = [];

  for (let k = 0; k < 5; k++) {
    const proc = spawnSudi(['send', ISSUE], { cwd: project.dir, env: project.env });
    const target = smtp.messages.length + 40 + random(KILL_SPREAD);
    const reached = await Promise.race([smtp.waitFor(target, 60_000).then(() => true), proc.exited.then(() => false)]);
    expect(reached, `run ${k + 1} ended before message ${target} (seed ${seed}): ${proc.stderr()}${proc.stdout()}`).toBe(true);
    proc.child.kill('SIGKILL');
    expect((await proc.exited).signal).toBe('SIGKILL');
    // In flight at the kill: handed to SMTP (Message-ID recorded) with no outcome recorded.
    const app = project.app();
    const store = await app.store();
    const leased = await store.listDeliveries({ issueId: ISSUE, states: ['sending'], limit: 10_000 });
    kills.push({ after: smtp.messages.length, inflight: leased.filter((d) => d.messageId !== null).length });
    await app.close();
  }

  const last = spawnSudi(['send', ISSUE], { cwd: project.dir, env: project.env });
  const exit = await last.exited;
  expect(exit.code, last.stderr() + last.stdout()).toBe(0);
  expect(last.stdout()).toContain('send finished');

  const copies = new Map<string, string[]>();
  for (const m of smtp.accepted()) copies.set(m.to[0]!, [...(copies.get(m.to[0]!) ?? []), m.messageId!]);
  expect(copies.size, `seed ${seed}`).toBe(SUBSCRIBERS);
  const duplicates = smtp.accepted().length - SUBSCRIBERS;
  const inflightTotal = kills.reduce((n, k) => n + k.inflight, 0);
  expect(duplicates, `seed ${seed}, kills ${JSON.stringify(kills)}`).toBeLessThanOrEqual(inflightTotal);
  for (const [to, ids] of copies) expect(new Set(ids).size, `${to}: ${ids.join(' ')}`).toBe(1);
  // In flight is at most 2 × SEND_CONCURRENCY per kill: the window the README documents.
  for (const k of kills) expect(k.inflight).toBeLessThanOrEqual(8);
  console.log(`crash test (seed ${seed}): kills ${JSON.stringify(kills)}, ${duplicates} duplicate(s)`);

  const app = project.app();
  const store = await app.store();
  expect(await store.deliveryCounts(ISSUE)).toMatchObject({ accepted: SUBSCRIBERS, queued: 0, sending: 0, deferred: 0, unknown: 0 });
  expect((await store.getSend(ISSUE))?.finishedAt).not.toBeNull();
  await app.close();
});
