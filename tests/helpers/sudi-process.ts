/**
 * Runs `bin/sudi.js` as a real child process (what an operator or cron runs), capturing its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const SUDI_BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'sudi.js');

export interface SudiProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnSudi(args: readonly string[], opts: { cwd: string; env: Record<string, string> }): SudiProcess {
  const child = spawn(process.execPath, [SUDI_BIN, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves once the process has written `text` to stdout (an event, whatever the machine's load). */
export function outputOf(p: SudiProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => p.stdout().includes(text) && (p.child.stdout!.off('data', check), resolve());
    p.child.stdout!.on('data', check);
    void p.exited.then(() => reject(new Error(`exited before writing ${JSON.stringify(text)}:\n${p.stdout()}\n${p.stderr()}`)));
    check();
  });
}
