/**
 * The inbound half of the Store: events that came back (bounces, complaints, auto-replies, mailto
 * unsubscribes) and what they did to Subscribers and Deliveries. Implemented by both Stores; the
 * rules live once, in inbound-steps.ts.
 */
import type { Delivery } from './delivery.ts';

export type InboundEventKind = 'hard_bounce' | 'soft_bounce' | 'complaint' | 'unsubscribe' | 'autoreply' | 'ignored';

export interface NewInboundEvent {
  /** Unique per message (SHA-256 of its bytes) or per webhook event (`mailgun:<id>`). */
  fingerprint: string;
  /** How it came in: `smtp`, `file`, `imap`, `mailgun`, `postmark`. */
  source: string;
  kind: InboundEventKind;
  subscriberId: number | null;
  issueId: string | null;
  /** Enhanced status code, e.g. `5.1.1`. */
  status: string | null;
  diagnostic: string | null;
  /** Why it was read this way (which address or Message-ID named the Delivery, or why it was ignored). */
  detail: string | null;
}

export interface InboundEvent extends NewInboundEvent {
  id: number;
  receivedAt: Date;
  /** What it changed, e.g. `subscriber bounced; delivery failed`, or `nothing`. */
  outcome: string | null;
}

export interface InboundResult {
  /** false: this fingerprint was recorded before, and nothing was changed this time. */
  recorded: boolean;
  event: InboundEvent;
}

export interface InboundStore {
  /** The Delivery that carried this Message-ID (angle brackets included), if any. */
  findDeliveryByMessageId(messageId: string): Promise<Delivery | null>;
  /**
   * Records the event and applies it, in one transaction: hard bounce → Subscriber `bounced` (from
   * active or pending) and Delivery `failed` with the diagnostic (from accepted, unknown or
   * deferred); soft bounce → Subscriber `bounced` once the last `softBounceLimit` Issues it was sent
   * all soft-bounced; complaint → `complained`; unsubscribe → `unsubscribed` (from active or
   * pending); others change nothing. A fingerprint seen before changes nothing.
   */
  applyInboundEvent(e: NewInboundEvent, opts: { now: Date; softBounceLimit: number }): Promise<InboundResult>;
  /** Newest first. */
  listInboundEvents(q: { subscriberId?: number; issueId?: string; limit: number }): Promise<InboundEvent[]>;
}
