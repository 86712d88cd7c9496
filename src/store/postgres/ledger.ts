/**
 * The delivery ledger on PostgreSQL: the same rules as the SQLite ledger, and the work queue for
 * any number of `sudi worker` processes. Claims lock rows with FOR UPDATE SKIP LOCKED, so workers
 * never wait for each other and never take the same row; the Send's unique key makes startSend safe.
 */
import type { Lang } from '../../model.ts';
import { DELIVERY_STATES, type ClaimedDelivery, type DeliveryState, type LedgerStore } from '../store.ts';
import { tx, type Pool } from './db.ts';
import { deliveryFromRow, sendFromRow, type DeliveryRow, type SendRow } from '../rows.ts';


/**
 * One statement: lease up to $3 due rows of unfinished, unpaused Sends, skipping rows another
 * worker is locking right now, served in the SQLite ledger's order: expired leases first (their
 * worker died: resend them soon after the original), then due retries (deferred, or unknown with a
 * retry time; an unknown row without one is final), then queued rows by Subscriber id. Each queue
 * reads its own partial index. Rows whose Subscriber is no longer active (or gone) are suppressed
 * instead of leased. Parameters: $1 now, $2 issue (or null), $3 limit, $4 owner, $5 lease end.
 */
const OPEN_SEND = `JOIN sends s ON s.issue_id = d.issue_id
    WHERE s.finished_at IS NULL AND (s.paused_until IS NULL OR s.paused_until <= $1)
      AND ($2::text IS NULL OR d.issue_id = $2)`;
export const CLAIM_SQL = `
WITH expired AS (
  SELECT d.issue_id, d.subscriber_id, d.state AS previous_state FROM deliveries d ${OPEN_SEND}
    AND d.state = 'sending' AND d.lease_until <= $1
  ORDER BY d.lease_until LIMIT $3
  FOR UPDATE OF d SKIP LOCKED
), retries AS (
  SELECT d.issue_id, d.subscriber_id, d.state AS previous_state FROM deliveries d ${OPEN_SEND}
    AND d.state IN ('deferred', 'unknown') AND d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= $1
  ORDER BY d.next_attempt_at LIMIT $3
  FOR UPDATE OF d SKIP LOCKED
), fresh AS (
  SELECT d.issue_id, d.subscriber_id, d.state AS previous_state FROM deliveries d ${OPEN_SEND}
    AND d.state = 'queued'
  ORDER BY d.issue_id, d.subscriber_id LIMIT $3
  FOR UPDATE OF d SKIP LOCKED
), picked AS (
  -- Read lazily, in order: a queue is only scanned (and its rows locked) if the ones before it
  -- did not fill the batch. A plain LIMIT also lets the planner see how few rows the UPDATE touches.
  SELECT * FROM expired UNION ALL SELECT * FROM retries UNION ALL SELECT * FROM fresh LIMIT $3
), marked AS (
  UPDATE deliveries d SET
    state = CASE WHEN sub.status = 'active' THEN 'sending' ELSE 'suppressed' END,
    attempts = d.attempts + CASE WHEN sub.status = 'active' THEN 1 ELSE 0 END,
    lease_owner = CASE WHEN sub.status = 'active' THEN $4 ELSE NULL END,
    lease_until = CASE WHEN sub.status = 'active' THEN $5::bigint ELSE NULL END,
    next_attempt_at = NULL,
    updated_at = $1
  FROM picked p LEFT JOIN subscribers sub ON sub.id = p.subscriber_id
  WHERE d.issue_id = p.issue_id AND d.subscriber_id = p.subscriber_id
  RETURNING d.*, sub.email, sub.lang, p.previous_state
)
SELECT * FROM marked ORDER BY issue_id, subscriber_id`;

type ClaimRow = DeliveryRow & { email: string; lang: Lang; previous_state: DeliveryState };

/*
 * The statements run once per message (Message-ID, outcome) are named, so each connection parses
 * and plans them once; the claim is not, so its plan always sees the actual limit and issue.
 */
