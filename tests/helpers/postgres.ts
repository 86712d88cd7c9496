/**
 * PostgreSQL for tests: every test run works in its own schema of the CI database
 * (SUDI_TEST_PG_URL, default the local trust-auth server) and drops it afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_PG_URL = process.env.SUDI_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  schema: string;
  /** A DATABASE_URL whose search_path is the schema: what Sudi (and child processes) connect with. */
  url: string;
  drop(): Promise<void>;
}

/** `postgres://…` with `search_path` set to `schema` through the libpq `options` parameter. */
export function urlWithSchema(base: string, schema: string): string {
  const sep = base.includes('?') ? '&' : '?';
  return `${base}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

export async function createTestSchema(prefix = 'sudi_test'): Promise<TestSchema> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  return {
    schema,
    url: urlWithSchema(TEST_PG_URL, schema),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
