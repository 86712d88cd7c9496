/**
 * The Store contract against PostgreSQL (SUDI_TEST_PG_URL; CI starts the server). Every Store made
 * here lives in its own schema, dropped when the file is done.
 */
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPool, migrate, POSTGRES_MIGRATIONS_DIR } from '../../src/store/postgres/db.ts';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestSchema, type TestSchema } from '../helpers/postgres.ts';
import { ledgerStoreContract } from './contract-ledger.ts';
import { consoleStoreContract } from './contract-console.ts';
import { subscriberStoreContract } from './contract-subscribers.ts';

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

const openSecond = async (first: Store) => openPostgresStore(urls.get(first)!);
subscriberStoreContract(makeStore, { openSecond });
ledgerStoreContract(makeStore, { openSecond });
consoleStoreContract(makeStore);

describe('PostgreSQL schema', () => {
  it('eight processes starting at once on an empty schema: one migrates, all end up with the same tables', async () => {
    const schema = await createTestSchema();
    schemas.push(schema);
    const pools = Array.from({ length: 8 }, () => createPool(schema.url, 1));
    try {
      const applied = await Promise.all(pools.map((p) => migrate(p, POSTGRES_MIGRATIONS_DIR)));
      const nonEmpty = applied.filter((a) => a.length > 0);
      expect(nonEmpty).toHaveLength(1);
      // Every migration file, in order (listed from the folder: adding one does not touch this test).
      expect(nonEmpty[0]).toEqual(readdirSync(POSTGRES_MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort());
      expect(nonEmpty[0]!.slice(0, 4)).toEqual(['001-subscribers.sql', '002-ledger.sql', '003-send-pacer.sql', '004-send-permits.sql']);
    } finally {
      for (const p of pools) await p.end();
    }
  });

  it('stores times as BIGINT milliseconds and refuses unknown statuses and states', async () => {
    const store = await makeStore();
    const s = await store.insertSubscriber({ email: 'z@example.org', status: 'active', lang: 'en', source: 'web', now: new Date(1713574800123) });
    await store.startSend('2024-04-15', { trigger: 'cli', now: new Date(1713574800456) });
    await store.close();
    const c = new pg.Client({ connectionString: urls.get(store)! });
    await c.connect();
    try {
      const r = await c.query(`SELECT created_at::text AS v, pg_typeof(created_at)::text AS t FROM subscribers WHERE id = $1`, [s.id]);
      expect(r.rows[0]).toEqual({ v: '1713574800123', t: 'bigint' });
      await expect(c.query(`UPDATE subscribers SET status = 'gone'`)).rejects.toThrow(/check constraint/);
      await expect(c.query(`UPDATE deliveries SET state = 'delivered'`)).rejects.toThrow(/check constraint/);
      await expect(c.query(`INSERT INTO sends (issue_id, trigger, created_at) VALUES ('2024-04-15', 'cli', 0)`)).rejects.toThrow(/duplicate key/);
    } finally {
      await c.end();
    }
  });
});
