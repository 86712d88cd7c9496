/**
 * The links in mail: /confirm/TOKEN, /unsubscribe/TOKEN, /preferences/TOKEN.
 *
 * GET never changes anything (link scanners and previews fetch every URL in a mail): it shows a
 * page with a button, and the button's POST acts. POST /unsubscribe/TOKEN is also the RFC 8058
 * one-click endpoint: a mail provider's server POSTs `List-Unsubscribe=One-Click`, without
 * cookies, urlencoded or multipart, and expects a 200 with no redirect.
 *
 * The token is the whole authority for confirm and unsubscribe, so their bodies are read (up to
 * the body limit) and ignored: a one-click POST succeeds whatever its content type or encoding,
 * and no multipart parser runs on a public endpoint for nothing.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LangSchema, type Lang } from '../model.ts';
import { preferencesUrl, unsubscribeUrl } from '../subscribers/links.ts';
import { confirm, resolveToken, setLanguage, unsubscribe, type TokenFailure } from '../subscribers/subscriptions.ts';
import type { RouteDeps } from './deps.ts';
import { REFUSALS, sendPage, sendRefusal, wantsJson, type Refusal } from './respond.ts';

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

const LANG_CHOICES: { value: Lang; label: string }[] = [
  { value: 'both', label: '中英 Both' },
  { value: 'zh', label: '中文' },
  { value: 'en', label: 'English' },
];

const refusalFor = (reason: TokenFailure | 'not-pending'): Refusal =>
  reason === 'expired' ? REFUSALS.expiredLink : reason === 'not-pending' ? REFUSALS.staleLink : REFUSALS.invalidLink;

export async function tokenRoutes(fastify: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { app, store, secret, pages } = deps;
  const services = { store, secret };
  const now = () => app.now();
  const refuse = (req: FastifyRequest, reply: FastifyReply, reason: TokenFailure | 'not-pending') => sendRefusal(req, reply, pages, refusalFor(reason));
  const done = (req: FastifyRequest, reply: FastifyReply, json: Record<string, unknown>, page: () => FastifyReply) =>
    wantsJson(req) ? reply.header('cache-control', 'no-store').send({ ok: true, ...json }) : page();

  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, next) => next(null, undefined));

    scope.get('/confirm/:token', async (req: TokenRequest, reply) => {
      const r = await resolveToken(services, 'confirm', req.params.token, now());
      if (!r.ok) return refuse(req, reply, r.reason);
      const status = r.subscriber.status;
      if (status !== 'pending' && status !== 'active') return refuse(req, reply, 'not-pending');
      return sendPage(reply, pages, 200, 'page-confirm', '确认订阅 Confirm', { alreadyActive: status === 'active' });
    });

    scope.post('/confirm/:token', async (req: TokenRequest, reply) => {
      const r = await confirm(services, req.params.token, now());
      if (!r.ok) return refuse(req, reply, r.reason);
      return done(req, reply, { status: 'active' }, () =>
        sendPage(reply, pages, 200, 'page-confirmed', '订阅成功 Subscribed', { preferencesUrl: preferencesUrl(app.config, secret, r.subscriber) }),
      );
    });

    scope.get('/unsubscribe/:token', async (req: TokenRequest, reply) => {
      const r = await resolveToken(services, 'unsubscribe', req.params.token, now());
      if (!r.ok) return refuse(req, reply, r.reason);
      const still = r.subscriber.status === 'active' || r.subscriber.status === 'pending';
      return sendPage(reply, pages, 200, 'page-unsubscribe', '退订 Unsubscribe', {
        alreadyUnsubscribed: !still,
        preferencesUrl: preferencesUrl(app.config, secret, r.subscriber),
      });
    });

    // Unsubscribed before the answer is sent; 200 with a page, never a redirect (RFC 8058).
    scope.post('/unsubscribe/:token', async (req: TokenRequest, reply) => {
      const r = await unsubscribe(services, req.params.token, now());
      if (!r.ok) return refuse(req, reply, r.reason);
      return done(req, reply, { status: 'unsubscribed' }, () => sendPage(reply, pages, 200, 'page-unsubscribed', '已退订 Unsubscribed'));
    });
  });

  const preferencesPage = (reply: FastifyReply, subscriber: { id: number; email: string; lang: Lang }, saved: boolean) =>
    sendPage(reply, pages, 200, 'page-preferences', '语言偏好 Language preference', {
      saved,
      langs: LANG_CHOICES.map((c) => ({ ...c, checked: c.value === subscriber.lang })),
      unsubscribeUrl: unsubscribeUrl(app.config, secret, subscriber),
    });

  fastify.get('/preferences/:token', async (req: TokenRequest, reply) => {
    const r = await resolveToken(services, 'preferences', req.params.token, now());
    if (!r.ok) return refuse(req, reply, r.reason);
    return preferencesPage(reply, r.subscriber, false);
  });

  fastify.post('/preferences/:token', async (req: TokenRequest, reply) => {
    const body = req.body as Record<string, unknown> | undefined;
    const lang = LangSchema.safeParse(body && typeof body === 'object' ? body.lang : undefined);
    // Check the token first: a forged link learns nothing from the field's validation.
    const who = await resolveToken(services, 'preferences', req.params.token, now());
    if (!who.ok) return refuse(req, reply, who.reason);
    if (!lang.success) return sendRefusal(req, reply, pages, REFUSALS.invalidLang);
    const r = await setLanguage(services, req.params.token, lang.data, now());
    if (!r.ok) return refuse(req, reply, r.reason);
    return done(req, reply, { lang: r.subscriber.lang }, () => preferencesPage(reply, r.subscriber, true));
  });
}
