/**
 * The SQLite Store on the delivery path (`npm run bench -- store`), in-process, through the Store
 * interface only: what `sudi send` asks of the ledger per message (claim in batches of 16, record
 * the Message-ID, record the outcome), plus adding Subscribers one by one and a Send's snapshot.
 * No SMTP: this isolates the database work that bench/delivery.ts measures inside a whole send.
 * Baseline in the same run: a bare prepared `UPDATE` of one row on the same database file,
 * autocommitted (the floor for any one-statement commit). `BENCH_STORE_N` changes the 20,000.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { openSqlite } from '../src/store/sqlite/db.ts';
import { median } from './helpers/net.ts';

const N = Number(process.env.BENCH_STORE_N ?? 20_000);
const BATCH = 16;
const ISSUE = '2024-04-15';
const LANGS = ['zh', 'en', 'both'] as const;
const ROUNDS = 5;

/** µs per item for each chunk of `chunk` items, so the median ignores a GC pause or a neighbour's burst. */
async function perItem(count: number, chunk: number, step: (i: number) => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; ) {
    const t = performance.now();
    let done = 0;
    while (done < chunk && i < count) {
      const n = await step(i);
      done += n;
      i += n;
      if (n === 0) return out;
    }
    out.push(((performance.now() - t) * 1000) / done);
  }
  return out;
}

async function round(dir: string, r: number) {
  const file = path.join(dir, `round-${r}.db`);
  const store = openSqliteStore(file);
  const t0 = new Date();
  const inserts = await perItem(N, 1000, async (i) => {
    await store.insertSubscriber({ email: `reader${i}@example.org`, status: 'active', lang: LANGS[i % 3]!, source: 'bench', now: t0 });
    return 1;
  });
  const s = performance.now();
  await store.startSend(ISSUE, { trigger: 'cli', now: new Date() });
  const snapshot = performance.now() - s;
  let claimUs = 0;
  const deliveries = await perItem(N, 1000, async () => {
    const c = performance.now();
    const batch = await store.claimDeliveries({ issueId: ISSUE, owner: 'bench', now: new Date(), leaseMs: 60_000, limit: BATCH });
    claimUs += (performance.now() - c) * 1000;
    for (const d of batch) {
      await store.setMessageId(ISSUE, d.subscriberId, `<${d.subscriberId}.bench@news.example.org>`);
      await store.recordOutcome(ISSUE, d.subscriberId, { owner: 'bench', state: 'accepted', code: 250, response: '250 2.0.0 Ok', now: new Date() });
    }
    return batch.length;
  });
  const finished = await store.finishSendIfDone(ISSUE, new Date());
  if (!finished?.finishedAt) throw new Error('the send did not finish: a Delivery was lost');
  await store.close();

  // Baseline: the cheapest commit on this file, through the same driver.
  const db = openSqlite(file);
  const bare = db.prepare('UPDATE sends SET total = total WHERE issue_id = ?');
  const baseline = await perItem(N, 1000, async () => {
    bare.run(ISSUE);
    return 1;
  });
  db.close();
  return { insert: median(inserts), delivery: median(deliveries), claimPerDelivery: claimUs / N, snapshot, baseline: median(baseline) };
}

export async function run(): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sudi-bench-store-'));
  try {
    const rounds: Awaited<ReturnType<typeof round>>[] = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await round(dir, r));
    const m = (k: keyof (typeof rounds)[number]) => median(rounds.map((x) => x[k]));
    return [
      `${os.cpus().length} cores, Node ${process.version}, ${N.toLocaleString('en')} Subscribers, median of ${ROUNDS} rounds (each: a fresh database file, medians over chunks of 1,000).`,
      '',
      '| what | per item | vs baseline |',
      '|---|---:|---:|',
      `| baseline: one-row \`UPDATE\`, autocommitted | ${m('baseline').toFixed(1)} µs | 1.0× |`,
      `| \`insertSubscriber\` (one commit each) | ${m('insert').toFixed(1)} µs | ${(m('insert') / m('baseline')).toFixed(1)}× |`,
      `| one Delivery: its share of a claim of ${BATCH} + \`setMessageId\` + \`recordOutcome\` | ${m('delivery').toFixed(1)} µs | ${(m('delivery') / m('baseline')).toFixed(1)}× |`,
      `| of which the claim | ${m('claimPerDelivery').toFixed(1)} µs | ${(m('claimPerDelivery') / m('baseline')).toFixed(1)}× |`,
      `| \`startSend\` snapshot of ${N.toLocaleString('en')} (whole) | ${m('snapshot').toFixed(0)} ms | |`,
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
