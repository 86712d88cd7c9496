/**
 * The Store contract against SQLite: a real database file per test, and a second connection to
 * the same file (as a second process would open) for the races.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { openSqlite, transaction } from '../../src/store/sqlite/db.ts';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { consoleStoreContract } from './contract-console.ts';
import { subscriberStoreContract } from './contract-subscribers.ts';

const cleanups: (() => Promise<void>)[] = [];
const files = new WeakMap<Store, string>();

async function makeStore(): Promise<Store> {
  const t = await tempDir('sudi-subs-');
  cleanups.push(t.cleanup);
  const file = `${t.dir}/data/sudi.db`;
  const store = openSqliteStore(file);
  files.set(store, file);
  return store;
}

afterAll(async () => {
  for (const c of cleanups) await c();
});

subscriberStoreContract(makeStore, { openSecond: async (first) => openSqliteStore(files.get(first)!) });
consoleStoreContract(makeStore);

describe('SQLite subscribers table', () => {
  it('stores times as integer milliseconds and refuses unknown statuses and languages', async () => {
    const store = await makeStore();
    const s = await store.insertSubscriber({ email: 'z@example.org', status: 'pending', lang: 'en', source: 'web', now: new Date(1713574800123) });
    await store.close();
    const db = new DatabaseSync(files.get(store)!);
    try {
      expect(db.prepare('SELECT created_at, typeof(created_at) AS t FROM subscribers WHERE id = ?').get(s.id)).toEqual({ created_at: 1713574800123, t: 'integer' });
      expect(() => db.prepare("UPDATE subscribers SET status = 'gone' WHERE id = ?").run(s.id)).toThrow(/CHECK/);
      expect(() => db.prepare("UPDATE subscribers SET lang = 'fr' WHERE id = ?").run(s.id)).toThrow(/CHECK/);
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      db.close();
    }
  });
});

describe('transaction(db, fn)', () => {
  async function db() {
    const t = await tempDir('sudi-tx-');
    cleanups.push(t.cleanup);
    const d = openSqlite(`${t.dir}/tx.db`);
    d.exec('CREATE TABLE t (n INTEGER NOT NULL)');
    return d;
  }
  const count = (d: Awaited<ReturnType<typeof db>>) => d.prepare<[], { c: number }>('SELECT count(*) AS c FROM t').get()!.c;

  it('commits what fn wrote and returns its result', async () => {
    const d = await db();
    const insert = d.prepare<[number]>('INSERT INTO t (n) VALUES (?)');
    expect(transaction(d, () => (insert.run(1), insert.run(2), 'done'))).toBe('done');
    expect(d.isTransaction).toBe(false);
    expect(count(d)).toBe(2);
    d.close();
  });

  it('rolls back everything fn wrote when it throws, and rethrows', async () => {
    const d = await db();
    const insert = d.prepare<[number | null]>('INSERT INTO t (n) VALUES (?)');
    expect(() => transaction(d, () => (insert.run(1), insert.run(null)))).toThrow(/NOT NULL/);
    expect(d.isTransaction).toBe(false);
    expect(count(d)).toBe(0);
    d.close();
  });

  it('refuses an async fn: its awaits would run after the commit', async () => {
    const d = await db();
    expect(() => transaction(d, async () => d.exec('INSERT INTO t (n) VALUES (1)'))).toThrow(/synchronous/);
    expect(count(d)).toBe(0);
    d.close();
  });

  it('holds the write lock from BEGIN: a second connection cannot write until the commit', async () => {
    const d = await db();
    const file = (d.prepare<[], { file: string }>('PRAGMA database_list').get())!.file;
    const other = new DatabaseSync(file, { timeout: 0 });
    transaction(d, () => {
      expect(() => other.exec('INSERT INTO t (n) VALUES (9)')).toThrow(/locked/);
    });
    other.exec('INSERT INTO t (n) VALUES (9)');
    expect(count(d)).toBe(1);
    other.close();
    d.close();
  });
});
