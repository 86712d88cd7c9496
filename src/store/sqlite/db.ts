/**
 * Opens the SQLite database file and brings its schema up to date. WAL lets the web server read
 * while a send writes; busy_timeout makes a second process (a CLI `send` beside `serve`) wait for
 * the lock instead of failing at once.
 *
 * The driver is Node's own `node:sqlite` (DatabaseSync): no native module to compile at install.
 * It has no typed statements and no transaction wrapper, so this module adds both: `Db` and
 * `Statement` are typed views of DatabaseSync and StatementSync (the same objects, nothing wraps
 * them at run time), and `transaction(db, fn)` runs `fn` in one BEGIN IMMEDIATE … COMMIT.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementResultingChanges } from 'node:sqlite';
import { SudiError } from '../../errors.ts';

/** A statement's parameters: positional as a tuple, or one object of named (`@name`) ones. */
type Params<P> = P extends unknown[] ? P : [P];

/** A prepared statement whose parameters are `P` and whose rows are `R`. */
export interface Statement<P = unknown[], R = unknown> {
  run(...params: Params<P>): StatementResultingChanges;
  get(...params: Params<P>): R | undefined;
  all(...params: Params<P>): R[];
  iterate(...params: Params<P>): IterableIterator<R>;
}

export interface Db {
  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Statement<P, R>;
  exec(sql: string): void;
  close(): void;
  readonly isTransaction: boolean;
}

/** The extended result code node:sqlite puts in `errcode` when a UNIQUE constraint fails. */
export const SQLITE_CONSTRAINT_UNIQUE = 2067;

export const SQLITE_MIGRATIONS_DIR = path.resolve(import.meta.dirname, '..', 'migrations', 'sqlite');

export function openSqlite(file: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
  } catch (e) {
    throw new SudiError('E_STORE', `cannot open SQLite database ${file}: ${(e as Error).message}`, { cause: e });
  }
  // busy_timeout first: setting WAL takes a lock that another process may hold.
  db.exec('PRAGMA busy_timeout = 10000');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA synchronous = NORMAL');
  // The typed view: StatementSync takes and returns the same values, only untyped.
  const typed = db as unknown as Db;
  migrate(typed, SQLITE_MIGRATIONS_DIR);
  return typed;
}

/**
 * Runs `fn` in one transaction and returns its result; any throw rolls everything back. IMMEDIATE
 * (the default) takes the write lock at BEGIN, so a writer waits (busy_timeout) for another
 * process's write to end instead of failing when its read would turn into a write. `fn` must be
 * synchronous: an await inside would commit before the awaited work ran.
 */
export function transaction<T>(db: Db, fn: () => T, mode: 'deferred' | 'immediate' = 'immediate'): T {
  db.exec(mode === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN');
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError('transaction(db, fn): fn returned a Promise; it must be synchronous');
    db.exec('COMMIT');
    return result;
  } catch (e) {
    // SQLite may have rolled back already (e.g. after SQLITE_FULL); ROLLBACK then would throw.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

/**
 * Applies every `NNN-name.sql` in order that is not yet recorded in schema_migrations, each in
 * its own transaction. BEGIN IMMEDIATE so two processes starting at once do not both migrate.
 */
export function migrate(db: Db, dir: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const files = readdirSync(dir).filter((f) => /^\d{3}-[\w-]+\.sql$/.test(f)).sort();
  const applied = db.prepare<[string]>('SELECT 1 FROM schema_migrations WHERE name = ?');
  const record = db.prepare<[string, number]>('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  for (const name of files) {
    try {
      transaction(db, () => {
        if (applied.get(name)) return;
        db.exec(readFileSync(path.join(dir, name), 'utf8'));
        record.run(name, Date.now());
      });
    } catch (e) {
      throw new SudiError('E_STORE', `migration ${name} failed: ${(e as Error).message}`, { cause: e });
    }
  }
}
