/**
 * A Delivery as the ledger keeps it: its own module because both halves of the Store use it (the
 * ledger in store.ts, inbound events in inbound-store.ts), and store.ts builds on inbound-store.ts.
 * store.ts re-exports it: callers import it from there.
 */

/** Delivery states; see CONTEXT.md and DESIGN.md (Delivery). */
export type DeliveryState = 'queued' | 'sending' | 'accepted' | 'deferred' | 'failed' | 'suppressed' | 'unknown';
export const DELIVERY_STATES: readonly DeliveryState[] = ['queued', 'sending', 'accepted', 'deferred', 'failed', 'suppressed', 'unknown'];

export interface Delivery {
  issueId: string;
  subscriberId: number;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date | null;
  leaseUntil: Date | null;
  leaseOwner: string | null;
  messageId: string | null;
  lastCode: number | null;
  lastResponse: string | null;
  updatedAt: Date;
}
