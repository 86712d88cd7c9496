/**
 * Scale-out (`npm run bench -- scale`): throughput of 1, 2 and 4 `sudi worker` processes on one
 * PostgreSQL into Postfix's `smtp-sink` (its own process), beside single-process `sudi send` on
 * SQLite and the machine's limit measured in the same run (`smtp-source`, messages of the same size,
 * over the same number of connections); then the claim query's cost per batch (EXPLAIN ANALYZE).
 *
 * Every sender is a real child process (`node bin/sudi.js …`) on the seed issue. Throughput is the
 * steady rate from the ledger (first to last accepted Delivery, by updated_at); "end to end" adds
 * process start-up and the one MJML render per process. Needs PostgreSQL (SUDI_TEST_PG_URL or the
 * local server) and `apt-get install postfix` (then `postfix stop`: only the two tools are used).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { parseConfig } from '../src/config.ts';
import { issueMessages } from '../src/delivery/issue-messages.ts';
import { CLAIM_SQL } from '../src/store/postgres/ledger.ts';
import { openPostgresStore } from '../src/store/postgres/index.ts';
import { openSqlite, transaction } from '../src/store/sqlite/db.ts';
import { freePort, median, waitForPort } from './helpers/net.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SINK = '/usr/sbin/smtp-sink';
const SOURCE = '/usr/sbin/smtp-source';
const ISSUE = '2024-04-15';
const N = Number(process.env.BENCH_SCALE_N ?? 20_000);
const PER_WORKER = 4; // SEND_CONCURRENCY of each process
const WORKERS = [1, 2, 4];
const PG_URL = process.env.SUDI_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const SECRET = 'bench-secret-0123456789-abcdefghijklmnop';
const LANGS = ['zh', 'en', 'both'] as const;



const withSchema = (schema: string) => `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function projectDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sudi-bench-scale-'));
  await mkdir(path.join(dir, 'issues'), { recursive: true });
  await copyFile(path.join(ROOT, 'tests', 'fixtures', 'issues', `${ISSUE}.md`), path.join(dir, 'issues', `${ISSUE}.md`));
  return dir;
}

function baseEnv(dir: string, port: number, databaseUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TZ: 'UTC',
    SITE_URL: 'https://news.example.org/',
    MAIL_FROM: 'Sudi <digest@news.example.org>',
    SECRET,
    DATABASE_URL: databaseUrl,
    DATA_DIR: path.join(dir, 'data'),
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    SEND_CONCURRENCY: String(PER_WORKER),
    SEND_RATE: '0',
  };
}

function runProcesses(n: number, args: string[], cwd: string, env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const children: ChildProcess[] = Array.from({ length: n }, () => spawn(process.execPath, [path.join(ROOT, 'bin', 'sudi.js'), ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] }));
  return Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          let err = '';
          c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
          c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sudi ${args.join(' ')} exited ${code}: ${err}`))));
        }),
    ),
  ).then(() => performance.now() - started);
}

interface Result {
  label: string;
  connections: number;
  steady: number;
  endToEnd: number;
  /** How busy the machine's cores were during the run (every process: senders, PostgreSQL, smtp-sink, and neighbours). */
  busy?: number;
}

/** Busy and total jiffies of the whole machine (/proc/stat), to see when the cores are the limit. */
function machineCpu(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function measured(step: () => Promise<Result>): Promise<Result> {
  const before = machineCpu();
  const r = await step();
  const after = machineCpu();
  return { ...r, busy: (after.busy - before.busy) / (after.total - before.total) };
}

/** Steady rate from the ledger: accepted Deliveries between the first and the last accepted one. */
function steadyRate(rows: { n: number; first: number; last: number }): number {
  return (rows.n - 1) / ((rows.last - rows.first) / 1000);
}

async function postgresRun(workers: number, port: number, dir: string): Promise<Result> {
  const schema = `sudi_bench_${process.pid}_${workers}`;
  await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`));
  const url = withSchema(schema);
  try {
    const store = await openPostgresStore(url);
    await store.pool.query(
      `INSERT INTO subscribers (email, status, lang, source, created_at, updated_at, confirmed_at)
       SELECT 'reader' || g || '@example.org', 'active', (ARRAY['zh', 'en', 'both'])[1 + g % 3], 'bench', 0, 0, 0 FROM generate_series(1, $1::int) g`,
      [N],
    );
    await store.startSend(ISSUE, { trigger: 'cli', now: new Date() });
    const ms = await runProcesses(workers, ['worker', '--once'], dir, baseEnv(dir, port, url));
    const r = await store.pool.query<{ n: number; first: number; last: number }>(
      `SELECT count(*)::int AS n, min(updated_at)::float8 AS first, max(updated_at)::float8 AS last FROM deliveries WHERE state = 'accepted'`,
    );
    await store.close();
    if (r.rows[0]!.n !== N) throw new Error(`${workers} worker(s): ${r.rows[0]!.n} of ${N} accepted`);
    return { label: `PostgreSQL, ${workers} \`sudi worker\``, connections: workers * PER_WORKER, steady: steadyRate(r.rows[0]!), endToEnd: N / (ms / 1000) };
  } finally {
    await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  }
}

