/**
 * `sudi worker` as a process: SIGTERM drains what is in flight and exits; `sudi send --no-wait`
 * leaves the Send to workers; SEND_RATE holds for two workers together, not each.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.ts';
import { createTestSchema, type TestSchema } from '../helpers/postgres.ts';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';
import { bulkSubscribers, SECRET, spawnSudi, stopAll, writeSmallIssue, type WorkerProcess } from './fleet.ts';
import { startSmtpCounter, type SmtpCounter } from './smtp-counter.ts';

let project: { dir: string; cleanup: () => Promise<void> };
const spawned: WorkerProcess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  project = await tempDir('sudi-worker-');
  for (const id of ['2024-04-15', '2024-04-22', '2024-04-29']) await writeSmallIssue(project.dir, id);
});
afterAll(async () => {
  await stopAll(spawned);
  for (const c of cleanups.reverse()) await c();
  await project.cleanup();
});

async function fleetDb(subscribers: number, smtpOpts: Parameters<typeof startSmtpCounter>[0] = {}) {
  const schema: TestSchema = await createTestSchema();
  const store: PostgresStore = await openPostgresStore(schema.url);
  const smtp: SmtpCounter = await startSmtpCounter(smtpOpts);
  cleanups.push(() => schema.drop(), () => store.close(), () => smtp.close());
  await bulkSubscribers(store.pool, subscribers);
  const env = { TZ: 'Asia/Shanghai', DATABASE_URL: schema.url, SMTP_URL: smtp.url, SECRET, SITE_URL: 'https://news.example.org/', SEND_CONCURRENCY: '4' };
  const worker = (extra: Record<string, string> = {}, args: string[] = []) => {
    const w = spawnSudi(['worker', '--poll', '1', ...args], { cwd: project.dir, env: { ...env, ...extra } });
    spawned.push(w);
    return w;
  };
  return { schema, store, smtp, env, worker };
}

describe('sudi worker', () => {
  it('SIGTERM: stops claiming, lets messages in flight finish and records them, exits 0; a later worker finishes the Send', async () => {
    const { store, smtp, env, worker } = await fleetDb(300, { replyDelayMs: 40 });
    const sent = await runCliCaptured(['send', '2024-04-15', '--no-wait'], { cwd: project.dir, env });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('started the send of 2024-04-15 to 300 subscriber(s)');
    expect(sent.stdout).toContain('--no-wait');
    expect(smtp.arrivals).toHaveLength(0);

    const w = worker();
    await smtp.waitFor(40, 60_000);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.stdout()).toMatch(/worker .* stopped after [\d.]+ s: \d+ accepted/);
    const counts = await store.deliveryCounts('2024-04-15');
    // Nothing left leased, nothing in doubt: every message the server got is recorded as accepted.
    expect(counts.sending).toBe(0);
    expect(counts.unknown).toBe(0);
    expect(counts.accepted).toBe(smtp.arrivals.length);
    expect(counts.accepted).toBeLessThan(300);

    const finisher = worker({}, ['--once']);
    expect(await finisher.exited).toBe(0);
    expect(new Set(smtp.arrivals.map((a) => a.to)).size).toBe(300);
    expect(smtp.arrivals).toHaveLength(300);
    expect((await store.getSend('2024-04-15'))?.finishedAt).not.toBeNull();
  }, 120_000);

  it('SEND_RATE=20 holds for every sender of the database together (two workers and a `sudi send`): no one-second window at the server holds more than 21', async () => {
    const { store, smtp, env, worker } = await fleetDb(90);
    await store.startSend('2024-04-22', { trigger: 'cli', now: new Date() });
    const send = spawnSudi(['send', '2024-04-22'], { cwd: project.dir, env: { ...env, SEND_RATE: '20' } });
    spawned.push(send);
    const ws = [worker({ SEND_RATE: '20' }, ['--once']), worker({ SEND_RATE: '20' }, ['--once'])];
    expect(await Promise.all([send, ...ws].map((w) => w.exited))).toEqual([0, 0, 0]);
    expect(ws.every((w) => /20\/s for the whole fleet/.test(w.stderr()))).toBe(true);
    const times = smtp.arrivals.map((a) => a.at).sort((a, b) => a - b);
    expect(times).toHaveLength(90);
    expect(new Set(smtp.arrivals.map((a) => a.to)).size).toBe(90);
    let most = 0;
    for (const t of times) most = Math.max(most, times.filter((x) => x >= t && x < t + 1000).length);
    expect(most).toBeLessThanOrEqual(21);
    // Each alone may send 20/s, together they still do. Which of them took how many is a race
    // (under load one process may start after the others took everything): only the sum is fixed.
    const byWorkers = ws.map((w) => Number(/stopped after [\d.]+ s: (\d+) accepted/.exec(w.stdout())?.[1] ?? NaN));
    const bySend = Number(/this run: \d+ message\(s\) handed to SMTP, (\d+) accepted/.exec(send.stdout())?.[1] ?? (/was already sent/.test(send.stdout()) ? 0 : NaN));
    expect(byWorkers.reduce((a, b) => a + b, 0) + bySend, send.stdout() + ws.map((w) => w.stdout()).join('')).toBe(90);
    expect((times.at(-1)! - times[0]!) / 1000).toBeGreaterThanOrEqual(89 / 20 - 0.5);
  }, 120_000);

  it('runs on SQLite too (one machine), and refuses a bad --poll', async () => {
    const smtp = await startSmtpCounter();
    cleanups.push(() => smtp.close());
    const env = { TZ: 'Asia/Shanghai', DATABASE_URL: `sqlite:${path.join(project.dir, 'data', 'sudi.db')}`, SMTP_URL: smtp.url, SECRET, SEND_RATE: '1000' };
    expect((await runCliCaptured(['subscribers', 'add', 'solo@example.org', '--confirmed'], { cwd: project.dir, env })).code).toBe(0);
    expect((await runCliCaptured(['send', '2024-04-29', '--no-wait'], { cwd: project.dir, env })).code).toBe(0);
    const run = await runCliCaptured(['worker', '--once', '--poll', '0.2'], { cwd: project.dir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('sqlite store');
    expect(run.stderr).toContain('1000/s for this process (SQLite)');
    expect(run.stdout).toMatch(/stopped after [\d.]+ s: 1 accepted/);
    expect(smtp.arrivals.map((a) => a.to)).toEqual(['solo@example.org']);
    const bad = await runCliCaptured(['worker', '--poll', 'soon'], { cwd: project.dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--poll soon is not a number of seconds/);
  });
});
