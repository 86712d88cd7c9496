/**
 * `sudi migrate-store`: a real SQLite file with Subscribers in every status and a Send with
 * Deliveries in several states moves to a real PostgreSQL schema unchanged.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import { SUBSCRIBER_STATUSES, type Store } from '../../src/store/store.ts';
import { createTestSchema, type TestSchema } from '../helpers/postgres.ts';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';

const T0 = new Date('2024-04-20T01:00:00.123Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
let dir: { dir: string; cleanup: () => Promise<void> };
let schema: TestSchema;
let file: string;

async function everything(store: Store) {
  const subscribers = await store.listSubscribers({ limit: 10_000 });
  const sends = await store.listSends();
  const deliveries = [];
  for (const s of sends) deliveries.push(...(await store.listDeliveries({ issueId: s.issueId, limit: 10_000 })));
  const confirmations = await store.listQueuedConfirmations(10_000);
  return { subscribers, sends, deliveries, confirmations };
}

beforeAll(async () => {
  dir = await tempDir('sudi-migrate-');
  schema = await createTestSchema();
  file = `${dir.dir}/data/sudi.db`;
  const store = openSqliteStore(file);
  // 300 Subscribers in every status and language, with gaps in the ids (deleted ones).
  for (let i = 0; i < 300; i++) {
    const status = SUBSCRIBER_STATUSES[i % SUBSCRIBER_STATUSES.length]!;
    const s = await store.insertSubscriber({ email: `s${i}@example.org`, status: status === 'pending' ? 'pending' : 'active', lang: (['zh', 'en', 'both'] as const)[i % 3]!, source: i % 2 ? 'web' : 'import:list.csv', now: at(i) });
    if (status !== 'pending' && status !== 'active') await store.setSubscriberStatus(s.id, status, at(1000 + i));
    if (i % 7 === 0) await store.queueConfirmation(s.id, { now: at(2000), notBefore: at(0), messageId: `<confirm.${i}@sudi.example>` });
    if (i % 50 === 49) await store.deleteSubscriber(s.id);
  }
  await store.startSend('2024-04-15', { trigger: 'schedule', now: at(5000) });
  const claimed = await store.claimDeliveries({ issueId: '2024-04-15', owner: 'host:1:a', now: at(6000), leaseMs: 60_000, limit: 40 });
  for (const [i, d] of claimed.entries()) {
    await store.setMessageId(d.issueId, d.subscriberId, `<m${d.subscriberId}@sudi.example>`);
    if (i < 30) {
      const state = (['accepted', 'deferred', 'failed', 'unknown'] as const)[i % 4]!;
      await store.recordOutcome(d.issueId, d.subscriberId, { owner: 'host:1:a', state, code: state === 'accepted' ? 250 : state === 'failed' ? 550 : null, response: `reply ${i} «引号»`, nextAttemptAt: state === 'deferred' ? at(90_000) : null, now: at(7000 + i) });
    }
  }
  await store.pauseSend('2024-04-15', at(100_000));
  await store.startSend('2024-04-08', { trigger: 'cli', now: at(100) });
  await store.close();
});

afterAll(async () => {
  await schema.drop();
  await dir.cleanup();
});

it('copies every Subscriber, Send and Delivery unchanged; refuses a non-empty target without --force', async () => {
  const source = openSqliteStore(file);
  const before = await everything(source);
  await source.close();
  expect(before.subscribers).toHaveLength(294);
  expect(before.confirmations.length).toBeGreaterThan(0);
  expect(new Set(before.deliveries.map((d) => d.state))).toEqual(new Set(['accepted', 'deferred', 'failed', 'unknown', 'sending', 'queued']));

  const run = await runCliCaptured(['migrate-store', '--from', `sqlite:${file}`, '--to', schema.url], { cwd: dir.dir });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('subscribers: 294 row(s)');
  expect(run.stdout).toContain(`deliveries: ${before.deliveries.length} row(s)`);

  const target = await openPostgresStore(schema.url);
  try {
    expect(await everything(target)).toEqual(before);
    // New Subscribers get ids after the copied ones.
    const next = await target.insertSubscriber({ email: 'new@example.org', status: 'pending', lang: 'zh', source: 'web', now: at(0) });
    expect(next.id).toBe(301);
    // The copy is a working ledger: the paused Send resumes after its pause, leases as before.
    expect(await target.claimDeliveries({ issueId: '2024-04-15', owner: 'w', now: at(50_000), leaseMs: 1000, limit: 5 })).toEqual([]);
    const resumed = await target.claimDeliveries({ issueId: '2024-04-15', owner: 'w', now: at(100_000), leaseMs: 1000, limit: 1000 });
    expect(resumed.length).toBeGreaterThan(0);
  } finally {
    await target.close();
  }

  const again = await runCliCaptured(['migrate-store', '--from', `sqlite:${file}`, '--to', schema.url], { cwd: dir.dir });
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/already holds data \((\w+, ){3}\w+\); nothing was copied/);
  for (const t of ['subscribers', 'sends', 'deliveries']) expect(again.stderr).toContain(t);
  expect(again.stderr).toContain('--force');

  const forced = await runCliCaptured(['migrate-store', '--from', `sqlite:${file}`, '--to', schema.url, '--force'], { cwd: dir.dir });
  expect(forced.code).toBe(0);
  const replaced = await openPostgresStore(schema.url);
  try {
    expect(await everything(replaced)).toEqual(before);
  } finally {
    await replaced.close();
  }
});

it('names the problem for a missing source or a URL that is not PostgreSQL, and copies nothing', async () => {
  const missing = await runCliCaptured(['migrate-store', '--from', 'sqlite:nope/sudi.db', '--to', schema.url], { cwd: dir.dir });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/no SQLite database at .*nope\/sudi\.db/);
  const badTo = await runCliCaptured(['migrate-store', '--from', `sqlite:${file}`, '--to', 'mysql://x@localhost/db'], { cwd: dir.dir });
  expect(badTo.code).toBe(2);
  expect(badTo.stderr).toMatch(/--to .* is not a PostgreSQL URL/);
});

it('all or nothing: a row the target refuses half-way leaves the target empty', async () => {
  const other = await createTestSchema();
  try {
    const prepared = await openPostgresStore(other.url);
    // A constraint the source's unknown-state rows break: deliveries come after subscribers and sends.
    await prepared.pool.query(`ALTER TABLE deliveries ADD CONSTRAINT no_unknown CHECK (state <> 'unknown')`);
    await prepared.close();
    const run = await runCliCaptured(['migrate-store', '--from', `sqlite:${file}`, '--to', other.url], { cwd: dir.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^sudi: copying table deliveries failed after 0 row\(s\): .*no_unknown.*; nothing was copied$/m);
    expect(run.stderr).not.toContain("unexpected");
    const target = await openPostgresStore(other.url);
    try {
      expect(await target.countSubscribers()).toBe(0);
      expect(await target.listSends()).toEqual([]);
    } finally {
      await target.close();
    }
  } finally {
    await other.drop();
  }
});
