/**
 * The PostgreSQL Store (DATABASE_URL=postgres://…): the same interface as SQLite over a `pg` pool,
 * so any number of processes on any machines share subscribers and the delivery ledger.
 */
import type { Store } from '../store.ts';
import { openPostgres, type Pool } from './db.ts';
import { postgresConfirmationStore } from './confirmations.ts';
import { fleetPacer, type FleetPacer } from './fleet-pacer.ts';
import { postgresConsoleStore } from './console.ts';
import { postgresInboundStore } from './inbound.ts';
import { postgresLedgerStore } from './ledger.ts';
import { postgresSubscriberStore } from './subscribers.ts';

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  /** The pool, for PostgreSQL-only work (benchmarks, tests). */
  readonly pool: Pool;
  sharedPacer(rate: number): FleetPacer;
}

export async function openPostgresStore(url: string): Promise<PostgresStore> {
  const pool = await openPostgres(url);
  let closed = false;
  const pacers = new Map<number, FleetPacer>();
  return {
    kind: 'postgres',
    pool,
    // One per rate and process: runs of this process share its reserved slots.
    sharedPacer(rate) {
      let p = pacers.get(rate);
      if (!p) pacers.set(rate, (p = fleetPacer(pool, rate)));
      return p;
    },
    ...postgresSubscriberStore(pool),
    ...postgresConfirmationStore(pool),
    ...postgresLedgerStore(pool),
    ...postgresInboundStore(pool),
    ...postgresConsoleStore(pool),
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
