/** A Subscriber as every Store keeps it (CONTEXT.md: Subscriber). */
import type { Lang } from '../model.ts';

export type SubscriberStatus = 'pending' | 'active' | 'unsubscribed' | 'bounced' | 'complained';
export const SUBSCRIBER_STATUSES: readonly SubscriberStatus[] = ['pending', 'active', 'unsubscribed', 'bounced', 'complained'];

export interface Subscriber {
  id: number;
  email: string;
  status: SubscriberStatus;
  lang: Lang;
  /** Where the subscription came from: `web`, `cli`, `import:<file>`, … */
  source: string;
  createdAt: Date;
  updatedAt: Date;
  confirmedAt: Date | null;
  unsubscribedAt: Date | null;
  /** When the address was suppressed (bounced or complained). */
  suppressedAt: Date | null;
  /** When the last confirmation mail was queued (the one-per-24-h slot; see ConfirmationQueueStore). */
  confirmationSentAt: Date | null;
}
