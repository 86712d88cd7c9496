/**
 * Runs the CLI in-process through runCli(argv, deps), capturing stdout/stderr. Real files, real
 * commands; only the process edges (streams, env, clock) are injected.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliCaptured(
  argv: readonly string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; now?: Date } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { TZ: 'Asia/Shanghai', ...opts.env },
    cwd: opts.cwd ?? process.cwd(),
    now: () => opts.now ?? new Date(),
    shutdownSignal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(prefix = 'sudi-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
