/**
 * A fleet for scale tests: a temp project (small issue files), a PostgreSQL schema with many
 * Subscribers, and real `sudi worker` child processes (`node bin/sudi.js worker`).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Store } from '../../src/store/store.ts';
import { addDays } from '../../src/time.ts';
import { spawnSudi as spawnSudiProcess } from '../helpers/sudi-process.ts';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const SECRET = 'scale-test-secret-0123456789-abcdefghijklmnop';

/** A one-paper ready Issue: small messages keep a 20,000-message run about the ledger, not bytes. */
export async function writeSmallIssue(dir: string, id: string): Promise<void> {
  await mkdir(path.join(dir, 'issues'), { recursive: true });
  const text = `---
title: 每周AI论文速递 (${id})
week:
  start: ${id}
  end: ${addDays(id, 4)}
publish_at: ${addDays(id, 5)}T09:00:00+08:00
status: ready
papers:
  - title:
      en: Pre-training Small Base LMs with Fewer Tokens
      zh: 使用更少的 Token 对小型基础 LMs 进行预训练
    abstract:
      zh: 我们研究了一种简单方法来开发一个小型基础语言模型 (LM),从一个现有的大型基础 LM 开始。
    links:
      code: https://github.com/sanyalsunny111/LLM-Inheritune
---
`;
  await writeFile(path.join(dir, 'issues', `${id}.md`), text);
}

/** n active Subscribers `reader<i>@example.org` in one statement (setup, not the code under test). */
export async function bulkSubscribers(db: pg.Pool | pg.Client, n: number, now = Date.now()): Promise<void> {
  await db.query(
    `INSERT INTO subscribers (email, status, lang, source, created_at, updated_at, confirmed_at)
     SELECT 'reader' || g || '@example.org', 'active', (ARRAY['zh', 'en', 'both'])[1 + g % 3], 'test', $2::bigint, $2::bigint, $2::bigint
     FROM generate_series(1, $1::int) g`,
    [n, now],
  );
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
}

export function spawnSudi(args: string[], opts: { cwd: string; env: Record<string, string> }): WorkerProcess {
  const p = spawnSudiProcess(args, opts);
  return { ...p, pid: p.child.pid!, exited: p.exited.then(({ code, signal }) => code ?? signal ?? -1) };
}

/** Polls the ledger until `n` Deliveries of the Issue are accepted (outcomes recorded, not just sent). */
export async function waitForAccepted(store: Store, issueId: string, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await store.deliveryCounts(issueId);
    if (c.accepted >= n) return;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${n} accepted deliveries of ${issueId}; counts ${JSON.stringify(c)}`);
    await sleep(250);
  }
}

/** SIGTERM every process still running and waits for all of them. */
export async function stopAll(workers: WorkerProcess[]): Promise<(number | string)[]> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  return Promise.all(workers.map((w) => w.exited));
}
