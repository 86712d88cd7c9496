/**
 * What the Console needs from the rest of Sudi, and nothing more: the consumer-owned interface.
 * src/console/from-app.ts builds it from the server's wiring; the Console's modules know only this.
 */
import type { Config } from '../config.ts';
import type { LineLog } from '../log.ts';
import type { Issue, Lang } from '../model.ts';
import type { LoadResult } from '../content/load-issues.ts';
import type { RenderedEmail } from '../render/email.ts';
import type { ConsoleStore } from '../store/console-store.ts';
import type { InboundStore } from '../store/inbound-store.ts';
import type { LedgerStore, SubscriberStore, ConfirmationQueueStore } from '../store/store.ts';
import type { SendResult } from '../delivery/transport.ts';

export type ConsoleConfig = Pick<Config, 'siteUrl' | 'mailFrom'> & {
  adminToken: string;
  /** Wrong tokens allowed per client address within the window, at sign-in (as for the bearer endpoint). */
  signInLimit: { failures: number; windowMs: number };
};

/** The Subscriber half whole: the CSV import goes through subscriptions.ts, which needs it. */
export type ConsoleStoreView = ConsoleStore &
  SubscriberStore &
  ConfirmationQueueStore &
  Pick<LedgerStore, 'getSend' | 'listSends' | 'deliveryCounts' | 'listDeliveries' | 'pauseSend'> &
  Pick<InboundStore, 'listInboundEvents'>;

export interface SendStarted {
  created: boolean;
  alreadyRunning: boolean;
  resumed: { pausedUntil: Date; reason: string | null } | null;
}

export interface ConsoleDeps {
  config: ConsoleConfig;
  store: ConsoleStoreView;
  secret: string;
  now(): Date;
  log: LineLog;
  /** Every issue file checked, as `sudi check` does. */
  loadIssues(): Promise<LoadResult>;
  /**
   * The trigger /admin/send uses: start the Send of a ready Issue or resume it, a paused one at once
   * unless `resume: false` (a retry of failed rows must not lift an operator's or a relay's pause).
   */
  startSend(issue: Issue, clientAddress: string, opts?: { resume?: boolean }): Promise<SendStarted>;
  /** This process is delivering this Send now. */
  delivering(issueId: string): boolean;
  /** One language edition of an Issue as sent (placeholders filled with preview links). */
  edition(issue: Issue, lang: Lang): Promise<Pick<RenderedEmail, 'subject' | 'html' | 'text'>>;
  /** Sends one language edition to one address through the real transport, marked as a test. */
  testSend(issue: Issue, lang: Lang, address: string): Promise<SendResult>;
  /** A confirmation mail was queued (an import): the server's sender should look now. */
  wakeConfirmations(): void;
}
