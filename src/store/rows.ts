/**
 * Database rows → domain objects, shared by the SQLite and PostgreSQL Stores. Both keep the same
 * columns with times as integer milliseconds, so one mapping serves both and they cannot drift.
 */
import type { Lang } from '../model.ts';
import type { Delivery, DeliveryState, QueuedConfirmation, Send, SendTrigger, Subscriber, SubscriberStatus } from './store.ts';

export interface SubscriberRow {
  id: number;
  email: string;
  status: SubscriberStatus;
  lang: Lang;
  source: string;
  created_at: number;
  updated_at: number;
  confirmed_at: number | null;
  unsubscribed_at: number | null;
  suppressed_at: number | null;
  confirmation_sent_at: number | null;
}

export interface SendRow {
  issue_id: string;
  trigger: SendTrigger;
  total: number;
  created_at: number;
  finished_at: number | null;
  paused_until: number | null;
  pause_reason: string | null;
}

export interface DeliveryRow {
  issue_id: string;
  subscriber_id: number;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  lease_owner: string | null;
  message_id: string | null;
  last_code: number | null;
  last_response: string | null;
  updated_at: number;
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function subscriberFromRow(r: SubscriberRow): Subscriber {
  return {
    id: r.id,
    email: r.email,
    status: r.status,
    lang: r.lang,
    source: r.source,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    confirmedAt: date(r.confirmed_at),
    unsubscribedAt: date(r.unsubscribed_at),
    suppressedAt: date(r.suppressed_at),
    confirmationSentAt: date(r.confirmation_sent_at),
  };
}

export function sendFromRow(r: SendRow): Send {
  return {
    issueId: r.issue_id,
    trigger: r.trigger,
    total: r.total,
    createdAt: new Date(r.created_at),
    finishedAt: date(r.finished_at),
    pausedUntil: date(r.paused_until),
    pauseReason: r.pause_reason ?? null,
  };
}

export function deliveryFromRow(r: DeliveryRow): Delivery {
  return {
    issueId: r.issue_id,
    subscriberId: r.subscriber_id,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: date(r.next_attempt_at),
    leaseUntil: date(r.lease_until),
    leaseOwner: r.lease_owner,
    messageId: r.message_id,
    lastCode: r.last_code,
    lastResponse: r.last_response,
    updatedAt: new Date(r.updated_at),
  };
}

/** Which timestamp column records a move into each status (pending has none of its own). */
export const STATUS_TIME_COLUMN: Record<SubscriberStatus, string | null> = {
  pending: null,
  active: 'confirmed_at',
  unsubscribed: 'unsubscribed_at',
  bounced: 'suppressed_at',
  complained: 'suppressed_at',
};

export interface ConfirmationRow {
  subscriber_id: number;
  issued_at: number;
  message_id: string;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  lease_owner: string | null;
  last_error: string | null;
}

export function confirmationFromRow(r: ConfirmationRow): QueuedConfirmation {
  return {
    subscriberId: r.subscriber_id,
    issuedAt: new Date(r.issued_at),
    messageId: r.message_id,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at),
    leaseUntil: date(r.lease_until),
    leaseOwner: r.lease_owner,
    lastError: r.last_error,
  };
}
