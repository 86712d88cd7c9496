/**
 * The Store: everything Sudi keeps between runs (Subscribers and the delivery ledger). One
 * interface, two implementations (SQLite, the embedded default; PostgreSQL to scale out), one
 * contract test suite. Callers never know which one they hold.
 *
 * Conventions every implementation follows:
 * - times are `Date` in the interface and integer milliseconds since the epoch in the database
 *   (portable across SQLite and PostgreSQL, no time-zone surprises);
 * - emails are stored normalized (see subscribers/normalize-email.ts) and unique;
 * - every multi-row change is one transaction.
 */
import type { Lang } from '../model.ts';
import type { Delivery, DeliveryState } from './delivery.ts';
import type { ConsoleStore } from './console-store.ts';
import type { InboundStore } from './inbound-store.ts';

export { DELIVERY_STATES, type Delivery, type DeliveryState } from './delivery.ts';

export { SUBSCRIBER_STATUSES, type Subscriber, type SubscriberStatus } from './subscriber.ts';
import type { Subscriber, SubscriberStatus } from './subscriber.ts';

export type SendTrigger = 'cli' | 'http' | 'schedule' | 'worker';

/** One run of one Issue. At most one per Issue, ever: the unique key is what makes triggers safe. */
export interface Send {
  issueId: string;
  trigger: SendTrigger;
  /** Number of Deliveries snapshotted when the Send started. */
  total: number;
  createdAt: Date;
  /** Set when no Delivery is left to attempt. */
  finishedAt: Date | null;
  /** A 4.7.x/5.7.x (policy, rate) reply, or the relay being unreachable, pauses the whole Send until then. */
  pausedUntil: Date | null;
  /** Why it was paused (the reply or connection error), as the last pause recorded it. */
  pauseReason: string | null;
}

/** A Delivery handed to a sender, with what it needs of the Subscriber (re-read at claim time). */
export interface ClaimedDelivery extends Delivery {
  email: string;
  lang: Lang;
  /**
   * The state the row had before this claim: `queued`, `deferred`, `unknown`, or `sending` when an
   * expired lease was taken over. `unknown` and `sending` mean the previous attempt may have been
   * delivered: the sender resends it once with the same Message-ID, and an unknown outcome of that
   * resend is final.
   */
  previousState: DeliveryState;
}

export interface SubscriberStore {
  findSubscriberByEmail(email: string): Promise<Subscriber | null>;
  getSubscriber(id: number): Promise<Subscriber | null>;
  /**
   * Inserts a Subscriber; throws SudiError E_CONFLICT if the email exists. With `confirmation` (a
   * pending sign-up), the same transaction takes the 24-hour slot (confirmationSentAt = now) and
   * queues the confirmation mail (see ConfirmationQueueStore): all three or none.
   */
  insertSubscriber(s: {
    email: string;
    status: SubscriberStatus;
    lang: Lang;
    source: string;
    now: Date;
    confirmation?: { messageId: string };
  }): Promise<Subscriber>;
  /** Changes status (and the matching timestamp); returns the updated row, null if no such id. */
  setSubscriberStatus(id: number, status: SubscriberStatus, now: Date): Promise<Subscriber | null>;
  updateSubscriber(id: number, patch: { lang?: Lang; source?: string }, now: Date): Promise<Subscriber | null>;
  deleteSubscriber(id: number): Promise<boolean>;
  /** Keyset-paged listing by id (stable, bounded memory for exports of any size). */
  listSubscribers(q: { status?: SubscriberStatus; afterId?: number; limit: number }): Promise<Subscriber[]>;
  countSubscribers(status?: SubscriberStatus): Promise<number>;
}

/**
 * A confirmation mail owed to a pending Subscriber and not yet accepted (the confirmation queue).
 * Its link's issued-at and its Message-ID are fixed when it is queued, so every attempt sends the
 * same mail: a resend after a crash between the server's 250 and our commit is a copy with the same
 * Message-ID, never a second confirmation.
 */
export interface QueuedConfirmation {
  subscriberId: number;
  issuedAt: Date;
  messageId: string;
  /** Attempts that ended in a temporary failure. */
  attempts: number;
  nextAttemptAt: Date;
  leaseUntil: Date | null;
  leaseOwner: string | null;
  lastError: string | null;
}

/**
 * How an attempt ended:
 * - `done`: accepted (or no longer owed: the Subscriber is gone or no longer pending). The row goes;
 *   the 24-hour slot stays taken, counted from when the mail was queued.
 * - `retry`: a temporary failure; the row stays, due again at `nextAttemptAt`, lease released.
 * - `given-up`: a permanent failure or too old to retry. The row goes and the slot is released, so
 *   the person's next sign-up queues a fresh mail at once: the slot only ever stands for a mail that
 *   is queued or was accepted.
 */
export type ConfirmationOutcome = { kind: 'done' } | { kind: 'retry'; nextAttemptAt: Date; error: string } | { kind: 'given-up'; error: string };

