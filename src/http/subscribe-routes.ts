/**
 * POST /subscribe: form (urlencoded) or JSON { email, lang?, website? }.
 *
 * The answer is the same page (or JSON) for a new, pending, active or suppressed address, and for
 * a filled honeypot; only a malformed request gets something else (a 400 naming the problem).
 * The confirmation mail is queued in the Store (with the 24-hour slot, in one transaction) before
 * the answer, and the background sender sends it: "check your inbox" is only said once the mail
 * is certain to go out, and the response time does not depend on whether a mail was due.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LangSchema } from '../model.ts';
import { mjmlInChild } from '../render/mjml-elsewhere.ts';
import { checkEmail } from '../subscribers/normalize-email.ts';
import { subscribe } from '../subscribers/subscriptions.ts';
import { TOKEN_LIFETIME_MS } from '../subscribers/tokens.ts';
import type { RouteDeps } from './deps.ts';
import { invalidEmail, REFUSALS, sendPage, sendRefusal, wantsJson } from './respond.ts';

const VALID_DAYS = Math.round(TOKEN_LIFETIME_MS.confirm! / 86_400_000);
const ACCEPTED_MESSAGE = 'If the address can receive mail, a confirmation link is on its way.';

export async function subscribeRoutes(fastify: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { app, store, secret, pages, background } = deps;
  const services = { store, config: app.config, secret };
  background.startConfirmations({ store, transport: app.transport(), config: app.config, secret, now: app.now, log: app.log, compile: mjmlInChild });

  const accepted = (req: FastifyRequest, reply: FastifyReply) =>
    wantsJson(req)
      ? reply.header('cache-control', 'no-store').code(200).send({ ok: true, message: ACCEPTED_MESSAGE })
      : sendPage(reply, pages, 200, 'page-subscribed', '请查收邮件 Check your inbox', { validDays: VALID_DAYS });

  fastify.post(
    '/subscribe',
    { config: { rateLimit: { max: app.config.subscribeRateLimit, timeWindow: 60_000 } } },
    async (req, reply) => {
      const body = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendRefusal(req, reply, pages, REFUSALS.badForm);
      const fields = body as Record<string, unknown>;
      // Honeypot: a person never sees the field; a bot fills it. Same answer, nothing done.
      if (typeof fields.website === 'string' ? fields.website.trim() !== '' : fields.website !== undefined) return accepted(req, reply);
      const email = checkEmail(fields.email);
      if (!email.ok) return sendRefusal(req, reply, pages, invalidEmail(email.reason));
      let lang: 'zh' | 'en' | 'both' | undefined;
      if (fields.lang !== undefined && fields.lang !== '') {
        const r = LangSchema.safeParse(fields.lang);
        if (!r.success) return sendRefusal(req, reply, pages, REFUSALS.invalidLang);
        lang = r.data;
      }
      const result = await subscribe(services, { email: email.email, lang, source: 'web' }, app.now());
      if (result.queued) background.wakeConfirmations();
      return accepted(req, reply);
    },
  );

  // Someone typing /subscribe into the address bar: the form is on the front page.
  fastify.get('/subscribe', async (_req, reply) => reply.redirect(pages.site.url, 303));
}
