/**
 * What the delivery loop does when nothing is claimable: finish the Sends that have nothing left,
 * settle the leases of sending processes on this host that are gone (after kill -9 a rerun need
 * not wait for their leases to expire), and work out when something becomes due next.
 */
import type { LedgerStore } from '../store/store.ts';
import { isDeadLocalOwner } from './lease-owner.ts';

/** How often to look again while other senders hold leases on the last rows. */
export const OTHERS_POLL_MS = 1000;

export interface IdleScan {
  /** Leases of dead local senders settled now (their rows are due again at once). */
  settled: number;
  /**
   * When the earliest open row becomes claimable (its retry time, a lease to re-check, but never
   * before its Send's pause ends); null = nothing open.
   */
  nextWake: number | null;
}

export async function idleScan(store: LedgerStore, issueIds: Iterable<string>, owner: string, now: () => Date): Promise<IdleScan> {
  let settled = 0;
  let nextWake: number | null = null;
  for (const issueId of issueIds) {
    const send = await store.finishSendIfDone(issueId, now());
    if (!send || send.finishedAt) continue;
    // Nothing of a paused Send is claimable before the pause ends, however early its rows are due.
    const pausedUntil = send.pausedUntil?.getTime() ?? -Infinity;
    const wake = (t: number | null | undefined) => {
      if (t == null) return;
      const at = Math.max(t, pausedUntil);
      nextWake = nextWake === null ? at : Math.min(nextWake, at);
    };
    // Rows put back unsent (the relay was down) wait in `queued` for the pause to end.
    if (send.pausedUntil && (await store.listDeliveries({ issueId, states: ['queued'], limit: 1 })).length > 0) wake(pausedUntil);
    for (let after = 0; ; ) {
      const rows = await store.listDeliveries({ issueId, states: ['sending', 'deferred', 'unknown'], afterSubscriberId: after, limit: 1000 });
      if (rows.length === 0) break;
      after = rows.at(-1)!.subscriberId;
      for (const r of rows) {
        if (r.state !== 'sending') wake(r.nextAttemptAt?.getTime());
        else if (r.leaseOwner && isDeadLocalOwner(r.leaseOwner, owner)) {
          // No Message-ID yet: no attempt of it ever reached SMTP, so it is queued again and the
          // claim is not counted. Otherwise it may have gone out: unknown, resent once with the
          // same Message-ID.
          const ok =
            r.messageId === null
              ? await store.releaseDelivery(issueId, r.subscriberId, { owner: r.leaseOwner, state: 'queued', nextAttemptAt: null, now: now() })
              : await store.recordOutcome(issueId, r.subscriberId, {
                  owner: r.leaseOwner,
                  state: 'unknown',
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