export interface ConfirmationQueueStore {
  /**
   * In one transaction: takes the Subscriber's 24-hour slot (confirmation_sent_at = now, only if the
   * previous one is older than `notBefore` or absent) and queues the mail, due at once. True if it
   * was queued. Race-safe: of many concurrent callers for one Subscriber at most one gets true.
   */
  queueConfirmation(id: number, q: { now: Date; notBefore: Date; messageId: string }): Promise<boolean>;
  /**
   * Leases up to `limit` due rows (next_attempt_at ≤ now, not leased, lease expired, or leased by one
   * of `takeOverFrom`: senders known to be dead) to `owner` until now + leaseMs. Safe under
   * concurrent callers in any number of processes.
   */
  claimConfirmations(q: { owner: string; now: Date; leaseMs: number; limit: number; takeOverFrom?: readonly string[] }): Promise<QueuedConfirmation[]>;
  /** Records how an attempt ended, only if `owner` still holds the lease (false otherwise). */
  settleConfirmation(id: number, owner: string, outcome: ConfirmationOutcome): Promise<boolean>;
  /** Holders of unexpired leases (to recognise senders on this host that died). */
  confirmationLeaseOwners(now: Date): Promise<string[]>;
  /** When the next row falls due (its retry time, or its lease's expiry), null if the queue is empty. */
  nextConfirmationDue(): Promise<Date | null>;
  /** The queue in due order (for status output and tests; it holds only mail not yet accepted). */
  listQueuedConfirmations(limit: number): Promise<QueuedConfirmation[]>;
}

export interface LedgerStore {
  /**
   * Starts the Send of an Issue, or finds the one that exists. In one transaction: insert the
   * `sends` row (unique per issue) and, only if it was new, one `queued` Delivery per active
   * Subscriber (the snapshot). Cron, CLI and HTTP all come through here.
   */
  startSend(issueId: string, opts: { trigger: SendTrigger; now: Date }): Promise<{ send: Send; created: boolean }>;
  getSend(issueId: string): Promise<Send | null>;
  listSends(): Promise<Send[]>;
  /**
   * Leases up to `limit` Deliveries that are due (queued; deferred/unknown with next_attempt_at ≤
   * now; sending with an expired lease) for `owner` until now + leaseMs, moving them to `sending`
   * and incrementing attempts. Rows whose Subscriber is no longer active become `suppressed` and
   * are not returned. Nothing is returned while the Send is paused. Safe under concurrent callers
   * (SQLite: one writer transaction; PostgreSQL: FOR UPDATE SKIP LOCKED). `issueId` undefined =
   * any unfinished Send.
   */
  claimDeliveries(q: { issueId?: string; owner: string; now: Date; leaseMs: number; limit: number }): Promise<ClaimedDelivery[]>;
  /** Records the Message-ID before the message is handed to SMTP (stable across retries). */
  setMessageId(issueId: string, subscriberId: number, messageId: string): Promise<void>;
  /**
   * Commits the outcome of one attempt, only if `owner` still holds the lease (returns false
   * otherwise: another worker took the row over after the lease expired).
   */
  recordOutcome(
    issueId: string,
    subscriberId: number,
    outcome: {
      owner: string;
      state: Exclude<DeliveryState, 'queued' | 'sending'>;
      code?: number | null;
      response?: string | null;
      nextAttemptAt?: Date | null;
      now: Date;
    },
  ): Promise<boolean>;
  /**
   * Commits that a claimed Delivery was never handed to SMTP (the relay unreachable, the sender
   * stopping, the Send paused meanwhile): it leaves `sending` for `state` without counting as an
   * attempt (attempts goes back down), due again at `nextAttemptAt`. Only if `owner` holds the lease.
   */
  releaseDelivery(
    issueId: string,
    subscriberId: number,
    r: { owner: string; state: 'queued' | 'deferred' | 'unknown'; nextAttemptAt: Date | null; now: Date },
  ): Promise<boolean>;
  /** Pauses the Send until `until` (never shortens a longer pause), recording why. */
  pauseSend(issueId: string, until: Date, reason?: string): Promise<void>;
  /**
   * An operator's explicit resume: ends the pause at once and makes every deferred Delivery due
   * now. Returns the pause that was lifted (null if the Send was not paused at `now`).
   */
  resumeSend(issueId: string, now: Date): Promise<{ pausedUntil: Date; reason: string | null } | null>;
  /** Sets finished_at if no Delivery is queued, sending, deferred or retryable-unknown. Returns the Send. */
  finishSendIfDone(issueId: string, now: Date): Promise<Send | null>;
  deliveryCounts(issueId: string): Promise<Record<DeliveryState, number>>;
  listDeliveries(q: { issueId: string; states?: DeliveryState[]; afterSubscriberId?: number; limit: number }): Promise<Delivery[]>;
}

/** Paces message starts (SEND_RATE); the same shape as the delivery engine's per-process pacer. */
export interface SendPacer {
  /** Resolves when the next SMTP transaction may start, with a function to call when it ended; null if aborted. */
  take(signal?: AbortSignal): Promise<(() => void) | null>;
}

export interface Store extends SubscriberStore, ConfirmationQueueStore, LedgerStore, InboundStore, ConsoleStore {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * SEND_RATE shared by every process sending from this database (PostgreSQL: `sudi worker`s,
   * `sudi send` and schedulers on any machines together). Absent where each process paces itself.
   */
  sharedPacer?(rate: number): SendPacer;
  close(): Promise<void>;
}
