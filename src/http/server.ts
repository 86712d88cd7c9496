/**
 * The web server: Fastify with form/JSON bodies (16 KB at most), per-IP rate limits (the client IP
 * per TRUST_PROXY), security headers on every response, redirects that stay on the site, the route
 * table (routes.ts), a warm-up after listening, and graceful shutdown.
 */
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Background } from './background.ts';
import type { ServerDeps } from './deps.ts';
import { loadPages } from './pages.ts';
import { clientErrorHandler, frameworkErrors, refusalForStatus } from './framework-errors.ts';
import { keepRedirectsOnSite } from './redirects.ts';
import { REFUSALS, sendRefusal } from './respond.ts';
import { registerRoutes } from './routes.ts';
import { securityHeaders, serverWithHeaders } from './security-headers.ts';
import { fastifyTrustProxy } from './trust-proxy.ts';
import { warmUp } from './warm-up.ts';
import { logEvent } from '../log.ts';

/** Every body the server accepts is a few short fields; 16 KB is generous. */
export const BODY_LIMIT = 16 * 1024;

export interface ServerOptions {
  /** Tracks background work (confirmation mail); tests pass their own to await it. */
  background?: Background;
}

export async function createServer(app: ServerDeps, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const { config } = app;
  const [store, secret, pages] = await Promise.all([app.store(), app.secret(), loadPages(config)]);
  const background = opts.background ?? new Background((e) => app.log(`background task failed: ${errorText(e)}`));

  const headers = securityHeaders(config);
  // A service's log carries its pino logger: Fastify logs through it (listening, closing, its own
  // errors). One line per request only at LOG_LEVEL=debug: access logs belong to the proxy in front.
  const logger = app.log.logger;
  const options: FastifyServerOptions = {
    ...(logger ? { loggerInstance: logger, logController: new LogController({ disableRequestLogging: () => !logger.isLevelEnabled('debug') }) } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    return503OnClosing: true,
    serverFactory: serverWithHeaders(headers),
    frameworkErrors: frameworkErrors(pages),
    clientErrorHandler: clientErrorHandler(pages, headers),
  };
  const fastify = Fastify(options);
  fastify.addHook('onClose', () => background.drain());
  keepRedirectsOnSite(fastify, config.siteUrl);
  // Every endpoint takes a form or JSON; anything else is a 415, not a string handed to a handler.
  fastify.removeContentTypeParser('text/plain');
  await fastify.register(formbody, { bodyLimit: BODY_LIMIT });
  // Not global: each route that needs a limit says so (POST /subscribe). One-click unsubscribes
  // arrive from a few mail providers' servers for many recipients, so they must never be limited.
  await fastify.register(rateLimit, { global: false });

  fastify.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode ?? 500;
    const route = `${req.url.split('/').slice(0, 2).join('/')}…`;
    if (status >= 500) logEvent(app.log, 'error', { method: req.method, route, status }, `${req.method} ${route}: ${errorText(err)}`);
    return sendRefusal(req, reply, pages, refusalForStatus(status));
  });
  fastify.setNotFoundHandler((req, reply) => sendRefusal(req, reply, pages, REFUSALS.notFound));

  await registerRoutes(fastify, { app, store, secret, pages, background });
  return fastify;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface RunningServer {
  fastify: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Resolves once the server has shut down (signal or close()) and background work is done. */
  closed: Promise<void>;
  /** Resolves when the warm-up after listening is over; never rejects. */
  warmedUp: Promise<void>;
  close(): Promise<void>;
}

/** Listens on config.host:config.port and shuts down gracefully when `signal` aborts. */
export async function startServer(app: ServerDeps, opts: ServerOptions & { signal?: AbortSignal } = {}): Promise<RunningServer> {
  const background = opts.background ?? new Background((e) => app.log(`background task failed: ${errorText(e)}`));
  const fastify = await createServer(app, { ...opts, background });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  // onClose hooks run last-registered first, so this one drains the background work itself.
  fastify.addHook('onClose', async () => {
    await background.drain();
    resolveClosed();
  });
  await fastify.listen({ host: app.config.host, port: app.config.port });
  // Not awaited: listening does not wait for it, and requests are answered while it runs.
  const warmedUp = warmUp(app.config, app.log);
  const addr = fastify.server.address();
  const url = typeof addr === 'object' && addr ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= fastify.close());
  if (opts.signal) {
    if (opts.signal.aborted) void close();
    else opts.signal.addEventListener('abort', () => void close(), { once: true });
  }
  return { fastify, url, closed, warmedUp, close };
}