async function sqliteRun(port: number, dir: string): Promise<Result> {
  const file = path.join(dir, 'data', 'sudi.db');
  await rm(path.join(dir, 'data'), { recursive: true, force: true });
  const db = openSqlite(file);
  const insert = db.prepare(`INSERT INTO subscribers (email, status, lang, source, created_at, updated_at, confirmed_at) VALUES (?, 'active', ?, 'bench', 0, 0, 0)`);
  transaction(db, () => {
    for (let i = 1; i <= N; i++) insert.run(`reader${i}@example.org`, LANGS[i % 3]);
  });
  db.close();
  const ms = await runProcesses(1, ['send', ISSUE], dir, baseEnv(dir, port, `sqlite:${file}`));
  const check = openSqlite(file);
  const r = check.prepare(`SELECT count(*) AS n, min(updated_at) AS first, max(updated_at) AS last FROM deliveries WHERE state = 'accepted'`).get() as { n: number; first: number; last: number };
  check.close();
  if (r.n !== N) throw new Error(`SQLite send: ${r.n} of ${N} accepted`);
  return { label: 'SQLite, one `sudi send`', connections: PER_WORKER, steady: steadyRate(r), endToEnd: N / (ms / 1000) };
}

async function messageSize(dir: string, port: number): Promise<number> {
  const app = createApp(parseConfig(baseEnv(dir, port, `sqlite:${path.join(dir, 'data', 'probe.db')}`), dir), { now: () => new Date(), log: () => {} });
  const sizes: number[] = [];
  for (const lang of LANGS) {
    const f = await issueMessages(app).factory(ISSUE, lang);
    const raw = f.build({ subscriberId: 123456, email: 'reader123456@example.org' }, { now: new Date() }).raw as Buffer[];
    sizes.push(raw.reduce((s, b) => s + b.length, 0));
  }
  await app.close();
  return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
}

/** The machine's limit: smtp-source, same size, `connections` sessions in parallel. */
function limit(port: number, size: number, connections: number, messages = 10_000): number {
  const t = performance.now();
  execFileSync(SOURCE, ['-d', '-s', String(connections), '-l', String(size), '-m', String(messages), '-f', 'digest@news.example.org', '-t', 'reader@example.org', `127.0.0.1:${port}`], { stdio: 'ignore' });
  return messages / ((performance.now() - t) / 1000);
}

/**
 * EXPLAIN ANALYZE of the claim as workers run it (committed, then the batch accepted, so the queue
 * moves on as in a real Send), from the middle of a Send of N Deliveries: median over 61 claims.
 */
