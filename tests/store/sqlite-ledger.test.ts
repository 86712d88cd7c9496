/**
 * The LedgerStore contract against SQLite: a real database file per test, and a second connection
 * to the same file (as a second `sudi send` process would open) for the races.
 */
import { afterAll } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { ledgerStoreContract } from './contract-ledger.ts';

const cleanups: (() => Promise<void>)[] = [];
const files = new WeakMap<Store, string>();

async function makeStore(): Promise<Store> {
  const t = await tempDir('sudi-ledger-');
  cleanups.push(t.cleanup);
  const file = `${t.dir}/sudi.db`;
  const store = openSqliteStore(file);
  files.set(store, file);
  return store;
}

afterAll(async () => {
  for (const c of cleanups) await c();
});

ledgerStoreContract(makeStore, { openSecond: async (first) => openSqliteStore(files.get(first)!) });
