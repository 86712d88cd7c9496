/**
 * Inbound events as the operator reads them in `sudi status` and `sudi subscribers show`. Pure.
 */
import type { InboundEvent } from '../store/inbound-store.ts';

export function eventLine(e: InboundEvent, who: string | null): string {
  return [
    `  ${e.receivedAt.toISOString()}`,
    `${e.kind}${e.status ? ` ${e.status}` : ''}`,
    who,
    e.diagnostic ? JSON.stringify(e.diagnostic.length > 120 ? `${e.diagnostic.slice(0, 119)}…` : e.diagnostic) : null,
    `→ ${e.outcome ?? 'nothing'}`,
    `(${e.source})`,
  ]
    .filter(Boolean)
    .join('  ');
}

/** Counts per kind, e.g. `hard_bounce 2  complaint 1`, or `none`. */
export function eventCounts(events: readonly InboundEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  return counts.size ? [...counts].map(([k, n]) => `${k} ${n}`).join('  ') : 'none';
}
