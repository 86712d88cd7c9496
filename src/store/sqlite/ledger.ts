/**
 * The delivery ledger on SQLite: Sends and Deliveries (DESIGN.md, Delivery). Every change that must
 * not interleave with another process (start a Send, claim a batch) runs in one BEGIN IMMEDIATE
 * transaction: SQLite has one writer, so two `sudi send` processes and the web server serialize
 * there (busy_timeout makes them wait, not fail) and can never take the same row.
 */
import type { Lang } from '../../model.ts';
import {
  DELIVERY_STATES,
  type ClaimedDelivery,
  type DeliveryState,
  type LedgerStore,
  type SendTrigger,
  type SubscriberStatus,
} from '../store.ts';
import { transaction, type Db, type Statement } from './db.ts';
import { deliveryFromRow, sendFromRow, type DeliveryRow, type SendRow } from '../rows.ts';

/** A row that may be claimed, with its Subscriber as it is now (null columns: the Subscriber is gone). */
type Candidate = { subscriber_id: number; state: DeliveryState; status: SubscriberStatus | null; email: string | null; lang: Lang | null };


export function sqliteLedgerStore(db: Db) {
  const sendById = db.prepare<[string], SendRow>('SELECT * FROM sends WHERE issue_id = ?');
  const allSends = db.prepare<[], SendRow>('SELECT * FROM sends ORDER BY created_at, issue_id');
  const insertSend = db.prepare('INSERT OR IGNORE INTO sends (issue_id, trigger, total, created_at) VALUES (?, ?, 0, ?)');
  const snapshot = db.prepare(
    `INSERT INTO deliveries (issue_id, subscriber_id, state, attempts, updated_at)
     SELECT ?, id, 'queued', 0, ? FROM subscribers WHERE status = 'active'`,
  );
  const setTotal = db.prepare('UPDATE sends SET total = ? WHERE issue_id = ?');
  const claimable = db.prepare<[number], { issue_id: string }>(
    'SELECT issue_id FROM sends WHERE finished_at IS NULL AND (paused_until IS NULL OR paused_until <= ?) ORDER BY issue_id',
  );
  // The three queues, in the order they are served: expired leases (their worker died: resend
  // first, so a possible duplicate follows its original closely), due retries, then fresh rows.
  // Each candidate query reads its Subscriber along (re-checked at claim time: whoever unsubscribed
  // or bounced since the snapshot gets nothing).
  const withSubscriber = (where: string, order: string) =>
    db.prepare<unknown[], Candidate>(
      `SELECT d.subscriber_id, d.state, s.status, s.email, s.lang FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
       WHERE d.issue_id = ? AND ${where} ORDER BY ${order} LIMIT ?`,
    );
  const expiredLeases = withSubscriber(`d.state = 'sending' AND d.lease_until <= ?`, 'd.lease_until');
  const dueRetries = withSubscriber(`d.state IN ('deferred', 'unknown') AND d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= ?`, 'd.next_attempt_at');
  const queued = withSubscriber(`d.state = 'queued'`, 'd.subscriber_id');
  // One statement per batch, not per row: the ids go in as a JSON array.
  const lease = db.prepare<[string, number, number, string, string], DeliveryRow>(
    `UPDATE deliveries SET state = 'sending', attempts = attempts + 1, lease_owner = ?, lease_until = ?,
       next_attempt_at = NULL, updated_at = ?
     WHERE issue_id = ? AND subscriber_id IN (SELECT value FROM json_each(?)) RETURNING *`,
  );
  const suppress = db.prepare<[number, string, string]>(
    `UPDATE deliveries SET state = 'suppressed', lease_owner = NULL, lease_until = NULL, next_attempt_at = NULL, updated_at = ?
     WHERE issue_id = ? AND subscriber_id IN (SELECT value FROM json_each(?))`,
  );
  const setMessageId = db.prepare('UPDATE deliveries SET message_id = ? WHERE issue_id = ? AND subscriber_id = ?');
  const record = db.prepare(
    `UPDATE deliveries SET state = ?, last_code = ?, last_response = ?, next_attempt_at = ?, lease_until = NULL, updated_at = ?
     WHERE issue_id = ? AND subscriber_id = ? AND state = 'sending' AND lease_owner = ?`,
  );
  // A claim that never reached SMTP: back to its state, the attempt it counted taken back.
  const release = db.prepare(
    `UPDATE deliveries SET state = ?, attempts = max(attempts - 1, 0), next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
     WHERE issue_id = ? AND subscriber_id = ? AND state = 'sending' AND lease_owner = ?`,
  );
  const pause = db.prepare(
    `UPDATE sends SET pause_reason = CASE WHEN ? >= coalesce(paused_until, 0) THEN ? ELSE pause_reason END,
       paused_until = max(coalesce(paused_until, 0), ?) WHERE issue_id = ?`,
  );
  const resume = db.prepare('UPDATE sends SET paused_until = NULL, pause_reason = NULL WHERE issue_id = ? AND paused_until > ?');
  const dueNow = db.prepare(`UPDATE deliveries SET next_attempt_at = ? WHERE issue_id = ? AND state = 'deferred' AND next_attempt_at > ?`);
  const finish = db.prepare(
    `UPDATE sends SET finished_at = ? WHERE issue_id = ? AND finished_at IS NULL AND NOT EXISTS (
       SELECT 1 FROM deliveries d WHERE d.issue_id = sends.issue_id
         AND (d.state IN ('queued', 'sending', 'deferred') OR (d.state = 'unknown' AND d.next_attempt_at IS NOT NULL)))`,
  );
  const counts = db.prepare<[string], { state: DeliveryState; n: number }>(
    'SELECT state, count(*) AS n FROM deliveries WHERE issue_id = ? GROUP BY state',
  );

  // listDeliveries, one statement per number of states filtered on (prepared once each).
  const listings = new Map<number, Statement<unknown[], DeliveryRow>>();
  const listBy = (n: number) => {
    let st = listings.get(n);
    if (!st) {
      const filter = n > 0 ? ` AND state IN (${Array(n).fill('?').join(', ')})` : '';
      st = db.prepare<unknown[], DeliveryRow>(`SELECT * FROM deliveries WHERE issue_id = ? AND subscriber_id > ?${filter} ORDER BY subscriber_id LIMIT ?`);
      listings.set(n, st);
    }
    return st;
  };

  const startSend = (issueId: string, trigger: SendTrigger, now: number) => transaction(db, () => {
    const created = Number(insertSend.run(issueId, trigger, now).changes) === 1;
    // Only the transaction that created the Send takes the snapshot: exactly once per Issue.
    if (created) setTotal.run(Number(snapshot.run(issueId, now).changes), issueId);
    return { send: sendFromRow(sendById.get(issueId)!), created };
  });

  const claim = (issueId: string | undefined, owner: string, now: number, leaseUntil: number, limit: number) => transaction(db, () => {
    // Unfinished, unpaused Sends only (all of them, or the one asked for), oldest Issue first.
    const issues = claimable.all(now).map((r) => r.issue_id).filter((id) => issueId === undefined || id === issueId);
    const out: ClaimedDelivery[] = [];
    for (const issue of issues) {
      take(issue, expiredLeases.all(issue, now, limit - out.length));
      if (out.length < limit) take(issue, dueRetries.all(issue, now, limit - out.length));
      // Fresh rows: suppressed ones do not fill the batch, so keep reading until it is full or empty.
      while (out.length < limit) {
        const rows = queued.all(issue, limit - out.length);
        if (rows.length === 0) break;
        take(issue, rows);
      }
      if (out.length >= limit) break;
    }
    return out.sort((a, b) => (a.issueId === b.issueId ? a.subscriberId - b.subscriberId : a.issueId < b.issueId ? -1 : 1));

    function take(issue: string, rows: Candidate[]) {
      const gone = rows.filter((c) => c.status !== 'active').map((c) => c.subscriber_id);
      if (gone.length > 0) suppress.run(now, issue, JSON.stringify(gone));
      const active = new Map(rows.filter((c) => c.status === 'active').map((c) => [c.subscriber_id, c]));
      if (active.size === 0) return;
      for (const row of lease.all(owner, leaseUntil, now, issue, JSON.stringify([...active.keys()]))) {
        const c = active.get(row.subscriber_id)!;
        out.push({ ...deliveryFromRow(row), email: c.email!, lang: c.lang!, previousState: c.state });
      }
    }
  });

  const lift = (issueId: string, now: number) => transaction(db, () => {
    const before = sendById.get(issueId);
    if (!before || Number(resume.run(issueId, now).changes) === 0) return null;
    dueNow.run(now, issueId, now);
    return { pausedUntil: new Date(before.paused_until!), reason: before.pause_reason ?? null };
  });

  const store = {
    async startSend(issueId, { trigger, now }) {
      return startSend(issueId, trigger, now.getTime());
    },
    async getSend(issueId) {
      const r = sendById.get(issueId);
      return r ? sendFromRow(r) : null;
    },
    async listSends() {
      return allSends.all().map(sendFromRow);
    },
    async claimDeliveries(q) {
      const now = q.now.getTime();
      return claim(q.issueId, q.owner, now, now + q.leaseMs, q.limit);
    },
    async setMessageId(issueId, subscriberId, messageId) {
      setMessageId.run(messageId, issueId, subscriberId);
    },
    async recordOutcome(issueId, subscriberId, o) {
      // Only the lease holder may record: after a takeover the row has another owner (or another
      // state), and a late outcome from the old owner must not overwrite the new attempt.
      const r = record.run(o.state, o.code ?? null, o.response ?? null, o.nextAttemptAt?.getTime() ?? null, o.now.getTime(), issueId, subscriberId, o.owner);
      return Number(r.changes) === 1;
    },
    async releaseDelivery(issueId, subscriberId, r) {
      return Number(release.run(r.state, r.nextAttemptAt?.getTime() ?? null, r.now.getTime(), issueId, subscriberId, r.owner).changes) === 1;
    },
    async pauseSend(issueId, until, reason) {
      // Never shortens a pause another process set for longer.
      pause.run(until.getTime(), reason ?? null, until.getTime(), issueId);
    },
    async resumeSend(issueId, now) {
      return lift(issueId, now.getTime());
    },
    async finishSendIfDone(issueId, now) {
      finish.run(now.getTime(), issueId);
      const r = sendById.get(issueId);
      return r ? sendFromRow(r) : null;
    },
    async deliveryCounts(issueId) {
      const out = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
      for (const r of counts.all(issueId)) out[r.state] = r.n;
      return out;
    },
    async listDeliveries(q) {
      const states = q.states ?? [];
      return listBy(states.length).all(q.issueId, q.afterSubscriberId ?? 0, ...states, q.limit).map(deliveryFromRow);
    },
  } satisfies LedgerStore;
  return store;
}
