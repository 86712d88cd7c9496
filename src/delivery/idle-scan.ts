/**
 * What the delivery loop does when nothing is claimable: finish the Sends that have nothing left,
 * settle the leases of sending processes on this host that are gone (after kill -9 a rerun need
 * not wait for their leases to expire), and work out when something becomes due next.
 */
import type { Store } from '../store/store.ts';
import { isDeadLocalOwner } from './lease-owner.ts';

/** How often to look again while other senders hold leases on the last rows. */
export const OTHERS_POLL_MS = 1000;

export interface IdleScan {
  /** Leases of dead local senders settled now (their rows are due again at once). */
  settled: number;
  /** When the earliest open row becomes claimable (retry time, pause end, a lease to re-check); null = nothing open. */
  nextWake: number | null;
}

export async function idleScan(store: Store, issueIds: Iterable<string>, owner: string, now: () => Date): Promise<IdleScan> {
  let settled = 0;
  let nextWake: number | null = null;
  const wake = (t: number | null | undefined) => {
    if (t != null) nextWake = nextWake === null ? t : Math.min(nextWake, t);
  };
  for (const issueId of issueIds) {
    const send = await store.finishSendIfDone(issueId, now());
    if (!send || send.finishedAt) continue;
    wake(send.pausedUntil?.getTime());
    for (let after = 0; ; ) {
      const rows = await store.listDeliveries({ issueId, states: ['sending', 'deferred', 'unknown'], afterSubscriberId: after, limit: 1000 });
      if (rows.length === 0) break;
      after = rows.at(-1)!.subscriberId;
      for (const r of rows) {
        if (r.state !== 'sending') wake(r.nextAttemptAt?.getTime());
        else if (r.leaseOwner && isDeadLocalOwner(r.leaseOwner, owner)) {
          // Never handed to SMTP (no Message-ID yet): just due again. Otherwise it may have gone
          // out: unknown, resent once with the same Message-ID.
          const ok = await store.recordOutcome(issueId, r.subscriberId, {
            owner: r.leaseOwner,
            state: r.messageId === null ? 'deferred' : 'unknown',
            response: `outcome unknown: the sending process (${r.leaseOwner}) stopped before recording it`,
            nextAttemptAt: now(),
            now: now(),
          });
          if (ok) settled++;
        } else {
          // Another sender holds it: it records the outcome any moment (look again soon), or its
          // lease expires and the row is taken over.
          wake(Math.min(r.leaseUntil?.getTime() ?? Infinity, now().getTime() + OTHERS_POLL_MS));
        }
      }
    }
  }
  return { settled, nextWake };
}
