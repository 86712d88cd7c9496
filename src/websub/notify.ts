/**
 * Publishing's WebSub step: ping the hub once for each pending Feed (the ones a build changed, and
 * any an earlier ping failed for), drop the acknowledged ones from the pending list, keep the rest
 * for the next tick. Never throws: a hub that is down or slow is logged by the caller from the
 * report, and never holds up a Send (run-due awaits it only after delivering).
 */
import type { Config } from '../config.ts';
import { readPending, writePending } from './pending.ts';
import { pingHub, type FetchLike } from './ping.ts';

export interface HubReport {
  hub: string;
  pinged: string[];
  failed: { feed: string; error: string }[];
}

/** Pings at once at most this many; a build that changes many Tag feeds does not open a connection per feed. */
const CONCURRENCY = 4;

export async function notifyHub(config: Pick<Config, 'websubHub' | 'dataDir'>, opts: { fetch?: FetchLike; timeoutMs?: number } = {}): Promise<HubReport | null> {
  const hub = config.websubHub;
  if (!hub) return null;
  const report: HubReport = { hub, pinged: [], failed: [] };
  let feeds: string[];
  try {
    feeds = await readPending(config.dataDir, hub);
  } catch (e) {
    report.failed.push({ feed: '(pending list)', error: (e as Error).message });
    return report;
  }
  const queue = [...feeds];
  const worker = async () => {
    for (let feed = queue.shift(); feed !== undefined; feed = queue.shift()) {
      try {
        await pingHub(hub, feed, opts);
        report.pinged.push(feed);
      } catch (e) {
        const err = e as Error;
        report.failed.push({ feed, error: err.name === 'TimeoutError' ? 'no answer in time' : err.message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, feeds.length) }, worker));
  report.pinged.sort();
  report.failed.sort((a, b) => a.feed.localeCompare(b.feed));
  if (report.pinged.length > 0) {
    try {
      // Re-read: a build in another process may have added feeds meanwhile; only the acknowledged go.
      const done = new Set(report.pinged);
      await writePending(config.dataDir, hub, (await readPending(config.dataDir, hub)).filter((f) => !done.has(f)));
    } catch (e) {
      report.failed.push({ feed: '(pending list)', error: (e as Error).message });
    }
  }
  return report;
}

/** Log lines for a report: one for the pings that went through, one per failure. */
export function describeHubReport(r: HubReport): { level: 'info' | 'warn'; msg: string }[] {
  const lines: { level: 'info' | 'warn'; msg: string }[] = [];
  if (r.pinged.length > 0) lines.push({ level: 'info', msg: `websub: told ${r.hub} about ${r.pinged.length} changed feed(s)` });
  for (const f of r.failed) lines.push({ level: 'warn', msg: `websub: could not tell ${r.hub} about ${f.feed}: ${f.error}; retried on the next tick` });
  return lines;
}
