/**
 * Opens the SQLite database file and brings its schema up to date. WAL lets the web server read
 * while a send writes; busy_timeout makes a second process (a CLI `send` beside `serve`) wait for
 * the lock instead of failing at once.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SudiError } from '../../errors.ts';

export type Db = Database.Database;

export const SQLITE_MIGRATIONS_DIR = path.resolve(import.meta.dirname, '..', 'migrations', 'sqlite');

export function openSqlite(file: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file);
  } catch (e) {
    throw new SudiError('E_STORE', `cannot open SQLite database ${file}: ${(e as Error).message}`, { cause: e });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  migrate(db, SQLITE_MIGRATIONS_DIR);
  return db;
}

/**
 * Applies every `NNN-name.sql` in order that is not yet recorded in schema_migrations, each in
 * its own transaction. BEGIN IMMEDIATE so two processes starting at once do not both migrate.
 */
export function migrate(db: Db, dir: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const files = readdirSync(dir).filter((f) => /^\d{3}-[\w-]+\.sql$/.test(f)).sort();
  for (const name of files) {
    const apply = db.transaction(() => {
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE name = ?').get(name)) return;
      db.exec(readFileSync(path.join(dir, name), 'utf8'));
      db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(name, Date.now());
    });
    try {
      apply.immediate();
    } catch (e) {
      throw new SudiError('E_STORE', `migration ${name} failed: ${(e as Error).message}`, { cause: e });
    }
  }
}
