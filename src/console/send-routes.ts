/**
 * The Console's Sends: the ledger's counts by state, live (Server-Sent Events), the rate, the pause
 * and why, failures with the server's response, and retry now / pause / resume. Resume goes through
 * the same trigger as /admin/send (one Send per Issue still holds: the ledger's unique insert).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logEvent } from '../log.ts';
import type { Issue } from '../model.ts';
import { DELIVERY_STATES, type DeliveryState, type Send } from '../store/store.ts';
import type { ConsoleDeps } from './deps.ts';
import { formatTime } from './issue-state.ts';
import type { Ui } from './ui.ts';

const ISSUE_ID = /^\d{4}-\d{2}-\d{2}$/;
/** How often a live page's numbers are read from the ledger. */
export const EVENT_INTERVAL_MS = 500;
/** An operator's pause holds the Send this long at most, or until Resume. */
export const OPERATOR_PAUSE_MS = 30 * 24 * 3600_000;
export const OPERATOR_PAUSE_REASON = 'paused by the operator in the console';
const SHOWN_PROBLEMS = 200;

/** Deliveries past their last attempt (accepted, failed, suppressed, unknown): what "done" counts. */
const settled = (c: Record<DeliveryState, number>) => c.accepted + c.failed + c.suppressed + c.unknown;

export interface SendSnapshot {
  issueId: string;
  total: number;
  counts: Record<DeliveryState, number>;
  settled: number;
  finished: boolean;
  finishedAt: string;
  running: boolean;
  paused: { until: string; reason: string } | null;
}

