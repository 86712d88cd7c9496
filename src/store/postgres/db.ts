/**
 * Opens a PostgreSQL pool and brings the schema up to date. Tables live in the first schema of the
 * connection's search_path (set it with `?options=-c%20search_path%3DNAME` to share a database).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { SudiError } from '../../errors.ts';

export type Pool = pg.Pool;
export type Client = pg.PoolClient;
export type Queryable = Pick<pg.Pool, 'query'>;

export const POSTGRES_MIGRATIONS_DIR = path.resolve(import.meta.dirname, '..', 'migrations', 'postgres');

const INT8_OID = 20;

/**
 * BIGINT comes back from pg as a string (it may exceed 2^53). Our BIGINTs are ids and epoch
 * milliseconds, far below that, so they are parsed as numbers for this pool only (not globally).
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : (pg.types.getTypeParser(oid, format) as (v: string) => unknown)) as typeof pg.types.getTypeParser,
};

export function createPool(url: string, max = 10): Pool {
  const pool = new pg.Pool({ connectionString: url, max, types });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

export const redactUrl = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');

/** Opens the pool and applies the migrations; fails with E_STORE naming the (redacted) URL. */
export async function openPostgres(url: string, max?: number): Promise<Pool> {
  const pool = createPool(url, max);
  try {
    await migrate(pool, POSTGRES_MIGRATIONS_DIR);
  } catch (e) {
    await pool.end().catch(() => {});
    if (e instanceof SudiError) throw e;
    throw new SudiError('E_STORE', `cannot open PostgreSQL database ${redactUrl(url)}: ${(e as Error).message}`, { cause: e });
  }
  return pool;
}

/** Runs `fn` in one transaction on one client; rolls back on any error. */
export async function tx<T>(pool: Pool, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const r = await fn(c);
    await c.query('COMMIT');
    return r;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

/**
 * Applies every `NNN-name.sql` not yet recorded in schema_migrations, all in one transaction (DDL is
 * transactional in PostgreSQL) under a transaction-level advisory lock: when several workers start
 * at once, one migrates and the others wait, then find nothing left to do.
 */
export async function migrate(pool: Pool, dir: string): Promise<string[]> {
  const files = readdirSync(dir).filter((f) => /^\d{3}-[\w-]+\.sql$/.test(f)).sort();
  return tx(pool, async (c) => {
    // Keyed by schema so test runs in separate schemas of one database do not wait for each other.
    await c.query(`SELECT pg_advisory_xact_lock(hashtext('sudi-migrate:' || coalesce(current_schema(), '')))`);
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const done = new Set((await c.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    const applied: string[] = [];
    for (const name of files) {
      if (done.has(name)) continue;
      try {
        await c.query(readFileSync(path.join(dir, name), 'utf8'));
      } catch (e) {
        throw new SudiError('E_STORE', `migration ${name} failed: ${(e as Error).message}`, { cause: e });
      }
      await c.query('INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)', [name, Date.now()]);
      applied.push(name);
    }
    return applied;
  });
}
