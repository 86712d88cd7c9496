/**
 * Start-up (`npm run bench -- startup`): wall-clock time from spawning `node bin/sudi.js …` to its
 * exit, for `sudi --help` and `sudi check` on the seed week (issues/), beside `node -e 0` (the
 * floor: Node itself) measured in the same run, interleaved, with the same Node binary as the bench.
 * `BENCH_STARTUP_RUNS` changes the number of runs per command (default 21).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { median } from './helpers/net.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 21);
const SUDI = path.join(ROOT, 'bin', 'sudi.js');

const COMMANDS: { label: string; args: string[] }[] = [
  { label: '`node -e 0` (baseline)', args: ['-e', '0'] },
  { label: '`sudi --help`', args: [SUDI, '--help'] },
  { label: '`sudi check` (issues/, the seed week)', args: [SUDI, 'check', '--issues', path.join(ROOT, 'issues')] },
];

function once(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

export async function run(): Promise<string[]> {
  const times = COMMANDS.map(() => [] as number[]);
  for (const c of COMMANDS) once(c.args); // warm the file cache
  for (let i = 0; i < RUNS; i++) COMMANDS.forEach((c, j) => times[j]!.push(once(c.args)));
  const base = median(times[0]!);
  return [
    `${os.cpus().length} cores, Node ${process.version}, median of ${RUNS} runs each (interleaved), load average ${os.loadavg()[0]!.toFixed(1)} at the end.`,
    '',
    '| command | median | min | vs `node -e 0` |',
    '|---|---:|---:|---:|',
    ...COMMANDS.map((c, j) => {
      const m = median(times[j]!);
      return `| ${c.label} | ${(m / 1000).toFixed(3)} s | ${(Math.min(...times[j]!) / 1000).toFixed(3)} s | ${(m / base).toFixed(1)}× |`;
    }),
  ];
}
