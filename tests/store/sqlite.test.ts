/**
 * The Store contract against SQLite: a real database file per test, and a second connection to
 * the same file (as a second process would open) for the races.
 */
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/run-cli.ts';
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

describe('SQLite subscribers table', () => {
  it('stores times as integer milliseconds and refuses unknown statuses and languages', async () => {
    const store = await makeStore();
    const s = await store.insertSubscriber({ email: 'z@example.org', status: 'pending', lang: 'en', source: 'web', now: new Date(1713574800123) });
    await store.close();
    const db = new Database(files.get(store)!);
    try {
      expect(db.prepare('SELECT created_at, typeof(created_at) AS t FROM subscribers WHERE id = ?').get(s.id)).toEqual({ created_at: 1713574800123, t: 'integer' });
      expect(() => db.prepare("UPDATE subscribers SET status = 'gone' WHERE id = ?").run(s.id)).toThrow(/CHECK/);
      expect(() => db.prepare("UPDATE subscribers SET lang = 'fr' WHERE id = ?").run(s.id)).toThrow(/CHECK/);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});
