/**
 * Start-up (`npm run bench -- startup`): wall-clock time from spawning `node bin/sudi.js …` to its
 * exit, for `sudi --help` and `sudi check` on the seed week (issues/), beside `node -e 0` (the
 * floor: Node itself) measured in the same run, interleaved, with the same Node binary as the bench.
 * `BENCH_STARTUP_RUNS` changes the number of runs per command (default 21).
 *
 * Wall time on a shared machine mostly measures the load, so each command is also run through
 * GNU time (`/usr/bin/time`, when installed) for its CPU time (user + system, 10 ms ticks), which
 * other work inflates far less.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from './helpers/net.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 21);
const SUDI = path.join(ROOT, 'bin', 'sudi.js');
const GNU_TIME = '/usr/bin/time';

const COMMANDS: { label: string; args: string[] }[] = [
  { label: '`node -e 0` (baseline)', args: ['-e', '0'] },
  { label: '`sudi --help`', args: [SUDI, '--help'] },
  { label: '`sudi check` (issues/, the seed week)', args: [SUDI, 'check', '--issues', path.join(ROOT, 'issues')] },
];

const ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

function once(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

/** CPU seconds (user + system) of one run, as GNU time reports them on its last line of stderr. */
function cpuOnce(args: string[]): number {
  const r = spawnSync(GNU_TIME, ['-f', '%U %S', process.execPath, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  const [user, system] = r.stderr.toString().trim().split('\n').at(-1)!.split(' ').map(Number);
  return user! + system!;
}

export async function run(): Promise<string[]> {
  const times = COMMANDS.map(() => [] as number[]);
  for (const c of COMMANDS) once(c.args); // warm the file cache
  for (let i = 0; i < RUNS; i++) COMMANDS.forEach((c, j) => times[j]!.push(once(c.args)));
  const cpu = existsSync(GNU_TIME) ? COMMANDS.map(() => [] as number[]) : null;
  for (let i = 0; cpu && i < RUNS; i++) COMMANDS.forEach((c, j) => cpu[j]!.push(cpuOnce(c.args)));
  const base = median(times[0]!);
  const cpuBase = cpu ? median(cpu[0]!) : 0;
  return [
    `${os.cpus().length} cores, Node ${process.version}, median of ${RUNS} runs each (interleaved), load average ${os.loadavg()[0]!.toFixed(1)} at the end.`,
    '',
    `| command | median | min | vs \`node -e 0\` |${cpu ? ' CPU (user + system) | CPU vs `node -e 0` |' : ''}`,
    `|---|---:|---:|---:|${cpu ? '---:|---:|' : ''}`,
    ...COMMANDS.map((c, j) => {
      const m = median(times[j]!);
      const row = `| ${c.label} | ${(m / 1000).toFixed(3)} s | ${(Math.min(...times[j]!) / 1000).toFixed(3)} s | ${(m / base).toFixed(1)}× |`;
      return cpu ? `${row} ${median(cpu[j]!).toFixed(2)} s | ${(median(cpu[j]!) / Math.max(cpuBase, 0.01)).toFixed(1)}× |` : row;
    }),
  ];
}
