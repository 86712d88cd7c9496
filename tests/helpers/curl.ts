/**
 * Debian curl as a test client: the status, the headers as sent (repeated ones joined with ", ")
 * and the body as received (still compressed unless `--compressed` is among the arguments).
 */
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CurlResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

export async function curl(url: string, args: readonly string[] = []): Promise<CurlResponse> {
  const bodyFile = path.join(os.tmpdir(), `sudi-curl-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    const { stdout } = await run('curl', ['-sS', '-D', '-', '-o', bodyFile, ...args, url], { encoding: 'utf8' });
    const lines = stdout.trim().split(/\r?\n/);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const k = l.slice(0, l.indexOf(':')).toLowerCase();
      const v = l.slice(l.indexOf(':') + 1).trim();
      headers.set(k, headers.has(k) ? `${headers.get(k)}, ${v}` : v);
    }
    return { status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0]!)![1]), headers, body: await readFile(bodyFile).catch(() => Buffer.alloc(0)) };
  } finally {
    await rm(bodyFile, { force: true });
  }
}
