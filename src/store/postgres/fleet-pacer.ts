/**
 * The fleet-wide rate cap (SEND_RATE messages/s) for any number of workers on any machines.
 *
 * Virtual scheduling (the GCRA idea): the `send_pacer` row holds the database-clock time of the next
 * free send slot. A worker reserves a run of n slots with one atomic UPDATE that moves the mark by
 * n × (1000 / rate) ms; the row lock serialises reservations, so slots never overlap across the
 * fleet and messages leave evenly spaced: any one-second window holds at most rate + 1 slots.
 * Times come from the database clock and return as a delay, so clock skew between machines does not
 * matter. One round trip per batch, not per message.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from './db.ts';

export interface SlotRun {
  /** How many slots were reserved. */
  count: number;
  /** Database-clock time (ms since the epoch) of slot 0; slot i is at dbStartMs + i × 1000 / rate. */
  dbStartMs: number;
  /** The same time on this process's clock (`clock()`). */
  startLocal: number;
  /** Resolves at the time of slot `i` (0-based); at once when its time has passed. */
  waitFor(i: number, signal?: AbortSignal): Promise<void>;
}

export interface FleetPacer {
  readonly rate: number;
  reserve(n: number): Promise<SlotRun>;
  /**
   * The delivery engine's Pacer interface: resolves when this process's next fleet slot comes, with
   * a function to call when the transaction has ended (nothing to do here: the fleet cap spaces
   * transaction starts), or null if aborted first. Slots are reserved a short run at a time (about
   * 200 ms' worth), so a worker never sits for long on slots the rest of the fleet could use.
   */
  take(signal?: AbortSignal): Promise<(() => void) | null>;
}

const NOOP = () => {};

export function fleetPacer(db: Queryable, rate: number, clock: () => number = () => performance.now()): FleetPacer {
  if (!(rate > 0)) throw new Error('fleetPacer needs a positive rate');
  const interval = 1000 / rate;
  const runSize = Math.max(1, Math.min(64, Math.round(rate / 5)));
  const slots: number[] = []; // local-clock times of reserved, unused slots
  let pending: Promise<void> | null = null;
  const pacer: FleetPacer = {
    rate,
    async take(signal) {
      for (;;) {
        if (signal?.aborted) return null;
        const now = clock();
        // A slot that passed unused (the worker was idle) is gone: using it late would be a burst.
        while (slots.length > 0 && slots[0]! < now - interval) slots.shift();
        const slot = slots.shift();
        if (slot !== undefined) {
          if (slot > now) await sleep(slot - now, undefined, { signal }).catch(() => {});
          return signal?.aborted ? null : NOOP;
        }
        pending ??= pacer
          .reserve(runSize)
          .then((run) => {
            for (let i = 0; i < run.count; i++) slots.push(run.startLocal + i * interval);
          })
          .finally(() => (pending = null));
        await pending;
      }
    },
    async reserve(n) {
      const span = n * interval;
      const r = await db.query<{ start_delay: number; db_start: number }>(
        `INSERT INTO send_pacer AS p (id, next_slot_at)
           VALUES (1, extract(epoch FROM statement_timestamp()) * 1000 + $1::float8)
         ON CONFLICT (id) DO UPDATE
           SET next_slot_at = GREATEST(p.next_slot_at, extract(epoch FROM statement_timestamp()) * 1000) + $1::float8
         RETURNING p.next_slot_at - $1::float8 AS db_start,
           p.next_slot_at - $1::float8 - extract(epoch FROM statement_timestamp()) * 1000 AS start_delay`,
        [span],
      );
      const start = clock() + Math.max(0, r.rows[0]!.start_delay);
      return {
        count: n,
        dbStartMs: r.rows[0]!.db_start,
        startLocal: start,
        async waitFor(i, signal) {
          const delay = start + i * interval - clock();
          if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => {});
        },
      };
    },
  };
  return pacer;
}
