/**
 * The Subscriber half of the PostgreSQL Store. Same semantics as the SQLite one (the contract suite
 * runs against both); race safety comes from single conditional statements, not from locks held
 * across round trips.
 */
import { SudiError } from '../../errors.ts';
import type { SubscriberStore } from '../store.ts';
import type { Pool } from './db.ts';
import { STATUS_TIME_COLUMN, subscriberFromRow, type SubscriberRow } from '../rows.ts';


const UNIQUE_VIOLATION = '23505';

export function postgresSubscriberStore(pool: Pool) {
  const one = async (sql: string, params: unknown[]) => {
    const r = await pool.query<SubscriberRow>(sql, params);
    return r.rows[0] ? subscriberFromRow(r.rows[0]) : null;
  };
  const get = async (id: number) => {
    const r = await pool.query<SubscriberRow>({ name: 'sudi-subscriber-by-id', text: 'SELECT * FROM subscribers WHERE id = $1', values: [id] });
    return r.rows[0] ? subscriberFromRow(r.rows[0]) : null;
  };

  const store = {
    findSubscriberByEmail: (email) => one('SELECT * FROM subscribers WHERE email = $1', [email]),
    getSubscriber: get,
    async insertSubscriber(s) {
      const now = s.now.getTime();
      try {
        // One statement, so one transaction: the Subscriber, and with a confirmation its slot and queued mail.
        const r = await one(
          `WITH s AS (
             INSERT INTO subscribers (email, status, lang, source, created_at, updated_at, confirmed_at, confirmation_sent_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7) RETURNING *),
           q AS (
             INSERT INTO confirmation_mails (subscriber_id, issued_at, message_id, attempts, next_attempt_at)
             SELECT id, $5, $8::text, 0, $5 FROM s WHERE $8::text IS NOT NULL)
           SELECT * FROM s`,
          [s.email, s.status, s.lang, s.source, now, s.status === 'active' ? now : null, s.confirmation ? now : null, s.confirmation?.messageId ?? null],
        );
        return r!;
      } catch (e) {
        if ((e as { code?: string }).code === UNIQUE_VIOLATION) {
          throw new SudiError('E_CONFLICT', `subscriber ${s.email} already exists`, { cause: e });
        }
        throw e;
      }
    },
    async setSubscriberStatus(id, status, now) {
      // A move into the status it already has is a no-op: confirming twice keeps the first confirmed_at.
      const col = STATUS_TIME_COLUMN[status];
      const r = await one(
        `UPDATE subscribers SET status = $2, updated_at = $3${col ? `, ${col} = $3` : ''}
         WHERE id = $1 AND status <> $2 RETURNING *`,
        [id, status, now.getTime()],
      );
      return r ?? get(id);
    },
    async updateSubscriber(id, patch, now) {
      const sets: string[] = [];
      const params: unknown[] = [id, now.getTime()];
      if (patch.lang !== undefined) sets.push(`lang = $${params.push(patch.lang)}`);
      if (patch.source !== undefined) sets.push(`source = $${params.push(patch.source)}`);
      if (sets.length === 0) return get(id);
      return one(`UPDATE subscribers SET ${sets.join(', ')}, updated_at = $2 WHERE id = $1 RETURNING *`, params);
    },
    async deleteSubscriber(id) {
      return (await pool.query('DELETE FROM subscribers WHERE id = $1', [id])).rowCount === 1;
    },
    async listSubscribers(q) {
      const r = await pool.query<SubscriberRow>(
        `SELECT * FROM subscribers WHERE ($1::text IS NULL OR status = $1) AND id > $2 ORDER BY id LIMIT $3`,
        [q.status ?? null, q.afterId ?? 0, q.limit],
      );
      return r.rows.map(subscriberFromRow);
    },
    async countSubscribers(status) {
      const r = await pool.query<{ n: number }>('SELECT count(*) AS n FROM subscribers WHERE ($1::text IS NULL OR status = $1)', [status ?? null]);
      return r.rows[0]!.n;
    },
  } satisfies SubscriberStore;
  return store;
}
