/**
 * A webhook event → the Store, like a message through the intake: the Delivery is found by our
 * Message-ID when the service passes it back (and only if it went to the address the service
 * names), otherwise the Subscriber by address; an address we do not know changes nothing.
 */
import type { Config } from '../config.ts';
import type { InboundResult } from '../store/inbound-store.ts';
import type { Store } from '../store/store.ts';
import { normalizeEmail } from '../subscribers/normalize-email.ts';
import type { WebhookEvent } from './webhooks.ts';

export async function applyWebhookEvent(
  e: WebhookEvent,
  deps: { store: Store; config: Pick<Config, 'softBounceLimit'>; now: Date; source: string },
): Promise<InboundResult> {
  let email: string | null = null;
  try {
    email = normalizeEmail(e.email);
  } catch {
    // Not an address we could have sent to: recorded as ignored below.
  }
  const subscriber = email ? await deps.store.findSubscriberByEmail(email) : null;
  const delivery = e.messageId ? await deps.store.findDeliveryByMessageId(e.messageId) : null;
  const issueId = delivery && subscriber && delivery.subscriberId === subscriber.id ? delivery.issueId : null;
  const found = subscriber
    ? { kind: e.kind, subscriberId: subscriber.id, issueId, detail: issueId ? `Message-ID ${e.messageId}` : `recipient ${subscriber.email}` }
    : { kind: 'ignored' as const, subscriberId: null, issueId: null, detail: `${e.kind.replace('_', ' ')} for ${e.email}, not a Subscriber` };
  return deps.store.applyInboundEvent(
    { ...found, fingerprint: e.fingerprint, source: deps.source, status: e.status, diagnostic: e.diagnostic },
    { now: deps.now, softBounceLimit: deps.config.softBounceLimit },
  );
}
