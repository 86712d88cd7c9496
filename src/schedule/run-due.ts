/**
 * One scheduler tick (`sudi run-due`, and each node-cron tick of `sudi serve`):
 *
 * 1. rebuild the Archive and Feeds (a newly due issue appears there as it is mailed);
 * 2. start the Send of every Issue that is ready, due (publish_at ≤ now) and has no Send yet, and
 *    resume every unfinished Send (retries that have come due, a Send interrupted by a crash);
 * 3. deliver them, one Issue after another, and return.
 *
 * Only Issues due within the catch-up window are started: after a long downtime the newest missed
 * issue goes out once, but an archive of old issues imported into a fresh install is never mailed
 * by the scheduler (send one of those by hand with `sudi send ID`). Overlap safety: the ledger's
 * unique Send per Issue (across processes) and the runner's one loop per Issue (in this process).
 */
import type { Config } from '../config.ts';
import { loadValidIssues } from '../content/load-issues.ts';
import type { DeliveryRunner } from '../delivery/runner.ts';
import type { DeliveryReport, RunOptions } from '../delivery/send-issue.ts';
import type { LineLog } from '../log.ts';
import type { Issue } from '../model.ts';
import type { LedgerStore } from '../store/store.ts';
import { buildAndWrite } from '../publish.ts';
import { notifyHub, type HubReport } from '../websub/notify.ts';

/** How far back a due, never-sent Issue is still sent by the scheduler. */
export const CATCH_UP_MS = 7 * 24 * 3_600_000;

export interface RunDueReport {
  /** What the rebuild published (null when skipped or unavailable). */
  built: { files: number; published: number } | null;
  /** Sends created by this tick. */
  started: string[];
  /** Unfinished Sends this tick worked on (created now or resumed). */
  delivered: { issueId: string; report: DeliveryReport }[];
  /** Ready and due, never sent, but older than the catch-up window: left for a person to decide. */
  skippedOld: string[];
  /** Ready but not yet due. */
  notDue: string[];
  /** With WEBSUB_HUB: this tick's pings of changed (and still pending) Feeds. */
  websub: HubReport | null;
}

export interface RunDueOptions {
  signal?: AbortSignal;
  /** Rebuild public/ first (default true). */
  build?: boolean;
  /** Passed to the delivery engine (e.g. retryWaitMs, policy). */
  delivery?: Omit<RunOptions, 'issueId' | 'signal'>;
}

/** What a tick needs, declared here and provided by the composition root (app.ts). */
export interface RunDueDeps {
  /** All of it: the rebuild writes the whole site. */
  config: Config;
  now: () => Date;
  log: LineLog;
  store(): Promise<Pick<LedgerStore, 'listSends'>>;
  /** This process's one delivery runner (one loop per Issue). */
  runner(): Promise<DeliveryRunner>;
}

/** Due and never sent yet: what a tick starts (pure; `sentIds` = Issues that have a Send). */
export function dueIssues(issues: readonly Issue[], sentIds: ReadonlySet<string>, now: Date): { due: Issue[]; skippedOld: Issue[]; notDue: Issue[] } {
  const ready = issues.filter((i) => i.status === 'ready' && !sentIds.has(i.id));
  const at = (i: Issue) => Date.parse(i.publish_at);
  return {
    due: ready.filter((i) => at(i) <= now.getTime() && now.getTime() - at(i) <= CATCH_UP_MS),
    skippedOld: ready.filter((i) => now.getTime() - at(i) > CATCH_UP_MS),
    notDue: ready.filter((i) => at(i) > now.getTime()),
  };
}

export async function runDue(app: RunDueDeps, opts: RunDueOptions = {}): Promise<RunDueReport> {
  const now = app.now();
  const report: RunDueReport = { built: null, started: [], delivered: [], skippedOld: [], notDue: [], websub: null };
  let websub: Promise<HubReport | null>;
  if (opts.build !== false) {
    // The build validates every issue first and changes nothing on failure (then nothing is sent either).
    const b = await buildAndWrite(app.config, now);
    report.built = { files: b.files, published: b.published.length };
    websub = b.websub;
  } else {
    websub = notifyHub(app.config).catch(() => null); // retries what an earlier tick could not ping
  }
  try {
    await deliverDue(app, opts, now, report);
  } finally {
    // Pings run beside the sends and are only collected here: a slow or dead hub delays no mail.
    report.websub = await websub;
  }
  return report;
}

async function deliverDue(app: RunDueDeps, opts: RunDueOptions, now: Date, report: RunDueReport): Promise<void> {
  const issues = await loadValidIssues(app.config.issuesDir);
  const store = await app.store();
  const sends = await store.listSends();
  const { due, skippedOld, notDue } = dueIssues(issues, new Set(sends.map((s) => s.issueId)), now);
  report.skippedOld = skippedOld.map((i) => i.id);
  report.notDue = notDue.map((i) => i.id);
  for (const i of skippedOld) {
    app.log(`issue ${i.id} is ready and was due at ${i.publish_at} but never sent; older than the catch-up window, so not sent automatically (send it by hand: sudi send ${i.id})`);
  }

  // New Sends first (oldest Issue first), then every other unfinished one.
  const byId = new Map(issues.map((i) => [i.id, i]));
  const unfinished = sends.filter((s) => !s.finishedAt).map((s) => s.issueId);
  const work = [...due.map((i) => i.id), ...unfinished.filter((id) => !due.some((i) => i.id === id))];
  const runner = await app.runner();
  for (const issueId of work) {
    if (opts.signal?.aborted) break;
    const issue = byId.get(issueId);
    if (!issue) {
      app.log(`send of ${issueId} is unfinished but its issue file is gone from ${app.config.issuesDir}; left as it is`);
      continue;
    }
    if (issue.status !== 'ready') {
      app.log(`send of ${issueId} is unfinished but ${issue.source} is now a draft; not resumed until it is ready again`);
      continue;
    }
    const started = await runner.start(issue, 'schedule', opts.delivery);
    if (started.alreadyRunning) {
      app.log(`send of ${issueId} is already being delivered by this process; not starting another`);
      continue;
    }
    if (started.created) report.started.push(issueId);
    // A stop (SIGTERM) aborts the runner's loops; this tick then ends with what was done.
    const onAbort = () => void runner.stop();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      report.delivered.push({ issueId, report: await started.done });
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }
}
