/**
 * Scale-out on PostgreSQL with real processes: four `sudi worker` children share one ledger and
 * one SMTP server (smtp-server, in this process). 2,000 Deliveries per Send, 20,000 with
 * SUDI_TEST_FULL=1 (SUDI_SCALE_N sets any other number when measuring).
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.ts';
import { createTestSchema, type TestSchema } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { testSize } from '../helpers/test-size.ts';
import { bulkSubscribers, SECRET, spawnSudi, stopAll, waitForAccepted, writeSmallIssue, type WorkerProcess } from './fleet.ts';
import { startSmtpCounter, type SmtpCounter } from './smtp-counter.ts';

const N = Number(process.env.SUDI_SCALE_N ?? testSize(20_000, 2_000));
const WORKERS = 4;
const RUN_TIMEOUT = 240_000;

let schema: TestSchema;
let store: PostgresStore;
let smtp: SmtpCounter;
let project: { dir: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
const spawned: WorkerProcess[] = [];

beforeAll(async () => {
  schema = await createTestSchema();
  store = await openPostgresStore(schema.url);
  smtp = await startSmtpCounter({ sampleEvery: 1000 });
  project = await tempDir('sudi-fleet-');
  await writeSmallIssue(project.dir, '2024-04-15');
  await writeSmallIssue(project.dir, '2024-04-22');
  await bulkSubscribers(store.pool, N);
  env = {
    TZ: 'Asia/Shanghai',
    DATABASE_URL: schema.url,
    SMTP_URL: smtp.url,
    SECRET,
    SITE_URL: 'https://news.example.org/',
    MAIL_FROM: 'Sudi <digest@news.example.org>',
    SEND_CONCURRENCY: '4',
    LEASE_SECONDS: '5',
  };
}, 60_000);

afterAll(async () => {
  await stopAll(spawned);
  await store?.close();
  await smtp?.close();
  await schema?.drop();
  await project?.cleanup();
});

/** Each worker's PostgreSQL sessions carry a name of their own, so the test can see when they are gone. */
const appName = (i: number) => `${schema.schema}-w${i}`;

const startWorkers = () => {
  const ws = Array.from({ length: WORKERS }, (_, i) =>
    spawnSudi(['worker', '--poll', '1'], { cwd: project.dir, env: { ...env, DATABASE_URL: `${env.DATABASE_URL}&application_name=${appName(i)}` } }),
  );
  spawned.push(...ws);
  return ws;
};

/** Arrivals since `from`, grouped by recipient. */
function byRecipient(from: number) {
  const m = new Map<string, string[]>();
  for (const a of smtp.arrivals.slice(from)) m.set(a.to, [...(m.get(a.to) ?? []), a.messageId ?? '']);
  return m;
}

async function waitForSessionsGone(applicationName: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await store.pool.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    if (Number(r.rows[0]?.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`the killed worker's PostgreSQL sessions (${applicationName}) were still open after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('sudi worker × 4 on one PostgreSQL', () => {
  it(`${N} deliveries: every subscriber receives exactly one message`, async () => {
    await store.startSend('2024-04-15', { trigger: 'cli', now: new Date() });
    const workers = startWorkers();
    await waitForAccepted(store, '2024-04-15', N, RUN_TIMEOUT);
    const codes = await stopAll(workers);
    expect(codes, workers.map((w) => w.stderr()).join('\n')).toEqual(Array(WORKERS).fill(0));

    expect(smtp.arrivals).toHaveLength(N);
    const got = byRecipient(0);
    expect(got.size).toBe(N);
    expect([...got.values()].every((ids) => ids.length === 1)).toBe(true);
    expect(new Set(smtp.arrivals.map((a) => a.messageId)).size).toBe(N);
    for (let i = 1; i <= N; i++) expect(got.has(`reader${i}@example.org`)).toBe(true);
    // The load was shared: every worker accepted some.
    for (const w of workers) expect(w.stdout()).toMatch(/stopped after [\d.]+ s: [1-9]\d* accepted, 0 deferred, 0 failed/);
    const send = await store.getSend('2024-04-15');
    expect(send?.finishedAt).not.toBeNull();
    expect(await store.deliveryCounts('2024-04-15')).toMatchObject({ accepted: N, queued: 0, sending: 0, unknown: 0 });
    // An independent parser agrees on the sampled headers: the To and Message-ID we counted by.
    for (const s of smtp.samples) {
      const parsed = await simpleParser(s.header);
      expect(parsed.messageId).toBe(s.arrival.messageId);
      expect((parsed.to as { value: { address: string }[] }).value.map((v) => v.address)).toEqual([s.arrival.to]);
    }
  }, RUN_TIMEOUT + 30_000);

  it('one worker killed with SIGKILL mid-run: nothing missing, duplicates only among its in-flight messages, same Message-ID', async () => {
    const issue = '2024-04-22';
    const from = smtp.arrivals.length;
    await store.startSend(issue, { trigger: 'cli', now: new Date() });
    const workers = startWorkers();
    const victim = workers[0]!;
    await smtp.waitFor(from + Math.floor(N / 3), RUN_TIMEOUT);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    // Statements the victim had already sent still finish in its server sessions, which end only
    // when they next read the closed socket; after that its leases are frozen until they expire
    // (LEASE_SECONDS=5) or a worker on this host sees the process is gone.
    await waitForSessionsGone(appName(0));
    const inflight = await store.pool.query<{ subscriber_id: number; message_id: string | null }>(
      `SELECT subscriber_id, message_id FROM deliveries WHERE issue_id = $1 AND state = 'sending' AND lease_owner LIKE $2`,
      [issue, `%/${victim.pid}/%`],
    );
    const victimEmails = new Map(inflight.rows.map((r) => [`reader${r.subscriber_id}@example.org`, r.message_id]));
    expect(inflight.rows.length).toBeGreaterThan(0);

    await waitForAccepted(store, issue, N, RUN_TIMEOUT);
    const codes = await stopAll(workers.slice(1));
    expect(codes).toEqual(Array(WORKERS - 1).fill(0));

    const got = byRecipient(from);
    for (let i = 1; i <= N; i++) expect(got.has(`reader${i}@example.org`), `reader${i} missing`).toBe(true);
    expect(got.size).toBe(N);
    const duplicates = [...got].filter(([, ids]) => ids.length > 1);
    for (const [to, ids] of duplicates) {
      expect(victimEmails.has(to), `${to} got ${ids.length} messages but was not in flight at the killed worker`).toBe(true);
      expect(new Set(ids).size).toBe(1);
      expect(ids[0]).toBe(victimEmails.get(to));
    }
    expect(duplicates.length).toBeLessThanOrEqual(victimEmails.size);
    expect(await store.deliveryCounts(issue)).toMatchObject({ accepted: N, queued: 0, sending: 0 });
    // The killed worker's leases were taken over, and only its rows were attempted twice. A row it
    // had begun sending (it has a Message-ID) always counts a second attempt. One it had only
    // claimed counts one if a worker settled the dead local lease, two if the lease expired and a
    // claim took it first: which comes first depends on the load, so both are allowed.
    const begun = [...victimEmails.values()].filter((id) => id !== null).length;
    const twice = await store.pool.query<{ subscriber_id: number }>(`SELECT subscriber_id FROM deliveries WHERE issue_id = $1 AND attempts = 2`, [issue]);
    for (const r of twice.rows) expect(victimEmails.has(`reader${r.subscriber_id}@example.org`), `reader${r.subscriber_id} attempted twice`).toBe(true);
    expect(twice.rows.length).toBeGreaterThanOrEqual(begun);
  }, RUN_TIMEOUT + 30_000);
});
