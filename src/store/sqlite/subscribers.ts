/**
 * The Subscriber half of the SQLite Store. node:sqlite is synchronous; the methods are async
 * only to share the Store interface with PostgreSQL. Each statement is prepared once.
 */
import { SudiError } from '../../errors.ts';
import type { SubscriberStatus, SubscriberStore } from '../store.ts';
import { prepareEnqueue } from './confirmations.ts';
import { SQLITE_CONSTRAINT_UNIQUE, transaction, type Db, type Statement } from './db.ts';
import { STATUS_TIME_COLUMN, subscriberFromRow, type SubscriberRow as Row } from '../rows.ts';


export function sqliteSubscriberStore(db: Db) {
  const byId = db.prepare<[number], Row>('SELECT * FROM subscribers WHERE id = ?');
  const byEmail = db.prepare<[string], Row>('SELECT * FROM subscribers WHERE email = ?');
  const insert = db.prepare<[string, string, string, string, number, number, number | null, number | null], Row>(
    `INSERT INTO subscribers (email, status, lang, source, created_at, updated_at, confirmed_at, confirmation_sent_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  );
  const enqueue = prepareEnqueue(db);
  // The Subscriber, and with a confirmation its slot and queued mail: one transaction.
  const insertTx = (s: Parameters<SubscriberStore['insertSubscriber']>[0]) => transaction(db, () => {
    const now = s.now.getTime();
    const row = insert.get(s.email, s.status, s.lang, s.source, now, now, s.status === 'active' ? now : null, s.confirmation ? now : null)!;
    if (s.confirmation) enqueue.run({ id: row.id, now, messageId: s.confirmation.messageId });
    return row;
  });
  // A move into the status it already has is a no-op: confirming twice keeps the first confirmed_at.
  const setStatus = Object.fromEntries(
    (Object.keys(STATUS_TIME_COLUMN) as SubscriberStatus[]).map((status) => {
      const col = STATUS_TIME_COLUMN[status];
      const extra = col ? `, ${col} = @now` : '';
      return [
        status,
        db.prepare<{ id: number; now: number }, Row>(
          `UPDATE subscribers SET status = '${status}', updated_at = @now${extra}
           WHERE id = @id AND status <> '${status}' RETURNING *`,
        ),
      ];
    }),
  ) as Record<SubscriberStatus, Statement<{ id: number; now: number }, Row>>;
  const del = db.prepare<[number]>('DELETE FROM subscribers WHERE id = ?');
  const list = db.prepare<{ status: string | null; afterId: number; limit: number }, Row>(
    `SELECT * FROM subscribers WHERE (@status IS NULL OR status = @status) AND id > @afterId ORDER BY id LIMIT @limit`,
  );
  const count = db.prepare<{ status: string | null }, { n: number }>(
    'SELECT count(*) AS n FROM subscribers WHERE (@status IS NULL OR status = @status)',
  );

  const get = (id: number) => {
    const r = byId.get(id);
    return r ? subscriberFromRow(r) : null;
  };

  const store = {
    async findSubscriberByEmail(email) {
      const r = byEmail.get(email);
      return r ? subscriberFromRow(r) : null;
    },
    async getSubscriber(id) {
      return get(id);
    },
    async insertSubscriber(s) {
      try {
        return subscriberFromRow(insertTx(s));
      } catch (e) {
        if ((e as { errcode?: number }).errcode === SQLITE_CONSTRAINT_UNIQUE) {
          throw new SudiError('E_CONFLICT', `subscriber ${s.email} already exists`, { cause: e });
        }
        throw e;
      }
    },
    async setSubscriberStatus(id, status, now) {
      const r = setStatus[status].get({ id, now: now.getTime() });
      return r ? subscriberFromRow(r) : get(id);
    },
    async updateSubscriber(id, patch, now) {
      const sets: string[] = [];
      const params: Record<string, unknown> = { id, now: now.getTime() };
      if (patch.lang !== undefined) {
        sets.push('lang = @lang');
        params.lang = patch.lang;
      }
      if (patch.source !== undefined) {
        sets.push('source = @source');
        params.source = patch.source;
      }
      if (sets.length === 0) return get(id);
      const r = db.prepare<Record<string, unknown>, Row>(`UPDATE subscribers SET ${sets.join(', ')}, updated_at = @now WHERE id = @id RETURNING *`).get(params);
      return r ? subscriberFromRow(r) : null;
    },
    async deleteSubscriber(id) {
      return Number(del.run(id).changes) === 1;
    },
    async listSubscribers(q) {
      return list.all({ status: q.status ?? null, afterId: q.afterId ?? 0, limit: q.limit }).map(subscriberFromRow);
    },
    async countSubscribers(status) {
      return count.get({ status: status ?? null })!.n;
    },
  } satisfies SubscriberStore;
  return store;
}
