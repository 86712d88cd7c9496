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
  /** Resolves at the time of slot `i` (0-based); at once when its time has passed. */
  waitFor(i: number, signal?: AbortSignal): Promise<void>;
}

export interface FleetPacer {
  readonly rate: number;
  reserve(n: number): Promise<SlotRun>;
}

export function fleetPacer(db: Queryable, rate: number, clock: () => number = () => performance.now()): FleetPacer {
  if (!(rate > 0)) throw new Error('fleetPacer needs a positive rate');
  const interval = 1000 / rate;
  return {
    rate,
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
        async waitFor(i, signal) {
          const delay = start + i * interval - clock();
          if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => {});
        },
      };
    },
  };
}
