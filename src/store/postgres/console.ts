/**
 * The Console's part of the PostgreSQL Store (see console-store.ts); the same semantics as the
 * SQLite one, each change one statement.
 */
import type { Lang } from '../../model.ts';
import type { ConsoleStore } from '../console-store.ts';
import { WEEK_MS, WEEK_ORIGIN_MS } from '../console-store.ts';
import { deliveryFromRow, subscriberFromRow, type DeliveryRow, type SubscriberRow } from '../rows.ts';
import type { SubscriberStatus } from '../store.ts';
import type { Pool } from './db.ts';

export function postgresConsoleStore(pool: Pool): ConsoleStore {
  return {
    async searchSubscribers(q) {
      // strpos(), not LIKE: the operator's text is matched literally.
      const r = await pool.query<SubscriberRow>(
        `SELECT * FROM subscribers
         WHERE ($1::text IS NULL OR strpos(email, $1) > 0) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR lang = $3) AND id > $4
         ORDER BY id LIMIT $5`,
        [q.text ? q.text.toLowerCase() : null, q.status ?? null, q.lang ?? null, q.afterId ?? 0, q.limit],
      );
      return r.rows.map(subscriberFromRow);
    },
    async tallySubscribers() {
      const r = await pool.query<{ status: SubscriberStatus; lang: Lang; n: string }>('SELECT status, lang, count(*) AS n FROM subscribers GROUP BY status, lang ORDER BY status, lang');
      return r.rows.map((x) => ({ status: x.status, lang: x.lang, n: Number(x.n) }));
    },
    async subscriberGrowth(since) {
      const start = WEEK_ORIGIN_MS + Math.floor((since.getTime() - WEEK_ORIGIN_MS) / WEEK_MS) * WEEK_MS;
      const r = await pool.query<{ week: string; signed_up: string; confirmed: string; left_: string }>(
        `SELECT week, count(*) FILTER (WHERE kind = 's') AS signed_up, count(*) FILTER (WHERE kind = 'c') AS confirmed, count(*) FILTER (WHERE kind = 'l') AS left_ FROM (
           SELECT div(created_at - $2, $3) AS week, 's' AS kind FROM subscribers WHERE created_at >= $1
           UNION ALL SELECT div(confirmed_at - $2, $3), 'c' FROM subscribers WHERE confirmed_at >= $1
           UNION ALL SELECT div(coalesce(unsubscribed_at, suppressed_at) - $2, $3), 'l' FROM subscribers
             WHERE status IN ('unsubscribed', 'bounced', 'complained') AND coalesce(unsubscribed_at, suppressed_at) >= $1
         ) AS events GROUP BY week ORDER BY week`,
        [start, WEEK_ORIGIN_MS, WEEK_MS],
      );
      return r.rows.map((x) => ({
        weekStart: new Date(WEEK_ORIGIN_MS + Number(x.week) * WEEK_MS),
        signedUp: Number(x.signed_up),
        confirmed: Number(x.confirmed),
        left: Number(x.left_),
      }));
    },
    async subscriberDeliveries(subscriberId, limit) {
      const r = await pool.query<DeliveryRow>('SELECT * FROM deliveries WHERE subscriber_id = $1 ORDER BY issue_id DESC LIMIT $2', [subscriberId, limit]);
      return r.rows.map(deliveryFromRow);
    },
    async retryFailedDeliveries(issueId, q) {
      // One statement: the rows go back and the Send is unfinished in the same transaction.
      const r = await pool.query<{ n: string }>(
        `WITH back AS (
           UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = NULL, lease_until = NULL, lease_owner = NULL, updated_at = $2
           WHERE issue_id = $1 AND state = 'failed' AND ($3::bigint[] IS NULL OR subscriber_id = ANY($3))
             AND subscriber_id IN (SELECT id FROM subscribers WHERE status = 'active')
           RETURNING 1),
         s AS (UPDATE sends SET finished_at = NULL WHERE issue_id = $1 AND EXISTS (SELECT 1 FROM back) RETURNING 1)
         SELECT (SELECT count(*) FROM back) AS n, (SELECT count(*) FROM s) AS s`,
        [issueId, q.now.getTime(), q.subscriberIds ? [...q.subscriberIds] : null],
      );
      return Number(r.rows[0]!.n);
    },
  };
}
