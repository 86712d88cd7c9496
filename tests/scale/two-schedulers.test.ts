/**
 * Two `sudi serve` instances (two Apps, each with its own PostgreSQL pool, site folder and
 * scheduler running the real tick, run-due) against one database; their cron schedules fire at the
 * same moment → one Send, each Subscriber one message, both instances helping to deliver it.
 *
 * Both live in this process, so each gets lease owner ids of its own "host": a sender treats
 * leases of its own host and pid under another id as left by a dead process, which two real
 * instances (two processes, or two machines) never share.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { runDue } from '../../src/schedule/run-due.ts';
import { createScheduler, describeTick, type CronLike } from '../../src/schedule/scheduler.ts';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.ts';
import { createTestSchema, type TestSchema } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { bulkSubscribers, SECRET, writeSmallIssue } from './fleet.ts';
import { startSmtpCounter, type SmtpCounter } from './smtp-counter.ts';

const N = 1500;
// Saturday 2024-04-20 10:00 in Shanghai: an hour after the issue's publish_at.
const NOW = new Date('2024-04-20T02:00:00Z');

let schema: TestSchema;
let store: PostgresStore;
let smtp: SmtpCounter;
let project: { dir: string; cleanup: () => Promise<void> };
const apps: App[] = [];

beforeAll(async () => {
  schema = await createTestSchema();
  store = await openPostgresStore(schema.url);
  smtp = await startSmtpCounter();
  project = await tempDir('sudi-two-serve-');
  await writeSmallIssue(project.dir, '2024-04-15');
  await bulkSubscribers(store.pool, N, NOW.getTime() - 86_400_000);
});

afterAll(async () => {
  for (const a of apps) await a.close();
  await store?.close();
  await smtp?.close();
  await schema?.drop();
  await project?.cleanup();
});

/** node-cron stand-in: remembers the tick function so the test can fire it. */
function manualCron(): CronLike & { fire(): Promise<unknown> } {
  let fn: (() => unknown) | null = null;
  return {
    schedule(_expr, f) {
      fn = f;
      return { stop() {} };
    },
    validate: () => true,
    fire: async () => fn!(),
  };
}

it('both schedules fire at once: one Send, every Subscriber exactly one message', async () => {
  const logs: string[][] = [[], []];
  const crons = [manualCron(), manualCron()];
  const schedulers = [0, 1].map((i) => {
    const config = parseConfig(
      {
        TZ: 'Asia/Shanghai',
        DATABASE_URL: schema.url,
        SMTP_URL: smtp.url,
        SECRET,
        SITE_URL: 'https://news.example.org/',
        SCHEDULE: '0 10 * * 6',
        PUBLIC_DIR: path.join(project.dir, `public-${i}`),
        DATA_DIR: path.join(project.dir, `data-${i}`),
      },
      project.dir,
    );
    const log = (l: string) => logs[i]!.push(l);
    const app = createApp(config, { now: () => NOW, log });
    apps.push(app);
    const owner = `serve-${i}.example.org/1/${i}`;
    // What startAppScheduler builds, with this instance's owner id.
    return createScheduler({
      expression: config.schedule,
      timezone: config.tz,
      log,
      cron: crons[i],
      catchUp: false,
      tick: async (signal) => describeTick(await runDue(app, { signal, delivery: { retryWaitMs: 0, owner } }), log),
    });
  });

  await Promise.all(crons.map((c) => c.fire()));
  await Promise.all(schedulers.map((s) => s.stop()));

  const sends = await store.listSends();
  expect(sends).toHaveLength(1);
  expect(sends[0]).toMatchObject({ issueId: '2024-04-15', trigger: 'schedule', total: N });
  // Exactly one instance created the Send; the other resumed it.
  const started = logs.map((l) => l.some((x) => /schedule: 2024-04-15 \(started\)/.test(x)));
  const resumed = logs.map((l) => l.some((x) => /schedule: 2024-04-15 \(resumed\)/.test(x)));
  expect(started.filter(Boolean), logs.flat().join('\n')).toHaveLength(1);
  expect(resumed.filter(Boolean), logs.flat().join("\n")).toHaveLength(1);

  expect(smtp.arrivals).toHaveLength(N);
  expect(new Set(smtp.arrivals.map((a) => a.to)).size).toBe(N);
  expect(await store.deliveryCounts('2024-04-15')).toMatchObject({ accepted: N, queued: 0, sending: 0 });
  expect((await store.getSend('2024-04-15'))?.finishedAt).not.toBeNull();
});
