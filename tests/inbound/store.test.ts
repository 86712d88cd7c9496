/** The InboundStore contract against a real SQLite file and a real PostgreSQL schema. */
import { afterAll, describe, expect, it } from 'vitest';
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

describe('sudi migrate-store carries the inbound events', () => {
  it('copies them from SQLite to PostgreSQL, and the next event gets a fresh id', async () => {
    const { copySqliteToPostgres } = await import('../../src/store/copy-store.ts');
    const t = await tempDir('sudi-inbound-copy-');
    cleanups.push(t.cleanup);
    const file = `${t.dir}/data/sudi.db`;
    const now = new Date('2024-04-20T01:00:00Z');
    const lite = openSqliteStore(file);
    const s = await lite.insertSubscriber({ email: 'a@example.net', status: 'active', lang: 'en', source: 'test', now });
    for (const fp of ['x', 'y']) await lite.applyInboundEvent({ fingerprint: fp, source: 'file', kind: 'autoreply', subscriberId: s.id, issueId: null, status: null, diagnostic: null, detail: null }, { now, softBounceLimit: 3 });
    await lite.close();
    const schema = await createTestSchema('sudi_inbound_copy');
    cleanups.push(schema.drop);
    const report = await copySqliteToPostgres(file, schema.url, { force: false });
    expect(report.tables).toContainEqual({ name: 'inbound_events', rows: 2 });
    const pgStore = await openPostgresStore(schema.url);
    try {
      const r = await pgStore.applyInboundEvent({ fingerprint: 'z', source: 'file', kind: 'complaint', subscriberId: s.id, issueId: null, status: null, diagnostic: null, detail: null }, { now, softBounceLimit: 3 });
      expect(r.event.id).toBe(3);
      expect((await pgStore.getSubscriber(s.id))!.status).toBe('complained');
    } finally {
      await pgStore.close();
    }
  });
});