export async function sendRoutes(fastify: FastifyInstance, deps: ConsoleDeps, ui: Ui): Promise<void> {
  const snapshot = async (send: Send): Promise<SendSnapshot> => {
    const counts = await deps.store.deliveryCounts(send.issueId);
    const now = deps.now();
    return {
      issueId: send.issueId,
      total: send.total,
      counts,
      settled: settled(counts),
      finished: !!send.finishedAt,
      finishedAt: formatTime(send.finishedAt),
      running: deps.delivering(send.issueId),
      paused: send.pausedUntil && send.pausedUntil > now && !send.finishedAt ? { until: formatTime(send.pausedUntil), reason: send.pauseReason ?? 'no reason recorded' } : null,
    };
  };
  const theSend = async (req: FastifyRequest, reply: FastifyReply): Promise<Send | null> => {
    const { id } = req.params as { id: string };
    const send = ISSUE_ID.test(id) ? await deps.store.getSend(id) : null;
    if (!send) ui.notice(req, reply, 404, 'No such send', `Issue ${ISSUE_ID.test(id) ? id : '(that name)'} has not been sent.`);
    return send;
  };
  /** The Issue to send on with: ready, from a set of files without problems (as /admin/send). */
  const theIssue = async (id: string): Promise<Issue | null> => {
    const r = await deps.loadIssues();
    const issue = r.problems.length > 0 ? null : r.issues.find((i) => i.id === id);
    return issue?.status === 'ready' ? issue : null;
  };

  fastify.get('/admin/sends/:id', async (req, reply) => {
    const send = await theSend(req, reply);
    if (!send) return reply;
    const snap = await snapshot(send);
    const problems = await deps.store.listDeliveries({ issueId: send.issueId, states: ['failed', 'deferred', 'unknown'], limit: SHOWN_PROBLEMS });
    const rows = await Promise.all(
      problems.map(async (d) => {
        const s = await deps.store.getSubscriber(d.subscriberId);
        // Retry is offered where the classify rules allow it: not for an address the failure
        // suppressed (5.1.x → bounced) or one that has left since.
        return { ...d, email: s?.email ?? `#${d.subscriberId} (removed)`, subscriberStatus: s?.status ?? 'removed', retryable: d.state === 'failed' && s?.status === 'active', updated: formatTime(d.updatedAt), next: formatTime(d.nextAttemptAt) };
      }),
    );
    const elapsed = ((send.finishedAt ?? deps.now()).getTime() - send.createdAt.getTime()) / 1000;
    return ui.page(req, reply, 'send', `Send of ${send.issueId}`, {
      send: { ...snap, trigger: send.trigger, createdAt: formatTime(send.createdAt) },
      states: DELIVERY_STATES.map((s) => ({ state: s, n: snap.counts[s] })),
      averageRate: elapsed > 0 ? (snap.counts.accepted / elapsed).toFixed(1) : '0.0',
      rows,
      retryable: rows.some((r) => r.retryable),
      more: problems.length === SHOWN_PROBLEMS,
    });
  });

  // Live progress: one event a tick while anything changes, `done` once the Send is finished.
  const streams = new Set<() => void>();
  fastify.addHook('preClose', async () => {
    for (const end of streams) end();
  });
  fastify.get('/admin/sends/:id/events', async (req, reply) => {
    const send = await theSend(req, reply);
    if (!send) return reply;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    const samples: { at: number; accepted: number }[] = [];
    let last = '';
    let timer: NodeJS.Timeout | undefined;
    const end = () => {
      clearTimeout(timer);
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    req.raw.on('close', end);
    const tick = async () => {
      try {
        const current = await deps.store.getSend(send.issueId);
        if (!current || res.writableEnded) return end();
        const snap = await snapshot(current);
        if (res.writableEnded) return; // ended (client gone, shutdown) while the Store answered
        // The rate over the last ten seconds of samples: accepted messages per second.
        const at = Date.now();
        samples.push({ at, accepted: snap.counts.accepted });
        while (samples.length > 2 && at - samples[0]!.at > 10_000) samples.shift();
        const first = samples[0]!;
        const rate = at > first.at ? ((snap.counts.accepted - first.accepted) * 1000) / (at - first.at) : 0;
        const data = JSON.stringify({ ...snap, rate: Number(rate.toFixed(1)) });
        if (data !== last) res.write(`event: progress\ndata: ${data}\n\n`);
        last = data;
        if (snap.finished) {
          res.write(`event: done\ndata: ${data}\n\n`);
          return end();
        }
        timer = setTimeout(() => void tick(), EVENT_INTERVAL_MS);
      } catch (e) {
        if (res.writableEnded) return; // the Store closed at shutdown under a stream already ended
        logEvent(deps.log, 'error', { issue: send.issueId }, `console: progress of ${send.issueId} failed: ${(e as Error).message}`);
        end();
      }
    };
    res.write('retry: 2000\n\n');
    await tick();
  });

  fastify.post('/admin/sends/:id/retry', async (req, reply) => {
    const send = await theSend(req, reply);
    if (!send) return reply;
    const back = `/admin/sends/${send.issueId}`;
    // Absent: every failed Delivery; present: exactly that Subscriber's, or nothing at all.
    const field = (req.body as { subscriber?: unknown }).subscriber;
    const one = field === undefined ? undefined : Number(field);
    if (one !== undefined && !(Number.isSafeInteger(one) && one > 0)) return ui.notice(req, reply, 400, 'Not a Subscriber', 'That retry names no Subscriber.', back);
    // Checked before the ledger changes: rows queued again with no loop to send them would be stuck.
    const issue = await theIssue(send.issueId);
    if (!issue) return ui.redirect(req, reply, back, 'Nothing was retried: the issue is not ready, or the issue files do not pass check now; fix them first.');
    const n = await deps.store.retryFailedDeliveries(send.issueId, { subscriberIds: one === undefined ? undefined : [one], now: deps.now() });
    if (n === 0) return ui.redirect(req, reply, back, 'Nothing to retry: no failed Delivery of an active Subscriber.');
    await deps.startSend(issue, req.ip, { resume: false });
    logEvent(deps.log, 'info', { issue: send.issueId, clientAddress: req.ip, retried: n }, `console: retried ${n} failed Deliveries of ${send.issueId}`);
    const paused = send.pausedUntil && send.pausedUntil > deps.now() ? send.pausedUntil : null;
    return ui.redirect(
      req,
      reply,
      back,
      paused
        ? `${n} failed Deliver${n === 1 ? 'y' : 'ies'} queued again; the send stays paused until ${paused.toISOString()} (${send.pauseReason ?? 'no reason recorded'}): Resume to send them now.`
        : `${n} failed Deliver${n === 1 ? 'y' : 'ies'} queued again and sending.`,
    );
  });

  fastify.post('/admin/sends/:id/pause', async (req, reply) => {
    const send = await theSend(req, reply);
    if (!send) return reply;
    const back = `/admin/sends/${send.issueId}`;
    if (send.finishedAt) return ui.redirect(req, reply, back, 'This send is finished; there is nothing to pause.');
    await deps.store.pauseSend(send.issueId, new Date(deps.now().getTime() + OPERATOR_PAUSE_MS), OPERATOR_PAUSE_REASON);
    logEvent(deps.log, 'info', { issue: send.issueId, clientAddress: req.ip }, `console: paused the send of ${send.issueId}`);
    return ui.redirect(req, reply, back, 'Paused: nothing more is claimed (messages already on the wire finish). Resume to go on.');
  });

  fastify.post('/admin/sends/:id/resume', async (req, reply) => {
    const send = await theSend(req, reply);
    if (!send) return reply;
    const back = `/admin/sends/${send.issueId}`;
    const issue = await theIssue(send.issueId);
    if (!issue) return ui.redirect(req, reply, back, 'The issue files do not pass check now; fix them first.');
    const started = await deps.startSend(issue, req.ip);
    return ui.redirect(req, reply, back, started.resumed ? `Resumed (was paused: ${started.resumed.reason ?? 'no reason recorded'}).` : 'Resumed.');
  });
}
