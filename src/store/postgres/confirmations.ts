/**
 * The confirmation mail queue on PostgreSQL (see ConfirmationQueueStore). Each operation is one
 * statement: queueing takes the slot and inserts the row in one writable CTE, and claiming skips
 * rows another `sudi serve` has locked (FOR UPDATE SKIP LOCKED), so any number of servers drain
 * one queue without sending a mail twice.
 */
import type { ConfirmationQueueStore } from '../store.ts';
import type { Pool } from './db.ts';
import { confirmationFromRow, type ConfirmationRow } from '../rows.ts';

export function postgresConfirmationStore(pool: Pool) {
  const store = {
    async queueConfirmation(id, q) {
      const now = q.now.getTime();
      // A row left from an older slot (only possible for one leased when it was given up) is replaced.
      const r = await pool.query(
        `WITH slot AS (
           UPDATE subscribers SET confirmation_sent_at = $2
           WHERE id = $1 AND (confirmation_sent_at IS NULL OR confirmation_sent_at < $3) RETURNING id)
         INSERT INTO confirmation_mails (subscriber_id, issued_at, message_id, attempts, next_attempt_at)
         SELECT id, $2, $4, 0, $2 FROM slot
         ON CONFLICT (subscriber_id) DO UPDATE SET issued_at = excluded.issued_at, message_id = excluded.message_id,
           attempts = 0, next_attempt_at = excluded.next_attempt_at, lease_until = NULL, lease_owner = NULL, last_error = NULL`,
        [id, now, q.notBefore.getTime(), q.messageId],
      );
      return r.rowCount === 1;
    },
    async claimConfirmations(q) {
      const now = q.now.getTime();
      const r = await pool.query<ConfirmationRow>(
        `UPDATE confirmation_mails SET lease_owner = $1, lease_until = $2
         WHERE subscriber_id IN (
           SELECT subscriber_id FROM confirmation_mails
           WHERE next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3 OR lease_owner = ANY($5::text[]))
           ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [q.owner, now + q.leaseMs, now, q.limit, q.takeOverFrom ?? []],
      );
      return r.rows.map(confirmationFromRow);
    },
    async settleConfirmation(id, owner, outcome) {
      if (outcome.kind === 'done') {
        return (await pool.query('DELETE FROM confirmation_mails WHERE subscriber_id = $1 AND lease_owner = $2', [id, owner])).rowCount === 1;
      }
      if (outcome.kind === 'retry') {
        const r = await pool.query(
          `UPDATE confirmation_mails SET attempts = attempts + 1, next_attempt_at = $3, last_error = $4, lease_until = NULL, lease_owner = NULL
           WHERE subscriber_id = $1 AND lease_owner = $2`,
          [id, owner, outcome.nextAttemptAt.getTime(), outcome.error],
        );
        return r.rowCount === 1;
      }
      // Given up: the row goes and the slot it took is released (only that slot, not a later one).
      const r = await pool.query<{ n: number }>(
        `WITH gone AS (DELETE FROM confirmation_mails WHERE subscriber_id = $1 AND lease_owner = $2 RETURNING subscriber_id, issued_at),
         released AS (UPDATE subscribers s SET confirmation_sent_at = NULL FROM gone
                      WHERE s.id = gone.subscriber_id AND s.confirmation_sent_at = gone.issued_at)
         SELECT count(*)::int AS n FROM gone`,
        [id, owner],
      );
      return r.rows[0]!.n === 1;
    },
    async confirmationLeaseOwners(now) {
      const r = await pool.query<{ lease_owner: string }>(
        'SELECT DISTINCT lease_owner FROM confirmation_mails WHERE lease_owner IS NOT NULL AND lease_until > $1',
        [now.getTime()],
      );
      return r.rows.map((x) => x.lease_owner);
    },
    async nextConfirmationDue() {
      const r = await pool.query<{ at: number | null }>('SELECT min(greatest(next_attempt_at, lease_until)) AS at FROM confirmation_mails');
      const at = r.rows[0]?.at ?? null;
      return at === null ? null : new Date(at);
    },
    async listQueuedConfirmations(limit) {
      const r = await pool.query<ConfirmationRow>('SELECT * FROM confirmation_mails ORDER BY next_attempt_at, subscriber_id LIMIT $1', [limit]);
      return r.rows.map(confirmationFromRow);
    },
  } satisfies ConfirmationQueueStore;
  return store;
}
