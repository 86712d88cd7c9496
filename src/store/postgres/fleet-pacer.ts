/**
 * The fleet-wide rate cap (SEND_RATE messages/s) for any number of workers on any machines: the
 * two rules of the per-process pacer (delivery/pacer.ts), kept in PostgreSQL instead of memory.
 *
 * 1. Spacing (virtual scheduling, GCRA): the `send_pacer` row holds the time of the next free start
 *    slot. A worker reserves a short run of slots with one atomic UPDATE that moves the mark by
 *    n × 1000/rate ms; the row lock serialises reservations, so transaction starts across the fleet
 *    are evenly spaced and never overlap. One round trip per run, not per message.
 * 2. A sliding window: `send_permits` holds floor(rate) permits. A worker takes one right before a
 *    transaction starts and gives it back one second after the transaction ended, so at any start
 *    the messages in flight or finished within the last second, fleet-wide, are fewer than rate.
 *    Spacing alone is not enough: a message that travels slower than the next one (a busy worker, a
 *    cold connection) would arrive bunched with it. With the window, any one-second window at the
 *    relay holds at most rate + 1 messages (the argument is in delivery/pacer.ts). Two short
 *    statements per message; a cap is for modest rates, where that costs nothing.
 *
 * All times are the database clock, returned as delays, so clock skew between machines does not
 * matter. A permit held by a worker that died frees itself after HOLD_MS.
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
   * The delivery engine's Pacer interface: resolves when this worker may start its next SMTP
   * transaction (its spacing slot has come and a permit is free), with the function to call when
   * the transaction has ended; null if aborted first.
   */
  take(signal?: AbortSignal): Promise<(() => void) | null>;
}

/** A permit is never held longer than this (the longest an SMTP transaction may take, and then some). */
const HOLD_MS = 300_000;
const DB_NOW = `extract(epoch FROM clock_timestamp()) * 1000`;

export function fleetPacer(db: Queryable, rate: number, clock: () => number = () => performance.now()): FleetPacer {
  if (!(rate > 0)) throw new Error('fleetPacer needs a positive rate');
  const interval = 1000 / rate;
  const permits = Math.max(1, Math.floor(rate));
  const runSize = Math.max(1, Math.min(64, Math.round(rate / 5)));
  const slots: number[] = []; // local-clock times of reserved, unused slots
  let pending: Promise<void> | null = null;
  let permitsReady: Promise<unknown> | null = null;

  async function nextSlot(signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      const now = clock();
      // A slot that passed unused (the worker was idle) is gone: using it late would be a burst.
      while (slots.length > 0 && slots[0]! < now - interval) slots.shift();
      const slot = slots.shift();
      if (slot !== undefined) {
        if (slot > now) await sleep(slot - now, undefined, { signal }).catch(() => {});
        return !signal?.aborted;
      }
      pending ??= pacer
        .reserve(runSize)
        .then((run) => {
          for (let i = 0; i < run.count; i++) slots.push(run.startLocal + i * interval);
        })
        .finally(() => (pending = null));
      await pending;
    }
  }

  /** Takes a free permit (slot number), or tells how long until the next one frees (ms). */
  async function tryPermit(): Promise<{ slot: number } | { waitMs: number }> {
    permitsReady ??= db.query(`INSERT INTO send_permits (slot, free_at) SELECT g, 0 FROM generate_series(0, $1::int - 1) g ON CONFLICT DO NOTHING`, [permits]);
    await permitsReady;
    const r = await db.query<{ slot: number }>(
      `UPDATE send_permits SET free_at = ${DB_NOW} + $2::float8
       WHERE slot = (SELECT slot FROM send_permits WHERE slot < $1 AND free_at <= ${DB_NOW}
                     ORDER BY free_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING slot`,
      [permits, HOLD_MS],
    );
    if (r.rows[0]) return { slot: r.rows[0].slot };
    const w = await db.query<{ wait: number | null }>(`SELECT min(free_at) - ${DB_NOW} AS wait FROM send_permits WHERE slot < $1`, [permits]);
    return { waitMs: Math.max(1, Math.min(1000, w.rows[0]?.wait ?? 1)) };
  }

  const pacer: FleetPacer = {
    rate,
    async take(signal) {
      if (!(await nextSlot(signal))) return null;
      for (;;) {
        if (signal?.aborted) return null;
        const got = await tryPermit();
        if ('slot' in got) {
          let released = false;
          return () => {
            if (released) return;
            released = true;
            // Back in the pool one second after the end; if this fails the permit frees at HOLD_MS.
            void db.query(`UPDATE send_permits SET free_at = ${DB_NOW} + 1000 WHERE slot = $1`, [got.slot]).catch(() => {});
          };
        }
        await sleep(got.waitMs, undefined, { signal }).catch(() => {});
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
