/**
 * The PostgreSQL Store (DATABASE_URL=postgres://…): the same interface as SQLite over a `pg` pool,
 * so any number of processes on any machines share subscribers and the delivery ledger.
 */
import type { Store } from '../store.ts';
import { openPostgres, type Pool } from './db.ts';
import { postgresLedgerStore } from './ledger.ts';
import { postgresSubscriberStore } from './subscribers.ts';

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  /** The pool, for PostgreSQL-only features (the fleet-wide send pacer, migrate-store). */
  readonly pool: Pool;
}

export async function openPostgresStore(url: string): Promise<PostgresStore> {
  const pool = await openPostgres(url);
  let closed = false;
  return {
    kind: 'postgres',
    pool,
    ...postgresSubscriberStore(pool),
    ...postgresLedgerStore(pool),
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
