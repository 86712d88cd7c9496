/**
 * Delivery throughput (`npm run bench -- delivery`), against Postfix's `smtp-sink` on loopback,
 * running as its own process, beside this machine's limit measured in the same run: Postfix's
 * `smtp-source` sending messages of the same size over the same number of connections.
 *
 * Our side is the real thing in its own process (bench/helpers/delivery-child.ts): composition root,
 * SQLite ledger (claim, Message-ID, outcome per message), message splicing, the SMTP pool. Reported:
 * messages/s, the ratio to the limit, CPU per message, peak RSS, for 10,000 and 100,000
 * Subscribers. Needs `apt-get install postfix` (then `postfix stop`: only the two tools are used).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.ts';
import { parseConfig } from '../src/config.ts';
import { issueMessages } from '../src/delivery/issue-messages.ts';
import { openSqlite, transaction } from '../src/store/sqlite/db.ts';
import { freePort, median, waitForPort } from './helpers/net.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SINK = '/usr/sbin/smtp-sink';
const SOURCE = '/usr/sbin/smtp-source';
const ISSUE = '2024-04-15';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const SIZES = (process.env.BENCH_SUBSCRIBERS ?? '10000,100000').split(',').map(Number);
const LANGS = ['zh', 'en', 'both'] as const;

interface ChildResult {
  accepted: number;
  attempted: number;
  failed: number;
  ms: number;
  renderMs: number;
  cpuUs: number;
  peakRss: number;
  maxRssKb: number;
  rssQuarters: number[];
}



/** A project folder with the seed issue and `n` active Subscribers (bulk-inserted: setup, not measured). */
async function project(n: number): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sudi-bench-delivery-'));
  await mkdir(path.join(dir, 'issues'), { recursive: true });
  const seed = existsSync(path.join(ROOT, 'issues', `${ISSUE}.md`)) ? path.join(ROOT, 'issues', `${ISSUE}.md`) : path.join(ROOT, 'tests', 'fixtures', 'issues', `${ISSUE}.md`);
  await copyFile(seed, path.join(dir, 'issues', `${ISSUE}.md`));
  const db = openSqlite(path.join(dir, 'data', 'sudi.db'));
  const insert = db.prepare(`INSERT INTO subscribers (email, status, lang, source, created_at, updated_at, confirmed_at) VALUES (?, 'active', ?, 'bench', ?, ?, ?)`);
  const now = Date.now();
  transaction(db, () => {
    for (let i = 0; i < n; i++) insert.run(`reader${i}@example.org`, LANGS[i % 3], now, now, now);
  });
  db.close();
  return dir;
}

function env(dir: string, port: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    SITE_URL: 'https://news.example.org/',
    MAIL_FROM: 'Sudi <digest@news.example.org>',
    SECRET: 'bench-secret-0123456789-abcdefghijklmnop',
    DATABASE_URL: `sqlite:${path.join(dir, 'data', 'sudi.db')}`,
    DATA_DIR: path.join(dir, 'data'),
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    SEND_CONCURRENCY: String(CONNECTIONS),
    SEND_RATE: '0',
    TZ: 'UTC',
  };
}

/** Mean size on the wire of our messages (the languages cycle zh, en, both as the Subscribers do). */
async function messageSize(dir: string, port: number): Promise<number> {
  const app = createApp(parseConfig(env(dir, port), dir), { now: () => new Date(), log: () => {} });
  const sizes: number[] = [];
  for (const lang of LANGS) {
    const f = await issueMessages(app).factory(ISSUE, lang);
    const raw = f.build({ subscriberId: 123456, email: 'reader123456@example.org' }, { now: new Date() }).raw as Buffer[];
    sizes.push(raw.reduce((s, b) => s + b.length, 0));
  }
  await app.close();
  return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
}

/** The machine's limit: smtp-source, same size, same connections, one session per connection (-d). */
function limit(port: number, size: number, messages: number): number {
  const t = performance.now();
  execFileSync(SOURCE, ['-d', '-s', String(CONNECTIONS), '-l', String(size), '-m', String(messages), '-f', 'digest@news.example.org', '-t', 'reader@example.org', `127.0.0.1:${port}`], { stdio: 'ignore' });
  return messages / ((performance.now() - t) / 1000);
}

function ours(dir: string, port: number): ChildResult {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'bench', 'helpers', 'delivery-child.ts'), dir, ISSUE], {
    cwd: ROOT,
    env: env(dir, port),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

export async function run(): Promise<string[]> {
  if (!existsSync(SINK) || !existsSync(SOURCE)) {
    return [`skipped: ${SINK} and ${SOURCE} are needed (apt-get install postfix, then postfix stop)`];
  }
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const sink: ChildProcess = spawn(SINK, [...(asRoot ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
  const dirs: string[] = [];
  try {
    await waitForPort(port);
    const probe = await project(0);
    dirs.push(probe);
    const size = await messageSize(probe, port);
    const limitMessages = 10_000;
    limit(port, size, 1000); // warm-up
    const limits: number[] = [limit(port, size, limitMessages)];
    const rows: string[] = [];
    for (const n of SIZES) {
      const dir = await project(n);
      dirs.push(dir);
      const r = ours(dir, port);
      limits.push(limit(port, size, limitMessages));
      if (r.accepted !== n) throw new Error(`bench send to ${n}: only ${r.accepted} accepted (${r.failed} not)`);
      const rate = r.accepted / (r.ms / 1000);
      const quarters = r.rssQuarters.map((b) => (b / 1048576).toFixed(0)).join(' / ');
      rows.push(`| ${n.toLocaleString('en')} | ${rate.toFixed(0)} | ${(r.cpuUs / r.accepted).toFixed(0)} µs | ${(r.peakRss / 1048576).toFixed(0)} MB | ${quarters} | ${(r.ms / 1000).toFixed(1)} s | RATIO:${rate} |`);
      await rm(dir, { recursive: true, force: true });
    }
    const lim = median(limits);
    return [
      `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; ${CONNECTIONS} SMTP connections; message ${(size / 1024).toFixed(1)} KiB on the wire (mean over zh/en/both); load average at the end ${os.loadavg()[0]!.toFixed(1)} (other work on the machine).`,
      '',
      `Limit (smtp-source → smtp-sink, ${CONNECTIONS} connections, ${limitMessages.toLocaleString('en')} messages of ${size} bytes, median of ${limits.length} runs interleaved with ours): **${lim.toFixed(0)} messages/s** (runs: ${limits.map((l) => l.toFixed(0)).join(', ')}).`,
      '',
      '| Subscribers | messages/s | ratio to the limit | CPU per message | peak RSS | RSS at ¼ / ½ / ¾ / end (MB) | send time |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map((row) => {
        const rate = Number(/RATIO:([\d.]+)/.exec(row)![1]);
        const cells = row.replace(/ \| RATIO:[\d.]+ \|$/, '').split(' | ');
        return `${[...cells.slice(0, 2), `**${((rate / lim) * 100).toFixed(0)} %**`, ...cells.slice(2)].join(' | ')} |`;
      }),
    ];
  } finally {
    sink.kill('SIGTERM');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}
