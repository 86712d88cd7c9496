/**
 * From what a message reports to the event it is for us: which Delivery or Subscriber it names,
 * checked under SECRET, and what kind of event it is. Reads the Store, never writes it.
 *
 * Ways back, in order: a signed VERP address (the envelope recipient first, then the report's
 * headers, then the returned copy); our Message-ID found in the returned original, In-Reply-To or
 * References (an HMAC too, so it cannot be guessed); for a message that is neither a bounce nor a
 * complaint, a signed mailto unsubscribe address. An address of ours that fails its check is
 * ignored and said so in `detail` (the intake logs it); it never changes anything.
 */
import type { NewInboundEvent } from '../store/inbound-store.ts';
import type { Store } from '../store/store.ts';
import { checkUnsubscribe, checkVerp } from './addresses.ts';
import type { InboundReport } from './read-message.ts';

export type Identified = Omit<NewInboundEvent, 'fingerprint' | 'source'>;

export async function identify(report: InboundReport, secret: string, store: Pick<Store, 'getSubscriber' | 'findDeliveryByMessageId'>): Promise<Identified> {
  const problems: string[] = [];
  let delivery: { issueId: string; subscriberId: number; via: string } | null = null;
  let unsubscriber: { subscriberId: number; via: string } | null = null;
  for (const a of report.addresses) {
    if (a.kind === 'verp') {
      if (checkVerp(secret, a)) delivery ??= { issueId: a.issueId, subscriberId: a.subscriberId, via: `VERP ${a.address}` };
      else problems.push(`tampered VERP address ${a.address} (signature does not match)`);
    } else if (a.kind === 'unsubscribe') {
      const s = await store.getSubscriber(a.subscriberId);
      if (s && checkUnsubscribe(secret, a, s.email)) unsubscriber ??= { subscriberId: s.id, via: `mailto ${a.address}` };
      else problems.push(`tampered or stale unsubscribe address ${a.address} (signature does not match a Subscriber)`);
    } else {
      problems.push(`unsigned address ${a.address} (${a.why})`);
    }
  }
  if (!delivery) {
    for (const id of report.messageIds) {
      const d = await store.findDeliveryByMessageId(id);
      if (d) {
        delivery = { issueId: d.issueId, subscriberId: d.subscriberId, via: `Message-ID ${id}` };
        break;
      }
    }
  }

  const base = { status: report.status, diagnostic: report.diagnostic };
  const detail = (via: string) => [via, ...problems].join('; ');
  if (report.kind === 'other') {
    if (unsubscriber) return { ...base, kind: 'unsubscribe', subscriberId: unsubscriber.subscriberId, issueId: null, detail: detail(unsubscriber.via) };
    return { ...base, kind: 'ignored', subscriberId: null, issueId: null, detail: [report.diagnostic ?? 'not a bounce, complaint or unsubscribe', ...problems].join('; ') };
  }
  if (!delivery) {
    const why = `${report.kind.replace('_', ' ')} naming no Delivery of ours`;
    return { ...base, kind: 'ignored', subscriberId: null, issueId: null, detail: [why, ...problems].join('; ') };
  }
  return { ...base, kind: report.kind, subscriberId: delivery.subscriberId, issueId: delivery.issueId, detail: detail(delivery.via) };
}
