/**
 * The confirmation mail queue on SQLite (see ConfirmationQueueStore). Queueing and claiming each
 * run in one BEGIN IMMEDIATE transaction: SQLite has one writer, so two processes never take the
 * same slot or the same row.
 */
import type { ConfirmationQueueStore } from '../store.ts';
import { transaction, type Db } from './db.ts';
import { confirmationFromRow, type ConfirmationRow as Row } from '../rows.ts';

/** Queues a mail due at once; the caller's transaction has taken the slot. */
export function prepareEnqueue(db: Db) {
  // A row left from an older slot (only possible for one leased at the moment it was given up) is replaced.
  return db.prepare<{ id: number; now: number; messageId: string }>(
    `INSERT INTO confirmation_mails (subscriber_id, issued_at, message_id, attempts, next_attempt_at)
     VALUES (@id, @now, @messageId, 0, @now)
     ON CONFLICT (subscriber_id) DO UPDATE SET issued_at = excluded.issued_at, message_id = excluded.message_id,
       attempts = 0, next_attempt_at = excluded.next_attempt_at, lease_until = NULL, lease_owner = NULL, last_error = NULL`,
  );
}

export function sqliteConfirmationStore(db: Db) {
  const takeSlot = db.prepare<{ id: number; now: number; notBefore: number }>(
    `UPDATE subscribers SET confirmation_sent_at = @now
     WHERE id = @id AND (confirmation_sent_at IS NULL OR confirmation_sent_at < @notBefore)`,
  );
  const enqueue = prepareEnqueue(db);
  const queue = (id: number, now: number, notBefore: number, messageId: string) => transaction(db, () => {
    if (Number(takeSlot.run({ id, now, notBefore }).changes) !== 1) return false;
    enqueue.run({ id, now, messageId });
    return true;
  });
  const claim = db.prepare<{ owner: string; now: number; leaseUntil: number; limit: number; dead: string }, Row>(
    `UPDATE confirmation_mails SET lease_owner = @owner, lease_until = @leaseUntil
     WHERE subscriber_id IN (
       SELECT subscriber_id FROM confirmation_mails
       WHERE next_attempt_at <= @now
         AND (lease_until IS NULL OR lease_until <= @now OR lease_owner IN (SELECT value FROM json_each(@dead)))
       ORDER BY next_attempt_at LIMIT @limit)
     RETURNING *`,
  );
  const done = db.prepare<{ id: number; owner: string }>('DELETE FROM confirmation_mails WHERE subscriber_id = @id AND lease_owner = @owner');
  const retry = db.prepare<{ id: number; owner: string; at: number; error: string }>(
    `UPDATE confirmation_mails SET attempts = attempts + 1, next_attempt_at = @at, last_error = @error, lease_until = NULL, lease_owner = NULL
     WHERE subscriber_id = @id AND lease_owner = @owner`,
  );
  const giveUp = db.prepare<{ id: number; owner: string }, { issued_at: number }>(
    'DELETE FROM confirmation_mails WHERE subscriber_id = @id AND lease_owner = @owner RETURNING issued_at',
  );
  // Only the slot this mail took: a later sign-up's slot is not ours to release.
  const releaseSlot = db.prepare<{ id: number; issuedAt: number }>(
    'UPDATE subscribers SET confirmation_sent_at = NULL WHERE id = @id AND confirmation_sent_at = @issuedAt',
  );
  const giveUpTx = (id: number, owner: string) => transaction(db, () => {
    const r = giveUp.get({ id, owner });
    if (r) releaseSlot.run({ id, issuedAt: r.issued_at });
    return r !== undefined;
  });
  const owners = db.prepare<[number], { lease_owner: string }>(
    'SELECT DISTINCT lease_owner FROM confirmation_mails WHERE lease_owner IS NOT NULL AND lease_until > ?',
  );
  const nextDue = db.prepare<[], { at: number | null }>(
    'SELECT min(CASE WHEN lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END) AS at FROM confirmation_mails',
  );
  const list = db.prepare<[number], Row>('SELECT * FROM confirmation_mails ORDER BY next_attempt_at, subscriber_id LIMIT ?');

  const store = {
    async queueConfirmation(id, q) {
      return queue(id, q.now.getTime(), q.notBefore.getTime(), q.messageId);
    },
    async claimConfirmations(q) {
      const now = q.now.getTime();
      const rows = claim.all({ owner: q.owner, now, leaseUntil: now + q.leaseMs, limit: q.limit, dead: JSON.stringify(q.takeOverFrom ?? []) });
      return rows.map(confirmationFromRow);
    },
    async settleConfirmation(id, owner, outcome) {
      if (outcome.kind === 'done') return Number(done.run({ id, owner }).changes) === 1;
      if (outcome.kind === 'retry') return Number(retry.run({ id, owner, at: outcome.nextAttemptAt.getTime(), error: outcome.error }).changes) === 1;
      return giveUpTx(id, owner);
    },
    async confirmationLeaseOwners(now) {
      return owners.all(now.getTime()).map((r) => r.lease_owner);
    },
    async nextConfirmationDue() {
      const at = nextDue.get()?.at ?? null;
      return at === null ? null : new Date(at);
    },
    async listQueuedConfirmations(limit) {
      return list.all(limit).map(confirmationFromRow);
    },
  } satisfies ConfirmationQueueStore;
  return store;
}
