/**
 * POST /webhooks/mailgun   Mailgun events (HMAC-signed with MAILGUN_WEBHOOK_SIGNING_KEY)
 * POST /webhooks/postmark  Postmark bounce and spam-complaint webhooks (POSTMARK_WEBHOOK_TOKEN as
 *                          the basic-auth password or ?token=)
 *
 * Each exists only when its setting is; 401 for a bad signature or token (logged); 400 for a
 * payload that is not the service's; 200 with what changed otherwise (also for events that change
 * nothing, so the service does not retry them). See src/inbound/webhooks.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applyWebhookEvent } from '../inbound/webhook-intake.ts';
import { constantTimeEqual, readMailgun, readPostmark, type WebhookRead } from '../inbound/webhooks.ts';
import { logEvent } from '../log.ts';
import type { RouteDeps } from './deps.ts';

export async function webhookRoutes(fastify: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { app, store } = deps;
  const log = app.log;
  const answer = async (req: FastifyRequest, reply: FastifyReply, source: string, read: WebhookRead) => {
    reply.header('cache-control', 'no-store');
    if (!read.ok) {
      logEvent(log, 'warn', { source, status: read.status, clientAddress: req.ip }, `inbound: ${source} webhook refused (${read.status}) from ${req.ip}: ${read.error}`);
      return reply.code(read.status).send({ error: read.error });
    }
    if (!read.event) return reply.send({ ok: true, changed: 'nothing', why: read.why });
    const r = await applyWebhookEvent(read.event, { store, config: app.config, now: app.now(), source });
    const fields = { source, kind: r.event.kind, subscriberId: r.event.subscriberId, recorded: r.recorded };
    logEvent(log, 'info', fields, `inbound: ${source} ${r.event.kind}${r.event.subscriberId === null ? '' : ` subscriber #${r.event.subscriberId}`}: ${r.recorded ? r.event.outcome : 'seen before, nothing changed'}`);
    return reply.send({ ok: true, kind: r.event.kind, changed: r.recorded ? r.event.outcome : 'nothing (seen before)' });
  };

  const signingKey = app.config.mailgunWebhookSigningKey;
  if (signingKey) fastify.post('/webhooks/mailgun', async (req, reply) => answer(req, reply, 'mailgun', readMailgun(req.body, signingKey, app.now())));

  const token = app.config.postmarkWebhookToken;
  if (token) {
    fastify.post('/webhooks/postmark', async (req, reply) => {
      const auth = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const password = auth ? Buffer.from(auth, 'base64').toString('utf8').replace(/^[^:]*:/, '') : null;
      const given = password ?? (req.query as Record<string, unknown>).token;
      if (typeof given !== 'string' || !constantTimeEqual(given, token)) return answer(req, reply, 'postmark', { ok: false, status: 401, error: 'missing or wrong token (basic-auth password or ?token=)' });
      return answer(req, reply, 'postmark', readPostmark(req.body));
    });
  }
}
