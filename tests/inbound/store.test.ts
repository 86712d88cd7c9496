/** The InboundStore contract against a real SQLite file and a real PostgreSQL schema. */
import { afterAll, describe } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import { createTestSchema, type TestSchema } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { inboundStoreContract } from './contract-store.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('SQLite', () => {
  inboundStoreContract(async () => {
    const t = await tempDir('sudi-inbound-');
    cleanups.push(t.cleanup);
    return openSqliteStore(`${t.dir}/data/sudi.db`);
  });
});

describe('PostgreSQL', () => {
  inboundStoreContract(async () => {
    const schema: TestSchema = await createTestSchema('sudi_inbound');
    cleanups.push(schema.drop);
    return openPostgresStore(schema.url);
  });
});
