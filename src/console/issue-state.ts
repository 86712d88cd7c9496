/**
 * Where an Issue stands, for the Console's list: pure, from the Issue, its Send and the ledger's
 * counts. Words follow CONTEXT.md.
 *
 *   draft          status: draft
 *   due            ready, publish_at still ahead ("due at …")
 *   ready          ready and Published, no Send yet
 *   sending        a Send that is not finished (paused or not)
 *   sent           a finished Send without failed Deliveries
 *   partly failed  a finished Send with failed Deliveries
 */
import type { Issue } from '../model.ts';
import type { DeliveryState, Send } from '../store/store.ts';

export type IssueStateKind = 'draft' | 'due' | 'ready' | 'sending' | 'sent' | 'partly-failed';

export interface IssueState {
  kind: IssueStateKind;
  /** What the operator reads, e.g. `due at 2024-04-20 01:00 UTC`, `sending (paused)`. */
  label: string;
}

export function issueState(issue: Pick<Issue, 'status' | 'publish_at'>, send: Send | null, counts: Record<DeliveryState, number> | null, now: Date): IssueState {
  if (send) {
    if (!send.finishedAt) {
      const paused = send.pausedUntil && send.pausedUntil > now;
      return { kind: 'sending', label: paused ? 'sending (paused)' : 'sending' };
    }
    const failed = counts?.failed ?? 0;
    return failed > 0 ? { kind: 'partly-failed', label: `partly failed (${failed} failed)` } : { kind: 'sent', label: 'sent' };
  }
  if (issue.status === 'draft') return { kind: 'draft', label: 'draft' };
  const at = new Date(issue.publish_at);
  if (at > now) return { kind: 'due', label: `due at ${formatTime(at)}` };
  return { kind: 'ready', label: 'ready' };
}

/** `2024-04-20 01:00 UTC`: one unambiguous form everywhere in the Console. */
export function formatTime(d: Date | null | undefined): string {
  return d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';
}