export function postgresLedgerStore(pool: Pool) {
  const getSend = async (issueId: string) => {
    const r = await pool.query<SendRow>('SELECT * FROM sends WHERE issue_id = $1', [issueId]);
    return r.rows[0] ? sendFromRow(r.rows[0]) : null;
  };

  const store = {
    async startSend(issueId, { trigger, now }) {
      return tx(pool, async (c) => {
        // A concurrent startSend of the same Issue waits here on the unique key until this
        // transaction ends, then inserts nothing: the snapshot is taken exactly once.
        const ins = await c.query<SendRow>(
          `INSERT INTO sends (issue_id, trigger, total, created_at) VALUES ($1, $2, 0, $3)
           ON CONFLICT (issue_id) DO NOTHING RETURNING *`,
          [issueId, trigger, now.getTime()],
        );
        if (ins.rowCount === 0) {
          const existing = await c.query<SendRow>('SELECT * FROM sends WHERE issue_id = $1', [issueId]);
          return { send: sendFromRow(existing.rows[0]!), created: false };
        }
        const snap = await c.query(
          `INSERT INTO deliveries (issue_id, subscriber_id, state, attempts, updated_at)
           SELECT $1, id, 'queued', 0, $2 FROM subscribers WHERE status = 'active'`,
          [issueId, now.getTime()],
        );
        const send = await c.query<SendRow>('UPDATE sends SET total = $2 WHERE issue_id = $1 RETURNING *', [issueId, snap.rowCount ?? 0]);
        // Fresh statistics now, not when autovacuum gets round to it: with none, the planner takes
        // a new Send's queue for one row and sorts all of it on every claim instead of reading the
        // queued index in order (measured: 9 ms instead of 0.3 ms per claim at 20,000 rows).
        await c.query('ANALYZE deliveries');
        return { send: sendFromRow(send.rows[0]!), created: true };
      });
    },
    getSend,
    async listSends() {
      const r = await pool.query<SendRow>('SELECT * FROM sends ORDER BY created_at, issue_id');
      return r.rows.map(sendFromRow);
    },
    async claimDeliveries(q) {
      const now = q.now.getTime();
      const out: ClaimedDelivery[] = [];
      // Suppressed rows do not fill the batch: claim again while the last round suppressed any,
      // so a short or empty batch always means nothing more is due right now.
      for (;;) {
        const r = await pool.query<ClaimRow>(CLAIM_SQL, [now, q.issueId ?? null, q.limit - out.length, q.owner, now + q.leaseMs]);
        let suppressed = 0;
        for (const row of r.rows) {
          if (row.state === 'sending') out.push({ ...deliveryFromRow(row), email: row.email, lang: row.lang, previousState: row.previous_state });
          else suppressed++;
        }
        if (suppressed === 0 || out.length >= q.limit) break;
      }
      return out.sort((a, b) => (a.issueId === b.issueId ? a.subscriberId - b.subscriberId : a.issueId < b.issueId ? -1 : 1));
    },
    async setMessageId(issueId, subscriberId, messageId) {
      await pool.query({ name: 'sudi-set-message-id', text: 'UPDATE deliveries SET message_id = $3 WHERE issue_id = $1 AND subscriber_id = $2', values: [issueId, subscriberId, messageId] });
    },
    async recordOutcome(issueId, subscriberId, o) {
      // Only the lease holder may record: after a takeover the row has another owner (or another
      // state), and a late outcome from the old owner must not overwrite the new attempt.
      const r = await pool.query({
        name: 'sudi-record-outcome',
        text: `UPDATE deliveries SET state = $4, last_code = $5, last_response = $6, next_attempt_at = $7,
                 lease_until = NULL, updated_at = $8
               WHERE issue_id = $1 AND subscriber_id = $2 AND state = 'sending' AND lease_owner = $3`,
        values: [issueId, subscriberId, o.owner, o.state, o.code ?? null, o.response ?? null, o.nextAttemptAt?.getTime() ?? null, o.now.getTime()],
      });
      return r.rowCount === 1;
    },
    async releaseDelivery(issueId, subscriberId, r) {
      // A claim that never reached SMTP: back to its state, the attempt it counted taken back.
      const res = await pool.query(
        `UPDATE deliveries SET state = $4, attempts = GREATEST(attempts - 1, 0), next_attempt_at = $5, lease_owner = NULL, lease_until = NULL, updated_at = $6
         WHERE issue_id = $1 AND subscriber_id = $2 AND state = 'sending' AND lease_owner = $3`,
        [issueId, subscriberId, r.owner, r.state, r.nextAttemptAt?.getTime() ?? null, r.now.getTime()],
      );
      return res.rowCount === 1;
    },
    async pauseSend(issueId, until, reason) {
      // Never shortens a pause another worker set for longer.
      await pool.query(
        `UPDATE sends SET pause_reason = CASE WHEN $2 >= COALESCE(paused_until, 0) THEN $3 ELSE pause_reason END,
           paused_until = GREATEST(COALESCE(paused_until, 0), $2) WHERE issue_id = $1`,
        [issueId, until.getTime(), reason ?? null],
      );
    },
    async resumeSend(issueId, now) {
      return tx(pool, async (c) => {
        const before = await c.query<SendRow>('SELECT * FROM sends WHERE issue_id = $1 AND paused_until > $2 FOR UPDATE', [issueId, now.getTime()]);
        const row = before.rows[0];
        if (!row) return null;
        await c.query('UPDATE sends SET paused_until = NULL, pause_reason = NULL WHERE issue_id = $1', [issueId]);
        await c.query(`UPDATE deliveries SET next_attempt_at = $2 WHERE issue_id = $1 AND state = 'deferred' AND next_attempt_at > $2`, [issueId, now.getTime()]);
        return { pausedUntil: new Date(Number(row.paused_until)), reason: row.pause_reason ?? null };
      });
    },
    async finishSendIfDone(issueId, now) {
      await pool.query(
        `UPDATE sends SET finished_at = $2 WHERE issue_id = $1 AND finished_at IS NULL AND NOT EXISTS (
           SELECT 1 FROM deliveries d WHERE d.issue_id = $1
             AND (d.state IN ('queued', 'sending', 'deferred') OR (d.state = 'unknown' AND d.next_attempt_at IS NOT NULL)))`,
        [issueId, now.getTime()],
      );
      return getSend(issueId);
    },
    async deliveryCounts(issueId) {
      const counts = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
      const r = await pool.query<{ state: DeliveryState; n: number }>('SELECT state, count(*) AS n FROM deliveries WHERE issue_id = $1 GROUP BY state', [issueId]);
      for (const row of r.rows) counts[row.state] = row.n;
      return counts;
    },
    async listDeliveries(q) {
      const r = await pool.query<DeliveryRow>(
        `SELECT * FROM deliveries WHERE issue_id = $1 AND ($2::text[] IS NULL OR state = ANY($2)) AND subscriber_id > $3
         ORDER BY subscriber_id LIMIT $4`,
        [q.issueId, q.states ?? null, q.afterSubscriberId ?? 0, q.limit],
      );
      return r.rows.map(deliveryFromRow);
    },
  } satisfies LedgerStore;
  return store;
}
