/**
 * Web server benchmark (`npm run bench -- http`): requests per second and p99 latency on loopback
 * (autocannon) for GET /feed.xml and GET / (plain, compressed, and a reader's conditional GET that
 * gets a 304) and POST /subscribe, each beside a bare node:http server
 * measured in the same run, alternating, as the ceiling for this machine.
 *
 * Both servers run in their own child process (this file, re-run with SUDI_BENCH_HTTP_CHILD set),
 * so autocannon in this process does not share an event loop with the server it measures.
 * Sudi: the seed issue built into public/, SQLite in a temp dir, outbox transport, the sign-up
 * rate limit raised out of the way.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, get } from 'node:http';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const DURATION_S = 4;
const ROUNDS = 3;
const CONNECTIONS = 32;

interface CannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  '2xx': number;
  '4xx': number;
  '5xx': number;
  errors: number;
  timeouts: number;
}
type Cannon = (opts: Record<string, unknown>) => Promise<CannonResult>;

/**
 * `bare-bytes`: node:http sending the very bytes Sudi sends for the GET rows (the built files and
 * their .br/.gz copies, read once into memory), with none of the headers, lookups or validators.
 * It shows how much of a row's gap to hello-world is the size of the response rather than Sudi.
 */
async function bareBytes(dir: string): Promise<void> {
  const files = new Map<string, Buffer>();
  for (const name of await readdir(path.join(dir, 'public'), { recursive: true })) {
    files.set(`/${name}`, await readFile(path.join(dir, 'public', name)).catch(() => Buffer.alloc(0)));
  }
  const server = createServer((req, res) => {
    req.resume();
    if (req.headers['if-none-match']) {
      res.writeHead(304).end();
      return;
    }
    const p = req.url === '/' ? '/index.html' : req.url!;
    const ae = req.headers['accept-encoding'] ?? '';
    const enc = ae.includes('br') && files.has(`${p}.br`) ? 'br' : ae.includes('gzip') && files.has(`${p}.gz`) ? 'gzip' : null;
    const body = files.get(enc ? `${p}.${enc === 'br' ? 'br' : 'gz'}` : p) ?? Buffer.from('hello world\n');
    res.writeHead(200, enc ? { 'content-type': 'text/plain', 'content-encoding': enc } : { 'content-type': 'text/plain' });
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () => process.send!({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
}

/** The child: `sudi` (the real server), `bare` (node:http hello-world) or `bare-bytes`; prints its URL. */
async function child(kind: string): Promise<void> {
  if (kind === 'bare-bytes') return bareBytes(process.env.SUDI_BENCH_DIR!);
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

async function spawnServer(kind: 'sudi' | 'bare' | 'bare-bytes', dir: string): Promise<{ url: string; proc: ChildProcess }> {
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
  headers?: Record<string, string>;
  /** Send the identity ETag the server gave this path as If-None-Match (a reader polling: 304). */
  conditional?: boolean;
}

const TARGETS: Target[] = [
  { label: 'GET /feed.xml', path: '/feed.xml' },
  { label: 'GET /', path: '/' },
  { label: 'GET /feed.xml, If-None-Match → 304', path: '/feed.xml', conditional: true },
  { label: 'GET /feed.xml, Accept-Encoding: gzip', path: '/feed.xml', headers: { 'accept-encoding': 'gzip' } },
  { label: 'GET /feed.xml, Accept-Encoding: br', path: '/feed.xml', headers: { 'accept-encoding': 'gzip, deflate, br' } },
  { label: 'GET /, Accept-Encoding: br', path: '/', headers: { 'accept-encoding': 'gzip, deflate, br' } },
  { label: 'POST /subscribe, a new address each time (insert + confirmation mail)', path: '/subscribe', post: 'new' },
  { label: 'POST /subscribe, the same address again (no mail)', path: '/subscribe', post: 'same' },
];

/** The ETag a client without Accept-Encoding gets (node:http sends none; fetch would add one). */
function identityEtag(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      res.resume();
      resolve(String(res.headers.etag));
    }).on('error', reject);
  });
}

async function measure(cannon: Cannon, url: string, t: Target, duration = DURATION_S, etag?: string): Promise<CannonResult> {
  let n = 0;
  const run = Math.random().toString(36).slice(2, 8);
  const headers = { ...t.headers, ...(etag ? { 'if-none-match': etag } : {}) };
  const opts: Record<string, unknown> = { url: url + t.path, connections: CONNECTIONS, duration, headers };
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

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
  const bytes = await spawnServer('bare-bytes', dir); // after sudi: public/ is built by then
  const rows: string[] = [];
  try {
    // Warm both (JIT, template caches, the first MJML compile of the confirmation mail).
    const etags = new Map<Target, string>();
    for (const t of TARGETS) {
      if (t.conditional) etags.set(t, await identityEtag(sudi.url + t.path));
      await measure(cannon, sudi.url, t, 1, etags.get(t));
      await measure(cannon, bare.url, t, 1);
    }
    type Round = { s: CannonResult; b: CannonResult; y?: CannonResult };
    for (const t of TARGETS) {
      const rounds: Round[] = [];
      // Paired rounds (bare just before Sudi), so each ratio compares the same moment of a shared machine.
      for (let i = 0; i < ROUNDS; i++) {
        const b = await measure(cannon, bare.url, t);
        const y = t.post ? undefined : await measure(cannon, bytes.url, t, DURATION_S, etags.get(t));
        rounds.push({ b, y, s: await measure(cannon, sudi.url, t, DURATION_S, etags.get(t)) });
      }
      // autocannon counts a 304 as non-2xx; for the conditional row anything but a 3xx is wrong.
      const bad = rounds.reduce((n, { s }) => n + (t.conditional ? s['2xx'] + s['4xx'] + s['5xx'] : s.non2xx) + s.errors + s.timeouts, 0);
      const m = (f: (r: Round) => number) => median(rounds.map(f));
      const sameBytes = t.post ? '–' : `${fmt(m((r) => r.y!.requests.average))} (${m((r) => r.s.requests.average / r.y!.requests.average).toFixed(2)}×)`;
      rows.push(
        `| ${t.label} | ${fmt(m((r) => r.s.requests.average))} | ${m((r) => r.s.latency.p99)} ms | ${fmt(m((r) => r.b.requests.average))} | ${m((r) => r.b.latency.p99)} ms | **${m((r) => r.s.requests.average / r.b.requests.average).toFixed(2)}×** | ${sameBytes} |${bad ? ` ${bad} unexpected statuses/errors` : ''}`,
      );
    }
  } finally {
    await stop(sudi.proc);
    await stop(bare.proc);
    await stop(bytes.proc);
    await rm(dir, { recursive: true, force: true });
  }
  return [
    `autocannon, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_S} s per row after a 1 s warm-up, bare node:http hello-world measured just before Sudi in each round; medians of the rounds (the ratio is the median of each round's ratio).`,
    '',
    'The last column: node:http sending the same bytes (no headers, lookups or validators), and Sudi / that.',
    '',
    '| request | Sudi req/s | Sudi p99 | bare node:http req/s | bare p99 | Sudi / bare | same bytes, bare req/s (Sudi / it) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ];
}

if (process.env.SUDI_BENCH_HTTP_CHILD) await child(process.env.SUDI_BENCH_HTTP_CHILD);
