/**
 * Copies a SQLite Store into a PostgreSQL one (`sudi migrate-store`): every table of the SQLite
 * schema (subscribers, sends, deliveries, …) row for row with ids, states and timestamps unchanged,
 * in one PostgreSQL transaction: the target ends up with all of it or none of it.
 *
 * Tables and columns are read from the two schemas rather than listed here, so a migration added
 * later is copied too; a column the target lacks stops the copy instead of being dropped silently.
 */
import { existsSync } from 'node:fs';
import { SudiError } from '../errors.ts';
import { openPostgres, redactUrl, tx, type Client } from './postgres/db.ts';
import { openSqlite, type Db } from './sqlite/db.ts';

export interface CopyReport {
  tables: { name: string; rows: number }[];
}

const CHUNK = 1000;

/** SQLite tables in an order where every table comes after the tables its foreign keys point to. */
function tablesInOrder(db: Db): string[] {
  const names = db
    .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`)
    .all()
    .map((r) => r.name);
  const deps = new Map(names.map((n) => [n, db.prepare<[], { table: string }>(`SELECT "table" FROM pragma_foreign_key_list('${n}')`).all().map((r) => r.table)]));
  const out: string[] = [];
  const visit = (n: string, seen: Set<string>) => {
    if (out.includes(n) || seen.has(n)) return;
    seen.add(n);
    for (const d of deps.get(n) ?? []) if (d !== n) visit(d, seen);
    out.push(n);
  };
  for (const n of names) visit(n, new Set());
  return out;
}

async function targetColumns(c: Client, table: string): Promise<Set<string>> {
  const r = await c.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  );
  return new Set(r.rows.map((x) => x.column_name));
}

export async function copySqliteToPostgres(sqlitePath: string, postgresUrl: string, opts: { force: boolean }): Promise<CopyReport> {
  // Opening a missing file would create an empty database and "copy" nothing.
  if (!existsSync(sqlitePath)) throw new SudiError('E_NOT_FOUND', `no SQLite database at ${sqlitePath} (expected --from sqlite:PATH to an existing file)`);
  const src = openSqlite(sqlitePath);
  const pool = await openPostgres(postgresUrl, 2);
  try {
    const tables = tablesInOrder(src);
    return await tx(pool, async (c) => {
      for (const t of tables) {
        const cols = await targetColumns(c, t);
        if (cols.size === 0) throw new SudiError('E_STORE', `the target ${redactUrl(postgresUrl)} has no table ${t}: run a Sudi version whose migrations match the source`);
        const missing = (src.prepare(`SELECT name FROM pragma_table_info('${t}')`).all() as { name: string }[]).map((r) => r.name).filter((n) => !cols.has(n));
        if (missing.length > 0) throw new SudiError('E_STORE', `the target table ${t} lacks column(s) ${missing.join(', ')}: nothing was copied`);
      }
      const nonEmpty: string[] = [];
      for (const t of tables) if ((await c.query(`SELECT 1 FROM ${t} LIMIT 1`)).rowCount) nonEmpty.push(t);
      if (nonEmpty.length > 0) {
        if (!opts.force) {
          throw new SudiError('E_CONFLICT', `the target ${redactUrl(postgresUrl)} already holds data (${nonEmpty.join(', ')}); nothing was copied`, {
            problems: ['run again with --force to replace everything in the target with the source'],
          });
        }
        await c.query(`TRUNCATE ${tables.join(', ')} CASCADE`);
      }
      const report: CopyReport = { tables: [] };
      for (const t of tables) {
        const cols = (src.prepare(`SELECT name FROM pragma_table_info('${t}')`).all() as { name: string }[]).map((r) => `"${r.name}"`).join(', ');
        let rows = 0;
        let chunk: unknown[] = [];
        // json_populate_recordset maps each object onto the target row type by column name, so
        // the values land in their declared types (BIGINT times, INTEGER codes) in one statement.
        const flush = async () => {
          if (chunk.length === 0) return;
          try {
            await c.query(`INSERT INTO ${t} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${t}, $1::json)`, [JSON.stringify(chunk)]);
          } catch (e) {
            throw new SudiError('E_STORE', `copying table ${t} failed after ${rows} row(s): ${(e as Error).message}; nothing was copied`, { cause: e });
          }
          rows += chunk.length;
          chunk = [];
        };
        for (const row of src.prepare(`SELECT * FROM ${t}`).iterate()) {
          chunk.push(row);
          if (chunk.length >= CHUNK) await flush();
        }
        await flush();
        report.tables.push({ name: t, rows });
      }
      await resetIdentities(c, sqliteSequences(src));
      // Statistics for the planner right away (see startSend in postgres/ledger.ts).
      for (const t of tables) await c.query(`ANALYZE ${t}`);
      return report;
    });
  } finally {
    src.close();
    await pool.end();
  }
}

/**
 * The highest id SQLite's AUTOINCREMENT ever handed out per table, deleted rows included: an id is
 * never given to a second person, which matters because Deliveries keep the ids of deleted ones.
 */
function sqliteSequences(db: Db): Map<string, number> {
  const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`).get();
  if (!has) return new Map();
  return new Map(db.prepare<[], { name: string; seq: number }>('SELECT name, seq FROM sqlite_sequence').all().map((r) => [r.name, r.seq]));
}

/** Copied ids were given explicitly: move each identity sequence past every id ever used. */
async function resetIdentities(c: Client, used: Map<string, number>): Promise<void> {
  const r = await c.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'`,
  );
  for (const { table_name: t, column_name: col } of r.rows) {
    await c.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(COALESCE((SELECT max(${col}) FROM ${t}), 0), $3) + 1, false)`,
      [t, col, used.get(t) ?? 0],
    );
  }
}
