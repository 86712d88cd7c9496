/**
 * The Console's part of the SQLite Store (see console-store.ts). Each statement is prepared once.
 */
import type { ConsoleStore } from '../console-store.ts';
import { WEEK_MS, WEEK_ORIGIN_MS } from '../console-store.ts';
import { deliveryFromRow, subscriberFromRow, type DeliveryRow, type SubscriberRow } from '../rows.ts';
import type { Lang } from '../../model.ts';
import type { SubscriberStatus } from '../store.ts';
import { transaction, type Db } from './db.ts';

export function sqliteConsoleStore(db: Db): ConsoleStore {
  // instr(), not LIKE: the operator's text is matched literally (no % or _ wildcards to escape).
  const search = db.prepare<{ text: string | null; status: string | null; lang: string | null; afterId: number; limit: number }, SubscriberRow>(
    `SELECT * FROM subscribers
     WHERE (@text IS NULL OR instr(email, @text) > 0) AND (@status IS NULL OR status = @status) AND (@lang IS NULL OR lang = @lang) AND id > @afterId
     ORDER BY id LIMIT @limit`,
  );
  const tally = db.prepare<[], { status: SubscriberStatus; lang: Lang; n: number }>('SELECT status, lang, count(*) AS n FROM subscribers GROUP BY status, lang ORDER BY status, lang');
  const growth = db.prepare<{ since: number; origin: number; week: number }, { week: number; signed_up: number; confirmed: number; left_: number }>(
    `SELECT week, sum(kind = 's') AS signed_up, sum(kind = 'c') AS confirmed, sum(kind = 'l') AS left_ FROM (
       SELECT CAST((created_at - @origin) / @week AS INTEGER) AS week, 's' AS kind FROM subscribers WHERE created_at >= @since
       UNION ALL SELECT CAST((confirmed_at - @origin) / @week AS INTEGER), 'c' FROM subscribers WHERE confirmed_at >= @since
       UNION ALL SELECT CAST((coalesce(unsubscribed_at, suppressed_at) - @origin) / @week AS INTEGER), 'l' FROM subscribers
         WHERE status IN ('unsubscribed', 'bounced', 'complained') AND coalesce(unsubscribed_at, suppressed_at) >= @since
     ) GROUP BY week ORDER BY week`,
  );
  const ofSubscriber = db.prepare<[number, number], DeliveryRow>('SELECT * FROM deliveries WHERE subscriber_id = ? ORDER BY issue_id DESC LIMIT ?');
  const requeue = db.prepare<{ issueId: string; now: number; one: number | null }>(
    `UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = NULL, lease_until = NULL, lease_owner = NULL, updated_at = @now
     WHERE issue_id = @issueId AND state = 'failed' AND (@one IS NULL OR subscriber_id = @one)
       AND subscriber_id IN (SELECT id FROM subscribers WHERE status = 'active')`,
  );
  const unfinish = db.prepare<[string]>('UPDATE sends SET finished_at = NULL WHERE issue_id = ?');

  return {
    async searchSubscribers(q) {
      return search.all({ text: q.text ? q.text.toLowerCase() : null, status: q.status ?? null, lang: q.lang ?? null, afterId: q.afterId ?? 0, limit: q.limit }).map(subscriberFromRow);
    },
    async tallySubscribers() {
      return tally.all().map((r) => ({ status: r.status, lang: r.lang, n: Number(r.n) }));
    },
    async subscriberGrowth(since) {
      const start = WEEK_ORIGIN_MS + Math.floor((since.getTime() - WEEK_ORIGIN_MS) / WEEK_MS) * WEEK_MS;
      return growth.all({ since: start, origin: WEEK_ORIGIN_MS, week: WEEK_MS }).map((r) => ({
        weekStart: new Date(WEEK_ORIGIN_MS + Number(r.week) * WEEK_MS),
        signedUp: Number(r.signed_up),
        confirmed: Number(r.confirmed),
        left: Number(r.left_),
      }));
    },
    async subscriberDeliveries(subscriberId, limit) {
      return ofSubscriber.all(subscriberId, limit).map(deliveryFromRow);
    },
    async retryFailedDeliveries(issueId, q) {
      return transaction(db, () => {
        const now = q.now.getTime();
        let n = 0;
        if (q.subscriberIds) for (const one of q.subscriberIds) n += Number(requeue.run({ issueId, now, one }).changes);
        else n = Number(requeue.run({ issueId, now, one: null }).changes);
        if (n > 0) unfinish.run(issueId);
        return n;
      });
    },
  };
}
