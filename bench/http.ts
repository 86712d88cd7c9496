/**
 * Web server benchmark (`npm run bench -- http`): requests per second and p99 latency on loopback
 * (autocannon) for GET /feed.xml, GET / and POST /subscribe, each beside a bare node:http server
 * measured in the same run, alternating, as the ceiling for this machine.
 *
 * Both servers run in their own child process (this file, re-run with SUDI_BENCH_HTTP_CHILD set),
 * so autocannon in this process does not share an event loop with the server it measures.
 * Sudi: the seed issue built into public/, SQLite in a temp dir, outbox transport, the sign-up
 * rate limit raised out of the way.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const DURATION_S = 6;
const CONNECTIONS = 32;

interface CannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Cannon = (opts: Record<string, unknown>) => Promise<CannonResult>;

/** The child: `sudi` (the real server) or `bare` (node:http hello-world); prints its URL. */
async function child(kind: string): Promise<void> {
  if (kind === 'bare') {
    const server = createServer((req, res) => {
      // Drain the body (for the POST row) before answering, as any real server must.
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('hello world\n');
      });
    });
    server.listen(0, '127.0.0.1', () => process.send!({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
    return;
  }
  const dir = process.env.SUDI_BENCH_DIR!;
  const { parseConfig } = await import('../src/config.ts');
  const { createApp } = await import('../src/app.ts');
  const { startServer } = await import('../src/http/server.ts');
  const { buildAndWrite } = await import('../src/publish.ts');
  const config = parseConfig({ PORT: '0', SECRET: 'bench-secret-0123456789abcdefghijklmnop', SUBSCRIBE_RATE_LIMIT: '1000000', TZ: 'Asia/Shanghai' }, dir);
  const app = createApp(config, { now: () => new Date(), log: (l) => console.error(l) });
  await buildAndWrite(config, new Date());
  const server = await startServer(app, {});
  process.send!({ url: server.url });
}

async function spawnServer(kind: 'sudi' | 'bare', dir: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = fork(path.join(import.meta.dirname, 'http.ts'), [], {
    execArgv: [],
    env: { ...process.env, SUDI_BENCH_HTTP_CHILD: kind, SUDI_BENCH_DIR: dir },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('message', (m) => resolve((m as { url: string }).url));
    proc.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { url, proc };
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

interface Target {
  label: string;
  path: string;
  post?: 'new' | 'same';
}

const TARGETS: Target[] = [
  { label: 'GET /feed.xml', path: '/feed.xml' },
  { label: 'GET /', path: '/' },
  { label: 'POST /subscribe, a new address each time (insert + confirmation mail)', path: '/subscribe', post: 'new' },
  { label: 'POST /subscribe, the same address again (no mail)', path: '/subscribe', post: 'same' },
];

async function measure(cannon: Cannon, url: string, t: Target, duration = DURATION_S): Promise<CannonResult> {
  let n = 0;
  const run = Math.random().toString(36).slice(2, 8);
  const opts: Record<string, unknown> = { url: url + t.path, connections: CONNECTIONS, duration };
  if (t.post) {
    opts.method = 'POST';
    opts.headers = { 'content-type': 'application/x-www-form-urlencoded' };
    opts.requests = [
      {
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          body: `email=${t.post === 'new' ? `bench-${run}-${n++}` : 'bench-same'}%40example.org&lang=both`,
        }),
      },
    ];
  }
  return cannon(opts);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function run(): Promise<string[]> {
  // autocannon ships no types (a specifier typed as a plain string keeps tsc from asking for them):
  // its module is narrowed to the default export's fields reported here.
  const specifier: string = 'autocannon';
  const { default: cannon } = (await import(specifier)) as { default: Cannon };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sudi-bench-http-'));
  const seedIssues = (await readdir(path.join(ROOT, 'issues')).catch(() => [] as string[])).some((n) => n.endsWith('.md'))
    ? path.join(ROOT, 'issues')
    : path.join(ROOT, 'tests', 'fixtures', 'issues');
  await cp(seedIssues, path.join(dir, 'issues'), { recursive: true });
  const sudi = await spawnServer('sudi', dir);
  const bare = await spawnServer('bare', dir);
  const rows: string[] = [];
  try {
    // Warm both (JIT, template caches, the first MJML compile of the confirmation mail).
    for (const t of TARGETS) {
      await measure(cannon, sudi.url, t, 1);
      await measure(cannon, bare.url, t, 1);
    }
    for (const t of TARGETS) {
      const b = await measure(cannon, bare.url, t);
      const s = await measure(cannon, sudi.url, t);
      const bad = s.non2xx + s.errors + s.timeouts;
      rows.push(
        `| ${t.label} | ${fmt(s.requests.average)} | ${s.latency.p99} ms | ${fmt(b.requests.average)} | ${b.latency.p99} ms | ${(s.requests.average / b.requests.average).toFixed(2)}× |${bad ? ` ${bad} non-2xx/errors` : ''}`,
      );
    }
  } finally {
    await stop(sudi.proc);
    await stop(bare.proc);
    await rm(dir, { recursive: true, force: true });
  }
  return [
    `autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per row after a 1 s warm-up; bare node:http hello-world measured just before each Sudi row.`,
    '',
    '| request | Sudi req/s | Sudi p99 | bare node:http req/s | bare p99 | Sudi / bare |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
  ];
}

if (process.env.SUDI_BENCH_HTTP_CHILD) await child(process.env.SUDI_BENCH_HTTP_CHILD);
