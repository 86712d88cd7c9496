/**
 * Live counts per state for one Issue's Send (the progress bar of `sudi send`), read from the
 * ledger once a second and once more at the end. Always the ledger's own counts, never a local
 * tally: rows other senders handle, rows a claim suppressed and rows put back unsent all show as
 * the ledger has them, so the bar's done count is exactly accepted + failed + suppressed + unknown.
 */
import type { DeliveryState, LedgerStore } from '../store/store.ts';

export type StateCounts = Record<DeliveryState, number>;

export interface DeliveryProgress {
  issueId: string;
  total: number;
  counts: StateCounts;
  /** Messages accepted per second in this run so far. */
  rate: number;
}

export const PROGRESS_INTERVAL_MS = 1000;

export async function progressTracker(store: LedgerStore, issueId: string, emit: (p: DeliveryProgress) => void, rate: () => number) {
  let reading: Promise<void> | null = null;
  const read = () =>
    (reading ??= (async () => {
      try {
        const counts = await store.deliveryCounts(issueId);
        const total = (await store.getSend(issueId))?.total ?? Object.values(counts).reduce((a, b) => a + b, 0);
        emit({ issueId, total, counts, rate: rate() });
      } finally {
        reading = null;
      }
    })());
  await read();
  // A timer, not a loop: an idle or paused send costs one small query a second, and nothing when
  // nobody watches (the bar exists on a terminal only).
  const timer = setInterval(() => void read().catch(() => {}), PROGRESS_INTERVAL_MS);
  timer.unref();
  return {
    /** Stops the timer and emits the ledger's final counts. */
    async stop() {
      clearInterval(timer);
      await reading?.catch(() => {});
      await read();
    },
  };
}

/** What the bar shows as done: every Delivery with an outcome that is not waiting for another try. */
export const doneCount = (p: DeliveryProgress) => p.counts.accepted + p.counts.failed + p.counts.suppressed + p.counts.unknown;
