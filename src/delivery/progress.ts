/**
 * Live counts per state for one Issue's Send (the progress bar of `sudi send`): moved locally as
 * rows are claimed and outcomes recorded, and re-read from the ledger every few seconds (rows other
 * senders handle, or that a claim suppressed, only show up there).
 */
import type { DeliveryState, Store } from '../store/store.ts';
import type { DeliveryProgress } from './send-issue.ts';

/** Live counts for one Issue: moved locally per outcome, re-read from the ledger now and then. */
export async function progressTracker(store: Store, issueId: string, emit: (p: DeliveryProgress) => void, rate: () => number) {
  let counts = await store.deliveryCounts(issueId);
  let total = (await store.getSend(issueId))?.total ?? 0;
  let lastSync = performance.now();
  const tell = () => emit({ issueId, total, counts: { ...counts }, rate: rate() });
  const resync = async () => {
    lastSync = performance.now();
    counts = await store.deliveryCounts(issueId);
    total = (await store.getSend(issueId))?.total ?? total;
    tell();
  };
  tell();
  return {
    claimed(from: DeliveryState) {
      counts[from] = Math.max(0, counts[from] - 1);
      counts.sending++;
    },
    moved(_from: DeliveryState, to: DeliveryState) {
      counts.sending = Math.max(0, counts.sending - 1);
      counts[to]++;
      if (performance.now() - lastSync > 5000) void resync();
      else tell();
    },
    resync,
  };
}
