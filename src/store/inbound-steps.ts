/**
 * The rules of applying an inbound event, written once for both Stores. `applySteps` is a
 * generator: it yields each SQL statement (with `@name` parameters) and receives its rows, so the
 * SQLite Store drives it synchronously inside one transaction and the PostgreSQL
 * Store drives it with awaits inside one BEGIN … COMMIT. The SQL is the common dialect of both.
 */
import type { InboundEvent, InboundResult, NewInboundEvent } from './inbound-store.ts';
import { STATUS_TIME_COLUMN } from './rows.ts';
import type { SubscriberStatus } from './store.ts';

export interface Step {
  sql: string;
  params: Record<string, string | number | null>;
}

export type Row = Record<string, unknown>;

export interface InboundEventRow {
  id: number;
  fingerprint: string;
  received_at: number;
  source: string;
  kind: InboundEvent['kind'];
  subscriber_id: number | null;
  issue_id: string | null;
  status: string | null;
  diagnostic: string | null;
  detail: string | null;
  outcome: string | null;
}

export function inboundEventFromRow(r: InboundEventRow): InboundEvent {
  return {
    id: Number(r.id),
    fingerprint: r.fingerprint,
    receivedAt: new Date(Number(r.received_at)),
    source: r.source,
    kind: r.kind,
    subscriberId: r.subscriber_id === null ? null : Number(r.subscriber_id),
    issueId: r.issue_id,
    status: r.status,
    diagnostic: r.diagnostic,
    detail: r.detail,
    outcome: r.outcome,
  };
}

const INSERT = `INSERT INTO inbound_events (fingerprint, received_at, source, kind, subscriber_id, issue_id, status, diagnostic, detail)
  VALUES (@fingerprint, @now, @source, @kind, @subscriberId, @issueId, @status, @diagnostic, @detail)
  ON CONFLICT (fingerprint) DO NOTHING RETURNING *`;
const EXISTING = 'SELECT * FROM inbound_events WHERE fingerprint = @fingerprint';

/** Moves a Subscriber to `to` only from the listed statuses (a bounce never re-subscribes anyone). */
function moveSubscriber(to: SubscriberStatus, from: SubscriberStatus[], id: number, now: number): Step {
  const col = STATUS_TIME_COLUMN[to];
  return {
    sql: `UPDATE subscribers SET status = '${to}', updated_at = @now${col ? `, ${col} = @now` : ''}
      WHERE id = @id AND status IN (${from.map((s) => `'${s}'`).join(', ')}) RETURNING id`,
    params: { id, now },
  };
}

const FAIL_DELIVERY = `UPDATE deliveries SET state = 'failed', last_code = @code, last_response = @response, next_attempt_at = NULL, updated_at = @now
  WHERE issue_id = @issueId AND subscriber_id = @subscriberId AND state IN ('accepted', 'unknown', 'deferred') RETURNING issue_id`;

/** The Subscriber's last N attempted Deliveries, each with whether a soft bounce came back for it. */
const SOFT_STREAK = `SELECT d.issue_id, (SELECT count(*) FROM inbound_events e
    WHERE e.subscriber_id = d.subscriber_id AND e.issue_id = d.issue_id AND e.kind = 'soft_bounce') AS soft
  FROM deliveries d WHERE d.subscriber_id = @subscriberId AND d.state IN ('accepted', 'failed', 'unknown')
  ORDER BY d.issue_id DESC LIMIT @limit`;

const SET_OUTCOME = 'UPDATE inbound_events SET outcome = @outcome WHERE id = @id';

export function* applySteps(e: NewInboundEvent, opts: { now: Date; softBounceLimit: number }): Generator<Step, InboundResult, Row[]> {
  const now = opts.now.getTime();
  const inserted = yield { sql: INSERT, params: { ...e, now } };
  if (inserted.length === 0) {
    const [existing] = yield { sql: EXISTING, params: { fingerprint: e.fingerprint } };
    return { recorded: false, event: inboundEventFromRow(existing as unknown as InboundEventRow) };
  }
  const event = inboundEventFromRow(inserted[0] as unknown as InboundEventRow);
  const changed: string[] = [];
  const sub = e.subscriberId;
  if (sub !== null) {
    if (e.kind === 'hard_bounce') {
      if ((yield moveSubscriber('bounced', ['active', 'pending'], sub, now)).length) changed.push('subscriber bounced');
      if (e.issueId) {
        const code = /^\s*([245]\d\d)\b/.exec(e.diagnostic ?? '')?.[1];
        const response = [e.status, e.diagnostic].filter(Boolean).join(' ') || 'bounced';
        const params = { issueId: e.issueId, subscriberId: sub, code: code ? Number(code) : null, response, now };
        if ((yield { sql: FAIL_DELIVERY, params }).length) changed.push('delivery failed');
      }
    } else if (e.kind === 'soft_bounce') {
      const streak = yield { sql: SOFT_STREAK, params: { subscriberId: sub, limit: opts.softBounceLimit } };
      if (streak.length >= opts.softBounceLimit && streak.every((r) => Number(r.soft) > 0)) {
        if ((yield moveSubscriber('bounced', ['active', 'pending'], sub, now)).length) changed.push(`subscriber bounced (${opts.softBounceLimit} soft bounces in a row)`);
      }
    } else if (e.kind === 'complaint') {
      if ((yield moveSubscriber('complained', ['active', 'pending', 'unsubscribed', 'bounced'], sub, now)).length) changed.push('subscriber complained');
    } else if (e.kind === 'unsubscribe') {
      if ((yield moveSubscriber('unsubscribed', ['active', 'pending'], sub, now)).length) changed.push('subscriber unsubscribed');
    }
  }
  const outcome = changed.join('; ') || 'nothing';
  yield { sql: SET_OUTCOME, params: { id: event.id, outcome } };
  return { recorded: true, event: { ...event, outcome } };
}

export const FIND_BY_MESSAGE_ID = 'SELECT * FROM deliveries WHERE message_id = @messageId LIMIT 1';
export const LIST_EVENTS = `SELECT * FROM inbound_events
  WHERE (CAST(@subscriberId AS BIGINT) IS NULL OR subscriber_id = @subscriberId) AND (CAST(@issueId AS TEXT) IS NULL OR issue_id = @issueId)
  ORDER BY id DESC LIMIT @limit`;

/** `@name` parameters → PostgreSQL's `$n` and the values in order (the same name reuses its number). */
export function toNumbered(step: Step): { text: string; values: unknown[] } {
  const names: string[] = [];
  const text = step.sql.replace(/@(\w+)/g, (_, name: string) => {
    let i = names.indexOf(name);
    if (i < 0) i = names.push(name) - 1;
    return `$${i + 1}`;
  });
  return { text, values: names.map((n) => step.params[n] ?? null) };
}
