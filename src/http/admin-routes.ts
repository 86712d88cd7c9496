/**
 * POST /admin/send  {"issue": "2024-04-15"}  with  Authorization: Bearer $ADMIN_TOKEN
 *
 * Starts the Send of a ready issue, or resumes it, and delivers it in the background of this
 * process; answers 202 with its status at once. A paused Send (a 5.7.x reply, the relay down)
 * resumes at once, because an operator asked: the answer's `resumed` says which pause was lifted.
 * 409 with its status when this process is already delivering it and there was nothing to resume. 401 without the right token (compared in constant time); 404 when no ADMIN_TOKEN
 * is configured (the endpoint does not exist). Cron, CLI and HTTP all start a Send through the same
 * unique insert, so this can never start a second Send of an issue.
 *
 * Guessing the token: every failed attempt is logged with the client's address, and after
 * FAILED_TOKEN_LIMIT failures within FAILED_TOKEN_WINDOW_MS a client gets 429 for the rest of the
 * window, the right token included (otherwise the answer would still tell a guess right from wrong).
 * Successful requests are not counted, so an operator's script is never limited.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { findIssue } from '../content/load-issues.ts';
import type { SendStatus } from '../delivery/runner.ts';
import { isSudiError } from '../errors.ts';
import { logEvent } from '../log.ts';
import type { RouteDeps } from './deps.ts';

/** Deferred retries due within this long are waited for by the background loop. */
const RETRY_WAIT_MS = 15 * 60_000;

/** Failed bearer tokens allowed per client IP per window before it gets 429. */
export const FAILED_TOKEN_LIMIT = 10;
export const FAILED_TOKEN_WINDOW_MS = 15 * 60_000;

/** Constant-time: both sides hashed to the same length first, so not even the length leaks. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function statusBody(s: SendStatus) {
  return {
    issue: s.issueId,
    running: s.running,
    send: s.send && {
      trigger: s.send.trigger,
      total: s.send.total,
      createdAt: s.send.createdAt.toISOString(),
      finishedAt: s.send.finishedAt?.toISOString() ?? null,
      pausedUntil: s.send.pausedUntil?.toISOString() ?? null,
      pauseReason: s.send.pauseReason,
    },
    counts: s.counts,
  };
}

export async function adminRoutes(fastify: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { app } = deps;
  const token = app.config.adminToken;
  const runner = await app.runner();
  // Background sends stop claiming at shutdown and finish the messages in flight.
  fastify.addHook('onClose', () => runner.stop());

  const error = (reply: FastifyReply, status: number, message: string) => reply.code(status).header('cache-control', 'no-store').send({ error: message });
  // Counts failures only: the route peeks first and adds one per wrong token.
  const failedTokens = fastify.createRateLimit({ max: FAILED_TOKEN_LIMIT, timeWindow: FAILED_TOKEN_WINDOW_MS });
  const tooMany = (reply: FastifyReply, seconds: number) =>
    error(reply.header('retry-after', String(seconds)), 429, 'too many wrong bearer tokens from this address; try again later');

  fastify.post('/admin/send', async (req, reply) => {
    if (!token) return error(reply, 404, 'not found (the admin endpoint is disabled: set ADMIN_TOKEN to enable it)');
    // A peek counts nothing; `remaining` 0 means the failures allowed in this window are used up.
    const before = await failedTokens(req, { increment: false });
    if (!before.isAllowed && before.remaining === 0) return tooMany(reply, before.ttlInSeconds);
    const auth = req.headers.authorization ?? '';
    const given = /^Bearer (.+)$/i.exec(auth)?.[1] ?? '';
    if (!tokenMatches(given, token)) {
      // Counted atomically, so a burst of guesses in flight together cannot all pass the peek above.
      const after = await failedTokens(req);
      const what = `${auth ? 'wrong' : 'missing'} bearer token on POST /admin/send from ${req.ip}`;
      if (!after.isAllowed && after.isExceeded) {
        logEvent(app.log, 'warn', { clientAddress: req.ip, status: 429 }, `admin: ${what} (over the limit of ${FAILED_TOKEN_LIMIT}: 429)`);
        return tooMany(reply, after.ttlInSeconds);
      }
      const count = after.isAllowed ? 0 : after.max - after.remaining;
      logEvent(app.log, 'warn', { clientAddress: req.ip, status: 401, failures: count }, `admin: ${what} (${count} of ${FAILED_TOKEN_LIMIT} failures allowed in ${FAILED_TOKEN_WINDOW_MS / 60_000} min)`);
      if (!after.isAllowed && count === FAILED_TOKEN_LIMIT) logEvent(app.log, 'warn', { clientAddress: req.ip, refusedSeconds: after.ttlInSeconds }, `admin: ${req.ip} is refused (429) for ${after.ttlInSeconds} s after ${FAILED_TOKEN_LIMIT} wrong bearer tokens`);
      return error(reply.header('www-authenticate', 'Bearer realm="sudi-admin"'), 401, 'missing or wrong bearer token');
    }
    const body = req.body as { issue?: unknown } | undefined;
    const ref = body && typeof body === 'object' ? body.issue : undefined;
    if (typeof ref !== 'string' || !/^(\d{4}-\d{2}-\d{2}|latest)$/.test(ref)) {
      return error(reply, 400, 'expected a JSON body {"issue": "2024-04-15"} (an issue id, or "latest")');
    }
    let issue;
    try {
      issue = await findIssue(app.config.issuesDir, ref);
    } catch (e) {
      // The error names files on this machine; the response names the issue only.
      if (isSudiError(e) && e.code === 'E_NOT_FOUND') return error(reply, 404, `no issue ${ref} (expected an issue id such as 2024-04-15 or "latest")`);
      if (isSudiError(e)) {
        const problems = e.problems.map((p) => p.replaceAll(`${app.config.issuesDir}${path.sep}`, ''));
        return reply.code(422).header('cache-control', 'no-store').send({ error: 'the issues do not pass sudi check', problems });
      }
      throw e;
    }
    if (issue.status !== 'ready') return error(reply, 409, `issue ${issue.id} is a draft; set status: ready to send it`);
    const started = await runner.start(issue, 'http', { retryWaitMs: RETRY_WAIT_MS }, { resume: true });
    const resumed = started.resumed && { pausedUntil: started.resumed.pausedUntil.toISOString(), reason: started.resumed.reason };
    const answer = { ...statusBody(await runner.status(issue.id)), created: started.created, resumed };
    if (started.alreadyRunning && !resumed) return reply.code(409).header('cache-control', 'no-store').send(answer);
    void started.done.catch(() => {}); // failures are logged by the runner
    const what = resumed ? `resumed the paused send (paused until ${resumed.pausedUntil}: ${resumed.reason ?? 'no reason recorded'}) of` : started.created ? 'started the send of' : 'resumed the send of';
    logEvent(app.log, 'info', { issue: issue.id, clientAddress: req.ip, created: started.created }, `admin: ${what} ${issue.id} (POST /admin/send from ${req.ip})`);
    return reply.code(202).header('cache-control', 'no-store').send(answer);
  });
}
