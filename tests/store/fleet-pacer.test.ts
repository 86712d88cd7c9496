/**
 * The fleet-wide pacer on a real PostgreSQL: reservations from many pools at once never overlap,
 * so the slots of the whole fleet are spaced by 1000 / SEND_RATE ms.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPool, migrate, POSTGRES_MIGRATIONS_DIR, type Pool } from '../../src/store/postgres/db.ts';
import { fleetPacer } from '../../src/store/postgres/fleet-pacer.ts';
import { createTestSchema, type TestSchema } from '../helpers/postgres.ts';

let schema: TestSchema;
const pools: Pool[] = [];

beforeAll(async () => {
  schema = await createTestSchema();
  for (let i = 0; i < 4; i++) pools.push(createPool(schema.url, 2));
  await migrate(pools[0]!, POSTGRES_MIGRATIONS_DIR);
});
afterAll(async () => {
  for (const p of pools) await p.end();
  await schema.drop();
});

it('concurrent reservations from four workers get disjoint, evenly spaced slot runs', async () => {
  const rate = 200; // 5 ms per slot
  const pacers = pools.map((p) => fleetPacer(p, rate));
  const runs = (await Promise.all(pacers.flatMap((p) => [p.reserve(7), p.reserve(3), p.reserve(11)]))).sort((a, b) => a.dbStartMs - b.dbStartMs);
  const slots = runs.flatMap((r) => Array.from({ length: r.count }, (_, i) => r.dbStartMs + (i * 1000) / rate));
  expect(slots).toHaveLength(4 * 21);
  for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(1000 / rate - 1e-6);
  // Any one-second window of the fleet's slots holds at most rate + 1 of them.
  for (let i = 0; i < slots.length; i++) expect(slots.filter((t) => t >= slots[i]! && t < slots[i]! + 1000).length).toBeLessThanOrEqual(rate + 1);
});

it('a run waits for its slots: the last of 6 slots at 100/s comes no sooner than 50 ms after the first', async () => {
  const pacer = fleetPacer(pools[1]!, 100);
  const run = await pacer.reserve(6);
  await run.waitFor(0);
  expect(performance.now()).toBeGreaterThanOrEqual(run.startLocal - 2);
  await run.waitFor(5);
  expect(performance.now()).toBeGreaterThanOrEqual(run.startLocal + 50 - 2);
});

it('take(): three workers sharing SEND_RATE=50 need at least 59 intervals for 60 messages, whatever their split', async () => {
  const pacers = pools.slice(0, 3).map((p) => fleetPacer(p, 50));
  const times: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    pacers.map(async (p, w) => {
      // Uneven shares: one worker wants half of everything.
      for (let i = 0; i < (w === 0 ? 30 : 15); i++) {
        const done = await p.take();
        expect(done).toBeTypeOf('function');
        times.push(performance.now());
        done!(); // the transaction ended at once
      }
    }),
  );
  expect(times).toHaveLength(60);
  expect(Math.max(...times) - t0).toBeGreaterThanOrEqual(59 * 20 - 5);
  times.sort((a, b) => a - b);
  for (const t of times) expect(times.filter((x) => x >= t && x < t + 1000).length).toBeLessThanOrEqual(53);
  const stopped = new AbortController();
  stopped.abort();
  expect(await pacers[0]!.take(stopped.signal)).toBeNull();
});

it('take(): a message still in flight keeps its permit, and a permit comes back one second after the end', async () => {
  const schema2 = await createTestSchema();
  const pool = createPool(schema2.url, 2);
  try {
    await migrate(pool, POSTGRES_MIGRATIONS_DIR);
    const a = fleetPacer(pool, 3);
    const b = fleetPacer(pool, 3);
    // Three long transactions on two workers hold all three permits.
    const held = [await a.take(), await b.take(), await a.take()];
    let fourth = false;
    const next = b.take().then((done) => ((fourth = true), done));
    await new Promise((r) => setTimeout(r, 1500));
    expect(fourth).toBe(false);
    const ended = performance.now();
    held[0]!();
    const done = await next;
    expect(performance.now() - ended).toBeGreaterThanOrEqual(950);
    for (const d of [...held, done]) d!();
  } finally {
    await pool.end();
    await schema2.drop();
  }
});
