/**
 * Importing parsed CSV rows (csv.ts) into the list: the rules `sudi subscribers import` and the
 * Console's import share. An old list never re-subscribes someone who left or whose mail bounced;
 * each row counts once, under the first change that applies.
 */
import type { ImportRow } from './csv.ts';
import { subscribe, type SubscriptionDeps } from './subscriptions.ts';

export interface ImportCounts {
  added: number;
  activated: number;
  relabelled: number;
  unchanged: number;
  left: number;
  queued: number;
}

export interface ImportReport {
  counts: ImportCounts;
  /** `FILE:LINE: address is unsubscribed; left as it is`, one per row left alone. */
  notes: string[];
}

export async function importRows(deps: SubscriptionDeps, rows: readonly ImportRow[], opts: { file: string; source: string; confirmed?: boolean; now: Date }): Promise<ImportReport> {
  const counts: ImportCounts = { added: 0, activated: 0, relabelled: 0, unchanged: 0, left: 0, queued: 0 };
  const notes: string[] = [];
  for (const row of rows) {
    const existing = await deps.store.findSubscriberByEmail(row.email);
    if (existing && existing.status !== 'pending' && existing.status !== 'active') {
      notes.push(`${opts.file}:${row.line}: ${row.email} is ${existing.status}; left as it is`);
      counts.left++;
      continue;
    }
    const r = await subscribe(deps, { email: row.email, lang: row.lang, source: opts.source, confirmed: opts.confirmed }, opts.now);
    if (r.queued) counts.queued++;
    if (!existing || r.outcome === 'created') counts.added++;
    else if (existing.status !== r.subscriber.status) counts.activated++;
    else if (existing.lang !== r.subscriber.lang) counts.relabelled++;
    else counts.unchanged++;
  }
  return { counts, notes };
}

/** The one-line summary both the CLI and the Console print. */
export function describeImport(file: string, c: ImportCounts, opts: { confirmed?: boolean; skipped: number }): string {
  return (
    `imported ${file}: ${c.added} added (${opts.confirmed ? 'active' : 'pending'}), ` +
    (opts.confirmed ? `${c.activated} activated (were pending), ` : '') +
    `${c.relabelled} with a new language, ${c.unchanged} unchanged, ` +
    `${c.left} unsubscribed/suppressed left alone, ${opts.skipped} bad line(s) skipped; ` +
    `${c.queued} confirmation mail(s) queued`
  );
}
