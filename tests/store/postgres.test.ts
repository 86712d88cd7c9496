/**
 * The Store contract against PostgreSQL (SUDI_TEST_PG_URL; CI starts the server). Every Store made
 * here lives in its own schema, dropped when the file is done.
 */
import { afterAll } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestSchema, type TestSchema } from '../helpers/postgres.ts';
import { ledgerStoreContract } from './contract-ledger.ts';

const schemas: TestSchema[] = [];
const urls = new WeakMap<Store, string>();

async function makeStore(): Promise<Store> {
  const schema = await createTestSchema();
  schemas.push(schema);
  const store = await openPostgresStore(schema.url);
  urls.set(store, schema.url);
  return store;
}

afterAll(async () => {
  for (const s of schemas) await s.drop();
});

ledgerStoreContract(makeStore, {
  openSecond: async (first) => openPostgresStore(urls.get(first)!),
});
