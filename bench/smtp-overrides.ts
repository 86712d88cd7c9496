/**
 * What each of FastSMTPConnection's overrides of nodemailer's private methods is worth
 * (`npm run bench -- smtp-overrides`): the SMTP pool alone, sending the seed issue's messages
 * (built once by the production message factory) to Postfix's `smtp-sink` on loopback, with
 * nodemailer's own methods only (`none`, the baseline), with each override alone, and with both.
 * Each run is its own process (bench/helpers/smtp-overrides-child.ts), the variants interleaved
 * round by round so they share the machine's load; reported: median messages/s and CPU per message.
 * An override stays only where it is worth at least 15 % of throughput over `none`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.ts';
import { parseConfig } from '../src/config.ts';
import { issueMessages } from '../src/delivery/issue-messages.ts';
import { FastSMTPConnection } from '../src/delivery/smtp-connection.ts';
import { freePort, median, waitForPort } from './helpers/net.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SINK = '/usr/sbin/smtp-sink';
const ISSUE = '2024-04-15';
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const ALL_VARIANTS = ['none', 'stream', 'envelope', 'both'] as const;
// Only the overrides this build has (`_setEnvelope` was dropped with nodemailer 10: see smtp-connection.ts).
const HAS_ENVELOPE = Object.hasOwn(FastSMTPConnection.prototype, '_setEnvelope');
const VARIANTS = ALL_VARIANTS.filter((v) => HAS_ENVELOPE || v === 'none' || v === 'stream');
const LABEL: Record<(typeof ALL_VARIANTS)[number], string> = {
  none: "nodemailer's methods only (baseline)",
  stream: '`_createSendStream` override (native dot-stuffing, corked writev)',
  envelope: '`_setEnvelope` override (pipelined MAIL/RCPT/DATA in one write)',
  both: 'both overrides',
};

/** The seed issue's three messages (zh, en, both) as the production factory builds them. */
async function buildMessages(dir: string): Promise<string[]> {
  const seed = existsSync(path.join(ROOT, 'issues', `${ISSUE}.md`)) ? path.join(ROOT, 'issues') : path.join(ROOT, 'tests', 'fixtures', 'issues');
  const env = { SITE_URL: 'https://news.example.org/', MAIL_FROM: 'Sudi <digest@news.example.org>', SECRET: 'bench-secret-0123456789-abcdefghijklmnop', DATA_DIR: dir, DATABASE_URL: `sqlite:${path.join(dir, 'sudi.db')}` };
  const app = createApp(parseConfig(env, ROOT, { issuesDir: seed }), { now: () => new Date(), log: () => {} });
  const files: string[] = [];
  for (const lang of ['zh', 'en', 'both'] as const) {
    const f = await issueMessages(app).factory(ISSUE, lang);
    const raw = f.build({ subscriberId: 123456, email: 'reader123456@example.org' }, { now: new Date() }).raw as Buffer[];
    const file = path.join(dir, `${lang}.eml`);
    // The chunks as the factory made them (the pool writes them as they are), as bytes + lengths.
    await writeFile(file, Buffer.concat(raw));
    await writeFile(`${file}.chunks`, JSON.stringify(raw.map((b) => b.length)));
    files.push(file);
  }
  await app.close();
  return files;
}

function runVariant(port: number, variant: string, files: string[]): { rate: number; cpuUs: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'helpers', 'smtp-overrides-child.ts'), String(port), String(MESSAGES), variant, ...files], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BENCH_CONNECTIONS: String(CONNECTIONS) },
  });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { accepted: number; ms: number; cpuUs: number };
  if (r.accepted !== MESSAGES) throw new Error(`variant ${variant}: only ${r.accepted} of ${MESSAGES} accepted`);
  return { rate: r.accepted / (r.ms / 1000), cpuUs: r.cpuUs / r.accepted };
}

export async function run(): Promise<string[]> {
  if (!existsSync(SINK)) return [`skipped: ${SINK} is needed (apt-get install postfix, then postfix stop)`];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sudi-bench-overrides-'));
  const port = await freePort();
  const sink: ChildProcess = spawn(SINK, [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
  try {
    await waitForPort(port);
    const files = await buildMessages(dir);
    const results = new Map<string, { rate: number; cpuUs: number }[]>(VARIANTS.map((v) => [v, []]));
    runVariant(port, 'both', files); // warm-up (page cache, smtp-sink)
    for (let round = 0; round < ROUNDS; round++) for (const v of VARIANTS) results.get(v)!.push(runVariant(port, v, files));
    const { version } = (await import('nodemailer/package.json', { with: { type: 'json' } })).default as { version: string };
    const base = median(results.get('none')!.map((r) => r.rate));
    return [
      `${os.cpus().length} cores, Node ${process.version}, nodemailer ${version}; ${CONNECTIONS} SMTP connections, 2 messages in flight per connection; ${MESSAGES.toLocaleString('en')} messages per run (${files.length} messages of the seed issue, cycled); median of ${ROUNDS} interleaved runs; load average at the end ${os.loadavg()[0]!.toFixed(1)}.`,
      '',
      '| variant | messages/s (runs) | vs nodemailer\'s methods | CPU per message |',
      '|---|---:|---:|---:|',
      ...VARIANTS.map((v) => {
        const rs = results.get(v)!;
        const rate = median(rs.map((r) => r.rate));
        return `| ${LABEL[v]} | ${rate.toFixed(0)} (${rs.map((r) => r.rate.toFixed(0)).join(', ')}) | ${v === 'none' ? '1.00×' : `**${(rate / base).toFixed(2)}×**`} | ${median(rs.map((r) => r.cpuUs)).toFixed(0)} µs |`;
      }),
    ];
  } finally {
    sink.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}
