/**
 * A throwaway Sudi project for delivery tests: a temp folder with issue files (made from the seed
 * fixture), a real SQLite database, the environment a `sudi` process would get, and an App built
 * by the real composition root.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { addDays } from '../../src/time.ts';
import type { Lang } from '../../src/model.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from './run-cli.ts';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'issues', '2024-04-15.md');
export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnop';

export interface DeliveryProject {
  dir: string;
  env: Record<string, string>;
  /** A fresh App on this project (close it when done); `now` defaults to the real clock. */
  app(opts?: { now?: () => Date; env?: Record<string, string>; log?: (line: string) => void }): App;
  /** Adds active Subscribers `${prefix}${i}@example.org`; returns their ids in order. */
  addSubscribers(n: number, opts?: { prefix?: string; lang?: Lang; from?: number }): Promise<number[]>;
  writeIssue(id: string, opts?: { status?: 'draft' | 'ready'; publishAt?: string }): Promise<string>;
  cleanup(): Promise<void>;
}

export async function deliveryProject(opts: { env?: Record<string, string>; issue?: boolean } = {}): Promise<DeliveryProject> {
  const { dir, cleanup } = await tempDir('sudi-delivery-');
  await mkdir(path.join(dir, 'issues'), { recursive: true });
  const env: Record<string, string> = {
    TZ: 'Asia/Shanghai',
    SITE_URL: 'https://news.example.org/',
    MAIL_FROM: 'Sudi <digest@news.example.org>',
    LIST_ID: 'Sudi weekly <weekly.news.example.org>',
    SECRET: TEST_SECRET,
    DATABASE_URL: `sqlite:${path.join(dir, 'data', 'sudi.db')}`,
    DATA_DIR: path.join(dir, 'data'),
    OUTBOX_DIR: path.join(dir, 'outbox'),
    SEND_CONCURRENCY: '4',
    ...opts.env,
  };
  const fixture = await readFile(FIXTURE, 'utf8');
  const apps: App[] = [];

  const project: DeliveryProject = {
    dir,
    env,
    app(o = {}) {
      const config = parseConfig({ ...env, ...o.env }, dir);
      const app = createApp(config, { now: o.now ?? (() => new Date()), log: o.log ?? (() => {}) });
      apps.push(app);
      return app;
    },
    async addSubscribers(n, o = {}) {
      const app = project.app();
      const store = await app.store();
      const ids: number[] = [];
      const langs: Lang[] = ['zh', 'en', 'both'];
      for (let i = o.from ?? 0; i < (o.from ?? 0) + n; i++) {
        const s = await store.insertSubscriber({ email: `${o.prefix ?? 'reader'}${i}@example.org`, status: 'active', lang: o.lang ?? langs[i % 3]!, source: 'test', now: new Date() });
        ids.push(s.id);
      }
      await app.close();
      return ids;
    },
    async writeIssue(id, o = {}) {
      const text = fixture
        .replace(/start: 2024-04-15/, `start: ${id}`)
        .replace(/end: 2024-04-19/, `end: ${addDays(id, 4)}`)
        .replace(/publish_at: .*/, `publish_at: ${o.publishAt ?? `${addDays(id, 5)}T09:00:00+08:00`}`)
        .replace(/status: ready/, `status: ${o.status ?? 'ready'}`);
      const file = path.join(dir, 'issues', `${id}.md`);
      await writeFile(file, text);
      return file;
    },
    async cleanup() {
      for (const a of apps) await a.close().catch(() => {});
      await cleanup();
    },
  };
  if (opts.issue !== false) await project.writeIssue('2024-04-15');
  return project;
}

/**
 * Resolves once the ledger says the Send of `issueId` is finished. Another process records that,
 * so there is no event to listen to here: the ledger is read every 100 ms, up to `timeoutMs`.
 */
export async function sendFinished(store: Store, issueId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await store.getSend(issueId))?.finishedAt) {
    if (Date.now() > deadline) throw new Error(`the Send of ${issueId} did not finish within ${timeoutMs} ms: ${JSON.stringify(await store.deliveryCounts(issueId))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
