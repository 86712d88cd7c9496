/**
 * THE route table: every URL the server answers, in one place.
 *
 *   GET  /healthz                    liveness + the Store answers
 *   POST /subscribe                  sign up (form or JSON), rate-limited per IP
 *   GET  /subscribe                  → 303 to the front page (the form lives there)
 *   GET  /confirm/:token             page with a Confirm button (changes nothing)
 *   POST /confirm/:token             pending → active (idempotent)
 *   GET  /unsubscribe/:token         page with an Unsubscribe button (changes nothing)
 *   POST /unsubscribe/:token         → unsubscribed at once; also RFC 8058 one-click
 *   GET  /preferences/:token         language choice
 *   POST /preferences/:token         save the language
 *   POST /admin/send                 start or resume the send of an issue (Bearer ADMIN_TOKEN; 404 without one)
 *   GET|POST /admin, /admin/…        the operator's Console (src/console/plugin.ts; only with ADMIN_TOKEN)
 *   GET  /*                          the Archive and Feeds from PUBLIC_DIR
 */
import type { FastifyInstance } from 'fastify';
import { adminRoutes, FAILED_TOKEN_LIMIT, FAILED_TOKEN_WINDOW_MS } from './admin-routes.ts';
import type { RouteDeps } from './deps.ts';
import { staticRoutes } from './static-routes.ts';
import { subscribeRoutes } from './subscribe-routes.ts';
import { tokenRoutes } from './token-routes.ts';

export async function registerRoutes(fastify: FastifyInstance, deps: RouteDeps): Promise<void> {
  fastify.get('/healthz', async (_req, reply) => {
    // A real round trip to the database: a server whose Store is gone is not healthy.
    await deps.store.getSubscriber(0);
    return reply.header('cache-control', 'no-store').send({ status: 'ok', store: deps.store.kind });
  });

  await fastify.register(subscribeRoutes, deps);
  await fastify.register(tokenRoutes, deps);

  await fastify.register(adminRoutes, deps);
  if (deps.app.config.adminToken) {
    const [{ consoleRoutes }, { consoleDepsFromApp }] = await Promise.all([import('../console/plugin.ts'), import('../console/from-app.ts')]);
    await fastify.register(consoleRoutes, await consoleDepsFromApp(deps.app, deps.store, deps.secret, deps.background, { failures: FAILED_TOKEN_LIMIT, windowMs: FAILED_TOKEN_WINDOW_MS }));
  }
  await fastify.register((await import('./webhook-routes.ts')).webhookRoutes, deps);

  await fastify.register(staticRoutes, deps);
}
