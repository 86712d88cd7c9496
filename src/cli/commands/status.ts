import type { Command } from 'commander';
import type { Delivery, DeliveryState, Store } from '../../store/store.ts';
import { eventCounts, eventLine } from '../../inbound/event-lines.ts';
import { withIssuesOption, type CliContext } from '../context.ts';

const SHOWN = 20;
const EVENTS_COUNTED = 1000;

/** `sudi status ISSUE|latest`: the Send of an issue as the ledger has it. */
export function registerStatus(program: Command, ctx: CliContext): void {
  withIssuesOption(program.command('status'))
    .argument('<issue>', 'issue id (e.g. 2024-04-15) or latest (the newest ready issue)')
    .description('show the send of an issue: deliveries per state, failures with their SMTP replies, when deferred ones retry')
    .action(async (ref: string, opts: { issues: string }) =>
      ctx.withApp(opts, async (app) => {
        const { findIssue } = await import('../../content/load-issues.ts');
        const issue = await findIssue(app.config.issuesDir, ref);
        const store = await app.store();
        const send = await store.getSend(issue.id);
        ctx.out(`issue ${issue.id}  ${issue.title}  (${issue.status}, publish_at ${issue.publish_at})`);
        if (!send) {
          ctx.out('not sent: no send has been started for it');
          return;
        }
        const now = app.now();
        const state = send.finishedAt
          ? `finished ${send.finishedAt.toISOString()}`
          : send.pausedUntil && send.pausedUntil > now
            ? `paused until ${send.pausedUntil.toISOString()}: ${send.pauseReason ?? 'no reason recorded'} (\`sudi send ${issue.id}\` resumes it now)`
            : send.pausedUntil && send.pauseReason
              ? `not finished (its last pause ended ${send.pausedUntil.toISOString()}: ${send.pauseReason})`
              : 'not finished';
        ctx.out(`send: started ${send.createdAt.toISOString()} (${send.trigger}), ${send.total} deliveries, ${state}`);
        const counts = await store.deliveryCounts(issue.id);
        ctx.out(`  ${(Object.entries(counts) as [DeliveryState, number][]).map(([s, n]) => `${s} ${n}`).join('  ')}`);

        if (counts.failed > 0) {
          ctx.out(`failed (${counts.failed}):`);
          for (const line of await rows(store, issue.id, 'failed', (d, email) => `  ${email}  ${d.lastResponse ?? ''}  (attempts ${d.attempts})`)) ctx.out(line);
        }
        if (counts.unknown > 0) {
          ctx.out(`unknown (${counts.unknown}): the whole message was sent and the connection was lost before the reply; it may have been delivered`);
          for (const line of await rows(store, issue.id, 'unknown', (d, email) => `  ${email}  ${d.messageId ?? ''}  ${unknownNext(d)}`)) ctx.out(line);
        }
        if (counts.deferred > 0) {
          const retries = await all(store, issue.id, 'deferred');
          const times = retries.map((d) => d.nextAttemptAt?.getTime() ?? 0).sort((a, b) => a - b);
          ctx.out(`deferred (${counts.deferred}): retries due from ${new Date(times[0]!).toISOString()} to ${new Date(times.at(-1)!).toISOString()}`);
          for (const d of retries.slice(0, SHOWN)) {
            const sub = await store.getSubscriber(d.subscriberId);
            ctx.out(`  ${sub?.email ?? `#${d.subscriberId}`}  ${d.lastResponse ?? ''}  (attempts ${d.attempts}, retry due ${d.nextAttemptAt?.toISOString() ?? '?'})`);
          }
          if (retries.length > SHOWN) ctx.out(`  … and ${retries.length - SHOWN} more`);
        }
        const events = await store.listInboundEvents({ issueId: issue.id, limit: EVENTS_COUNTED });
        if (events.length > 0) {
          ctx.out(`came back: ${eventCounts(events)}${events.length === EVENTS_COUNTED ? ` (the latest ${EVENTS_COUNTED})` : ''}; newest first:`);
          for (const e of events.slice(0, SHOWN)) ctx.out(eventLine(e, e.subscriberId === null ? null : ((await store.getSubscriber(e.subscriberId))?.email ?? `#${e.subscriberId}`)));
        }
        if (counts.sending > 0) ctx.out(`sending (${counts.sending}): leased by a sender right now; its outcome is recorded when the SMTP server replies`);
        if (counts.queued > 0 && !send.finishedAt) ctx.out(`queued (${counts.queued}): not attempted yet; \`sudi send ${issue.id}\` resumes the send`);
      }),
    );
}

/** An unknown row says what the ledger holds: a resend that is due (not made yet), or none. */
function unknownNext(d: Delivery): string {
  return d.nextAttemptAt
    ? `to be resent once with the same Message-ID, due ${d.nextAttemptAt.toISOString()}`
    : `left as unknown: ${d.attempts > 1 ? 'its one resend also went unanswered' : 'not resent'}`;
}

async function all(store: Store, issueId: string, state: DeliveryState): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for (let after = 0; ; ) {
    const page = await store.listDeliveries({ issueId, states: [state], afterSubscriberId: after, limit: 1000 });
    if (page.length === 0) return out;
    out.push(...page);
    after = page.at(-1)!.subscriberId;
  }
}

async function rows(store: Store, issueId: string, state: DeliveryState, line: (d: Delivery, email: string) => string): Promise<string[]> {
  const page = await store.listDeliveries({ issueId, states: [state], limit: SHOWN + 1 });
  const out: string[] = [];
  for (const d of page.slice(0, SHOWN)) out.push(line(d, (await store.getSubscriber(d.subscriberId))?.email ?? `#${d.subscriberId} (deleted)`));
  if (page.length > SHOWN) out.push(`  … and more: \`sudi status\` shows the first ${SHOWN}`);
  return out;
}
