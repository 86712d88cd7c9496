/**
 * The operator's Console at /admin (registered only when ADMIN_TOKEN is set; otherwise every
 * /admin page is a 404). Every route needs a signed-in Session except the sign-in form and the
 * two static files; every POST needs the Session's CSRF token. The bearer endpoint POST /admin/send
 * is not the Console's: it stays for scripts (http/admin-routes.ts).
 *
 *   GET  /admin                                  Issues, their state and `check` problems
 *   GET  /admin/sign-in   POST /admin/sign-in    the token → a Session (rate-limited, logged)
 *   POST /admin/sign-out
 *   GET  /admin/assets/console.css|console.js
 *   GET  /admin/issues/:id                       editions, text parts, test send, the Send
 *   GET  /admin/issues/:id/preview/:lang         one edition's HTML as sent (its own strict CSP)
 *   POST /admin/issues/:id/test-send
 *   GET  /admin/issues/:id/send  POST …          the confirmation naming the recipients, the trigger
 *   GET  /admin/sends/:id                        counts, rate, pause, failures
 *   GET  /admin/sends/:id/events                 Server-Sent Events with the Send's progress
 *   POST /admin/sends/:id/retry|pause|resume
 *   GET  /admin/subscribers                      search, filters, counts, growth per week
 *   GET  /admin/subscribers/export.csv   POST /admin/subscribers/import
 *   GET  /admin/subscribers/:id                  history; POST …/lang, …/unsubscribe
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logEvent } from '../log.ts';
import type { ConsoleDeps } from './deps.ts';
import { issueRoutes } from './issue-routes.ts';
import { sendRoutes } from './send-routes.ts';
import { createSessions, sameSecret, type Session } from './sessions.ts';
import { subscriberRoutes } from './subscriber-routes.ts';
import type { Ui } from './ui.ts';
import { loadConsoleViews } from './views.ts';


const PUBLIC = { public: true };

export async function consoleRoutes(fastify: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const views = await loadConsoleViews();
  const sessions = createSessions({ secure: new URL(deps.config.siteUrl).protocol === 'https:' });
  const bound = new WeakMap<FastifyRequest, { id: string; session: Session }>();
  const now = () => deps.now().getTime();

  const privately = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex');
  const ui: Ui = {
    session: (req) => bound.get(req)?.session ?? null,
    page(req, reply, name, title, context = {}, status = 200) {
      const s = bound.get(req)?.session;
      const flash = s?.flash;
      if (s) delete s.flash;
      const html = views.render(name, `${title} · Sudi console`, { ...context, heading: context.heading ?? title, csrf: s?.csrf, signedIn: s?.signedIn, flash, nav: { [name]: true } });
      return privately(reply).code(status).type('text/html; charset=utf-8').send(html);
    },
    notice(req, reply, status, heading, text, back = '/admin') {
      return ui.page(req, reply, 'notice', heading, { text, back }, status);
    },
    redirect(req, reply, to, flash) {
      const s = bound.get(req)?.session;
      if (s && flash) s.flash = flash;
      return privately(reply).code(303).header('location', to).send();
    },
  };

  // Who is asking: every route but the public ones needs a signed-in Session.
  fastify.addHook('onRequest', async (req, reply) => {
    const found = sessions.fromCookie(req.headers.cookie, now());
    if (found) bound.set(req, found);
    if ((req.routeOptions.config as { public?: boolean }).public) return;
    if (found?.session.signedIn) return;
    if (req.method === 'GET' && !req.url.includes('/events')) return privately(reply).code(303).header('location', '/admin/sign-in').send();
    return ui.notice(req, reply, 403, 'Sign in first', 'This needs a signed-in session of the console.', '/admin/sign-in');
  });
  // Every form carries the Session's CSRF token (a synchronizer token): a POST without it changes nothing.
  fastify.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST') return;
    const given = (req.body as { _csrf?: unknown } | undefined)?._csrf;
    const s = bound.get(req)?.session;
    if (s && typeof given === 'string' && sameSecret(given, s.csrf)) return;
    logEvent(deps.log, 'warn', { clientAddress: req.ip, status: 403 }, `console: POST ${req.routeOptions.url ?? req.url} refused: missing or wrong CSRF token (from ${req.ip})`);
    return ui.notice(req, reply, 403, 'Form expired', 'This form is out of date or did not come from the console. Reload the page and try again.', req.url.startsWith('/admin/sign-in') ? '/admin/sign-in' : '/admin');
  });

  fastify.get('/admin/assets/console.css', { config: PUBLIC }, (_req, reply) => reply.header('cache-control', 'no-cache').type('text/css; charset=utf-8').send(views.assets.css));
  fastify.get('/admin/assets/console.js', { config: PUBLIC }, (_req, reply) => reply.header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(views.assets.js));

  // The same guessing limit as the bearer endpoint: deps.config.signInLimit.
  const failedSignIns = fastify.createRateLimit({ max: deps.config.signInLimit.failures, timeWindow: deps.config.signInLimit.windowMs });
  const signInForm = (req: FastifyRequest, reply: FastifyReply, status: number, error?: string) => {
    // A fresh pre-sign-in Session per form: it carries the form's CSRF token, and is dropped at sign-in.
    const previous = bound.get(req);
    const fresh = sessions.create(false, now(), previous?.id);
    bound.set(req, fresh);
    reply.header('set-cookie', sessions.cookie(fresh.id, fresh.session, now()));
    return ui.page(req, reply, 'sign-in', 'Sign in', { error }, status);
  };
  fastify.get('/admin/sign-in', { config: PUBLIC }, (req, reply) => {
    if (bound.get(req)?.session.signedIn) return ui.redirect(req, reply, '/admin');
    return signInForm(req, reply, 200);
  });
  fastify.post('/admin/sign-in', { config: PUBLIC }, async (req, reply) => {
    const before = await failedSignIns(req, { increment: false });
    if (!before.isAllowed && before.remaining === 0) {
      reply.header('retry-after', String(before.ttlInSeconds));
      return signInForm(req, reply, 429, `Too many wrong tokens from this address; try again in ${Math.ceil(before.ttlInSeconds / 60)} min.`);
    }
    const given = (req.body as { token?: unknown }).token;
    if (typeof given !== 'string' || !sameSecret(given, deps.config.adminToken)) {
      const after = await failedSignIns(req);
      const count = after.isAllowed ? 0 : after.max - after.remaining;
      logEvent(deps.log, 'warn', { clientAddress: req.ip, status: !after.isAllowed && after.isExceeded ? 429 : 401, failures: count }, `console: wrong token at sign-in from ${req.ip} (${count} of ${deps.config.signInLimit.failures} failures allowed in ${deps.config.signInLimit.windowMs / 60_000} min)`);
      if (!after.isAllowed && after.isExceeded) {
        reply.header('retry-after', String(after.ttlInSeconds));
        return signInForm(req, reply, 429, `Too many wrong tokens from this address; try again in ${Math.ceil(after.ttlInSeconds / 60)} min.`);
      }
      return signInForm(req, reply, 401, 'That is not the token.');
    }
    // A new id at sign-in: whatever id the browser came with (perhaps planted) is dropped.
    const signedIn = sessions.create(true, now(), bound.get(req)?.id);
    bound.set(req, signedIn);
    logEvent(deps.log, 'info', { clientAddress: req.ip }, `console: signed in from ${req.ip}`);
    reply.header('set-cookie', sessions.cookie(signedIn.id, signedIn.session, now()));
    return ui.redirect(req, reply, '/admin');
  });
  fastify.post('/admin/sign-out', (req, reply) => {
    const s = bound.get(req);
    if (s) sessions.end(s.id);
    bound.delete(req);
    logEvent(deps.log, 'info', { clientAddress: req.ip }, `console: signed out from ${req.ip}`);
    reply.header('set-cookie', sessions.cookie(null));
    return privately(reply).code(303).header('location', '/admin/sign-in').send();
  });

  await issueRoutes(fastify, deps, ui);
  await sendRoutes(fastify, deps, ui);
  await subscriberRoutes(fastify, deps, ui);
}
