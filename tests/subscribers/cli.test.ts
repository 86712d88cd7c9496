/**
 * `sudi subscribers …` in-process against a real SQLite file and the outbox, and the CSV round trip.
 */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';

const SECRET = 'cli-test-secret-0123456789abcdefghijklmnop';
let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('sudi-subs-cli-'));
});
afterEach(async () => {
  await cleanup();
});

const run = (args: string[], cwd = dir) => runCliCaptured(['subscribers', ...args], { cwd, env: { SECRET } });
const outbox = async (d = dir) => (await readdir(path.join(d, 'outbox')).catch(() => [] as string[])).filter((n) => n.endsWith('.eml'));
const list = async (d = dir) => (await run(['list'], d)).stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));

describe('sudi subscribers add/remove/list', () => {
  it('add makes a pending Subscriber with a confirmation mail; --confirmed makes an active one with none', async () => {
    const a = await run(['add', ' Ann@Example.ORG ', '--lang', 'en']);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/ann@example\.org: pending \(lang en\); confirmation mail sent via outbox/);
    expect(await outbox()).toHaveLength(1);
    const again = await run(['add', 'ann@example.org']);
    expect(again.stdout).toMatch(/next one is possible 24 h after it/);
    expect(await outbox()).toHaveLength(1);

    const b = await run(['add', 'bob@example.org', '--confirmed']);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/bob@example\.org: active \(lang both\); added/);
    expect(await outbox()).toHaveLength(1);
    // The operator may change an active Subscriber's language.
    expect((await run(['add', 'bob@example.org', '--lang', 'zh'])).stdout).toMatch(/active \(lang zh\); already on the list/);

    const rows = await list();
    expect(rows.map((r) => r.slice(1, 5))).toEqual([
      ['ann@example.org', 'pending', 'en', 'cli'],
      ['bob@example.org', 'active', 'zh', 'cli'],
    ]);
    expect((await run(['list', '--status', 'active'])).stdout).not.toContain('ann@');
  });

  it('refuses a bad address, an unknown language or status, and removing a stranger, with exit 2', async () => {
    const bad = await run(['add', 'not-an-address']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/email "not-an-address" is not an email address \(expected an address like name@example\.org\)/);
    expect((await run(['add', 'x@example.org', '--lang', 'fr'])).code).toBe(2);
    expect((await run(['list', '--status', 'gone'])).code).toBe(2);
    const rm = await run(['remove', 'nobody@example.org']);
    expect(rm.code).toBe(2);
    expect(rm.stderr).toMatch(/no Subscriber nobody@example\.org/);
    expect(await list()).toEqual([]);
  });

  it('remove deletes the row', async () => {
    await run(['add', 'gone@example.org', '--confirmed']);
    const r = await run(['remove', 'GONE@example.org']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('removed gone@example.org (was active)\n');
    expect(await list()).toEqual([]);
  });
});