async function claimCost(batch: number): Promise<{ exec: number; plan: number }> {
  const schema = `sudi_bench_claim_${process.pid}`;
  await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`));
  const store = await openPostgresStore(withSchema(schema));
  try {
    await store.pool.query(
      `INSERT INTO subscribers (email, status, lang, source, created_at, updated_at, confirmed_at)
       SELECT 'reader' || g || '@example.org', 'active', 'zh', 'bench', 0, 0, 0 FROM generate_series(1, $1::int) g`,
      [N],
    );
    await store.startSend(ISSUE, { trigger: 'cli', now: new Date() });
    const acceptLeased = `UPDATE deliveries SET state = 'accepted', lease_until = NULL WHERE state = 'sending'`;
    for (let done = 0; done < N / 2; ) {
      done += (await store.claimDeliveries({ owner: 'bench', now: new Date(), leaseMs: 60_000, limit: 500 })).length;
      await store.pool.query(acceptLeased);
    }
    const exec: number[] = [];
    const plan: number[] = [];
    const c = await store.pool.connect();
    try {
      for (let i = 0; i < 61; i++) {
        const r = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, FORMAT TEXT) ${CLAIM_SQL}`, [Date.now(), null, batch, 'bench', Date.now() + 60_000]);
        await c.query(acceptLeased);
        const text = r.rows.map((x) => x['QUERY PLAN']).join('\n');
        exec.push(Number(/Execution Time: ([\d.]+)/.exec(text)![1]));
        plan.push(Number(/Planning Time: ([\d.]+)/.exec(text)![1]));
      }
    } finally {
      c.release();
    }
    return { exec: median(exec), plan: median(plan) };
  } finally {
    await store.close();
    await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  }
}

export async function run(): Promise<string[]> {
  if (!existsSync(SINK) || !existsSync(SOURCE)) return [`skipped: ${SINK} and ${SOURCE} are needed (apt-get install postfix, then postfix stop)`];
  try {
    await admin((c) => c.query('SELECT 1'));
  } catch (e) {
    return [`skipped: no PostgreSQL at ${PG_URL.replace(/\/\/[^@/]*@/, '//***@')} (${(e as Error).message})`];
  }
  const port = await freePort();
  const sink: ChildProcess = spawn(SINK, [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
  const dir = await projectDir();
  try {
    await waitForPort(port);
    const size = await messageSize(dir, port);
    const limits = new Map<number, number[]>();
    const measureLimit = (connections: number) => limits.set(connections, [...(limits.get(connections) ?? []), limit(port, size, connections)]);
    limit(port, size, 4, 1000); // warm-up
    const results: Result[] = [];
    for (const step of [() => sqliteRun(port, dir), ...WORKERS.map((w) => () => postgresRun(w, port, dir))]) {
      const r = await measured(step);
      results.push(r);
      measureLimit(r.connections);
    }
    for (const c of new Set(results.map((r) => r.connections))) measureLimit(c);
    const lim = (c: number) => median(limits.get(c)!);
    const base = results[0]!.steady;
    const claims = [];
    for (const batch of [8, 100]) claims.push({ batch, ...(await claimCost(batch)) });
    return [
      `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, ${await admin(async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version)} PostgreSQL on the same machine; ${N.toLocaleString('en')} Deliveries per run; ${PER_WORKER} SMTP connections per process; seed issue, ${(size / 1024).toFixed(1)} KiB per message on the wire.`,
      '',
      '| senders | connections | messages/s (steady) | vs SQLite | limit at those connections | ratio to the limit | end to end | cores busy |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...results.map(
        (r) =>
          `| ${r.label} | ${r.connections} | ${r.steady.toFixed(0)} | ${(r.steady / base).toFixed(2)}× | ${lim(r.connections).toFixed(0)} | **${((r.steady / lim(r.connections)) * 100).toFixed(0)} %** | ${r.endToEnd.toFixed(0)}/s | ${(r.busy! * 100).toFixed(0)} % |`,
      ),
      '',
      `Limit runs (smtp-source, ${size} bytes, 10,000 messages each): ${[...limits].map(([c, xs]) => `${c} connections: ${xs.map((x) => x.toFixed(0)).join(', ')}`).join('; ')}.`,
      '',
      `Claim query (one statement: pick with SKIP LOCKED, lease or suppress, return), in the middle of a Send of ${N.toLocaleString('en')} Deliveries, median of 61 consecutive claims (EXPLAIN ANALYZE; each batch then accepted):`,
      '',
      '| batch | execution | planning | per Delivery |',
      '|---:|---:|---:|---:|',
      ...claims.map((c) => `| ${c.batch} | ${c.exec.toFixed(2)} ms | ${c.plan.toFixed(2)} ms | ${((c.exec + c.plan) / c.batch * 1000).toFixed(0)} µs |`),
    ];
  } finally {
    sink.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}
