/**
 * What the operator's Console asks of the Store beyond the rest of the interface: finding
 * Subscribers by part of their address, counts and growth per week, one Subscriber's Deliveries,
 * and putting failed Deliveries back in the queue. Implemented by both Stores (sqlite/console.ts,
 * postgres/console.ts); one contract suite (tests/store/contract-console.ts).
 */
import type { Lang } from '../model.ts';
import type { Delivery } from './delivery.ts';
import type { Subscriber, SubscriberStatus } from './subscriber.ts';

export interface SubscriberQuery {
  /** Part of the (normalized, lower-case) address; matched literally, not as a pattern. */
  text?: string;
  status?: SubscriberStatus;
  lang?: Lang;
  /** Keyset paging by id, as listSubscribers. */
  afterId?: number;
  limit: number;
}

/** Subscribers per status and language (only the combinations that exist). */
export interface SubscriberTally {
  status: SubscriberStatus;
  lang: Lang;
  n: number;
}

/** One week (Monday 00:00 UTC) of the list's history. */
export interface WeekGrowth {
  weekStart: Date;
  /** Subscribers created that week (any status now). */
  signedUp: number;
  /** Confirmations that week. */
  confirmed: number;
  /** Unsubscribed or suppressed that week. */
  left: number;
}

export interface ConsoleStore {
  searchSubscribers(q: SubscriberQuery): Promise<Subscriber[]>;
  tallySubscribers(): Promise<SubscriberTally[]>;
  /** Weeks from the one holding `since` on, oldest first; weeks with nothing in them are left out. */
  subscriberGrowth(since: Date): Promise<WeekGrowth[]>;
  /** The Deliveries of one Subscriber, newest Issue first. */
  subscriberDeliveries(subscriberId: number, limit: number): Promise<Delivery[]>;
  /**
   * An operator's "retry now": `failed` Deliveries of the Send (all, or those of `subscriberIds`)
   * whose Subscriber is still active go back to `queued` with their attempts reset, and the Send is
   * unfinished again. A Subscriber suppressed by the failure (5.1.x, bounced) or who left is not
   * retried. Returns how many went back.
   */
  retryFailedDeliveries(issueId: string, q: { subscriberIds?: readonly number[]; now: Date }): Promise<number>;
}

/** Monday 1970-01-05 00:00 UTC: weeks are counted from it. */
export const WEEK_ORIGIN_MS = 4 * 24 * 3600 * 1000;
export const WEEK_MS = 7 * 24 * 3600 * 1000;