describe('sudi subscribers import/export', () => {
  const BAD_CSV = [
    'Email,Lang,Note', // 1
    'ann@example.org,en,first', // 2
    'not-an-address,zh,', // 3
    'bob@example.org,,', // 4
    'carol@example.org,fr,', // 5
    '', // 6 (blank: skipped, not an error)
    'ANN@example.org,zh,', // 7 duplicate of line 2
    '"dave@example.org",both,"a, b"', // 8
    `${'x'.repeat(300)}@example.org,en,`, // 9
  ].join('\n');

  it('reports every bad line with its number and imports nothing', async () => {
    await writeFile(path.join(dir, 'list.csv'), BAD_CSV);
    const r = await run(['import', 'list.csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('list.csv: 4 bad line(s); nothing imported');
    expect(r.stderr).toMatch(/list\.csv:3: email "not-an-address" is not an email address/);
    expect(r.stderr).toMatch(/list\.csv:5: lang "fr" is not a language \(expected zh, en or both/);
    expect(r.stderr).toMatch(/list\.csv:7: email ann@example\.org repeats line 2/);
    expect(r.stderr).toMatch(/list\.csv:9: email "x{60}…" is longer than 254 characters/);
    expect(r.stderr).not.toMatch(/list\.csv:(2|4|6|8):/);
    expect(await list()).toEqual([]);
    expect(await outbox()).toHaveLength(0);
  });

  it('--skip-invalid imports the good lines as pending with one confirmation mail each', async () => {
    await writeFile(path.join(dir, 'list.csv'), BAD_CSV);
    const r = await run(['import', 'list.csv', '--skip-invalid']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /imported list\.csv: 3 added \(pending\), 0 with a new language, 0 unchanged, 0 unsubscribed\/suppressed left alone, 4 bad line\(s\) skipped; 3 confirmation mail\(s\) queued, 3 sent via outbox/,
    );
    expect((await list()).map((row) => [row[1], row[2], row[3], row[4]])).toEqual([
      ['ann@example.org', 'pending', 'en', 'import:list.csv'],
      ['bob@example.org', 'pending', 'both', 'import:list.csv'],
      ['dave@example.org', 'pending', 'both', 'import:list.csv'],
    ]);
    expect(await outbox()).toHaveLength(3);
  });

  it('refuses a file without an email column, an unreadable file and broken quoting', async () => {
    await writeFile(path.join(dir, 'noemail.csv'), 'name,lang\nAnn,en\n');
    const a = await run(['import', 'noemail.csv']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/noemail\.csv:1: header: has no email column/);
    expect((await run(['import', 'missing.csv'])).code).toBe(2);
    await writeFile(path.join(dir, 'quote.csv'), 'email\nann@example.org\n"bob@example.org\n');
    const q = await run(['import', 'quote.csv']);
    expect(q.code).toBe(2);
    expect(q.stderr).toMatch(/quote\.csv:\d+: .*[Qq]uote/);
  });

  it('round trip: export → import --confirmed elsewhere → export gives the same addresses and languages; people who left stay out', async () => {
    const rows = ['email,lang', ...Array.from({ length: 2345 }, (_, i) => `p${i}@example.org,${['zh', 'en', 'both'][i % 3]}`)].join('\n');
    await writeFile(path.join(dir, 'people.csv'), rows);
    const imp = await run(['import', 'people.csv', '--confirmed']);
    expect(imp.code).toBe(0);
    expect(await outbox()).toHaveLength(0);
    await run(['remove', 'p5@example.org']);
    await run(['add', 'pending@example.org']);

    const exp = await run(['export']);
    expect(exp.code).toBe(0);
    const records = parse<Record<string, string>>(exp.stdout, { columns: true });
    expect(records).toHaveLength(2345);
    expect(Object.keys(records[0]!)).toEqual(['email', 'lang', 'status', 'source', 'created_at', 'confirmed_at', 'unsubscribed_at', 'suppressed_at']);
    expect(records[0]).toMatchObject({ email: 'p0@example.org', lang: 'zh', status: 'active', source: 'import:people.csv' });
    const active = parse<Record<string, string>>((await run(['export', '--status', 'active'])).stdout, { columns: true });
    expect(active).toHaveLength(2344);

    const other = await tempDir('sudi-subs-cli-b-');
    try {
      await writeFile(path.join(other.dir, 'exported.csv'), (await run(['export', '--status', 'active'])).stdout);
      // An address already on the other list keeps its own language (the Subscriber may have chosen it).
      await run(['add', 'p7@example.org', '--confirmed', '--lang', 'zh'], other.dir);
      const again = await run(['import', 'exported.csv', '--confirmed'], other.dir);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/2343 added \(active\), 0 activated \(were pending\), 0 with a new language, 1 unchanged,/);
      const back = parse<Record<string, string>>((await run(['export'], other.dir)).stdout, { columns: true });
      const pairs = (rs: Record<string, string>[]) => rs.map((r) => `${r.email} ${r.email === 'p7@example.org' ? 'zh' : r.lang}`).sort();
      expect(back.find((r) => r.email === 'p7@example.org')?.lang).toBe('zh');
      expect(pairs(back)).toEqual(pairs(active));
    } finally {
      await other.cleanup();
    }
  });

  it('import --confirmed activates pending addresses and reports exactly what changed', async () => {
    await run(['add', 'pend@example.org', '--lang', 'en']);
    await run(['add', 'act@example.org', '--confirmed', '--lang', 'zh']);
    await writeFile(path.join(dir, 'list.csv'), 'email,lang\npend@example.org,en\nact@example.org,en\nnew@example.org,\n');
    const r = await run(['import', 'list.csv', '--confirmed']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/imported list\.csv: 1 added \(active\), 1 activated \(were pending\), 0 with a new language, 1 unchanged, 0 unsubscribed\/suppressed left alone, 0 bad line\(s\) skipped; 0 confirmation mail\(s\) queued/);
    // An active Subscriber keeps the language they chose; the pending one is now active.
    expect((await list()).map((row) => `${row[1]} ${row[2]} ${row[3]}`)).toEqual(['pend@example.org active en', 'act@example.org active zh', 'new@example.org active both']);
    // Without --confirmed, a pending address whose language changed is reported as such, and stays pending.
    await run(['add', 'p2@example.org', '--lang', 'en']);
    await writeFile(path.join(dir, 'again.csv'), 'email,lang\np2@example.org,zh\n');
    const again = await run(['import', 'again.csv']);
    expect(again.stdout).toMatch(/0 added \(pending\), 1 with a new language, 0 unchanged/);
    expect((await list()).at(-1)!.slice(1, 4)).toEqual(['p2@example.org', 'pending', 'zh']);
  });

  it('import leaves unsubscribed Subscribers alone, even with --confirmed', async () => {
    await run(['add', 'left@example.org', '--confirmed']);
    const { openSqliteStore } = await import('../../src/store/sqlite/index.ts');
    const store = openSqliteStore(path.join(dir, 'data', 'sudi.db'));
    const s = (await store.findSubscriberByEmail('left@example.org'))!;
    await store.setSubscriberStatus(s.id, 'unsubscribed', new Date());
    await store.close();
    await writeFile(path.join(dir, 'old.csv'), 'email\nleft@example.org\nnew@example.org\n');
    const r = await run(['import', 'old.csv', '--confirmed']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/old\.csv:2: left@example\.org is unsubscribed; left as it is/);
    expect((await list()).map((row) => `${row[1]} ${row[2]}`)).toEqual(['left@example.org unsubscribed', 'new@example.org active']);
  });
});
