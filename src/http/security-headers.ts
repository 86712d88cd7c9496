/**
 * Security headers on every response: pages, static files, errors, and the answers Fastify and
 * Node give on their own (malformed URL, 414, 431, 503 while closing).
 *
 * The CSP allows no inline script or style at all (the templates use none). SITE_URL's origin is
 * allowed beside 'self' because the archive links its stylesheet and form target absolutely from
 * SITE_URL: someone reaching the server under another name (127.0.0.1 vs localhost, a proxy) must
 * still get a styled page and a working form. Referrer-Policy no-referrer keeps the tokens in
 * confirm/unsubscribe URLs from leaking to any site the page links to.
 *
 * script-src carries 'wasm-unsafe-eval' for the archive's search: Pagefind's search runs as
 * WebAssembly, and compiling a module needs it. It allows only WebAssembly compilation, not eval()
 * or new Function() of JavaScript (that is 'unsafe-eval'), and the only .wasm the pages load is
 * the one the build published beside the index (script-src still admits same-site scripts only).
 */
import http from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../config.ts';

export function securityHeaders(config: Pick<Config, 'siteUrl'>): Record<string, string> {
  const site = new URL(config.siteUrl);
  const self = `'self' ${site.origin}`;
  const csp = [
    `default-src ${self}`,
    `script-src ${self} 'wasm-unsafe-eval'`,
    `style-src ${self}`,
    `img-src ${self} data:`,
    `form-action ${self}`,
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  const headers: Record<string, string> = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-site',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
  // Browsers ignore HSTS over plain http; only claim it when the public URL is https.
  if (site.protocol === 'https:') headers['strict-transport-security'] = 'max-age=31536000';
  return headers;
}

/**
 * Fastify's `serverFactory`: the HTTP server with the headers set on every response before Fastify
 * sees the request. Fastify answers some requests itself, outside hooks and handlers (a malformed
 * URL, an over-long parameter, a 503 while closing); headers set here are merged into those too.
 * The timeouts are the ones Fastify would set on a server of its own.
 */
export function serverWithHeaders(headers: Record<string, string>): NonNullable<FastifyServerOptions['serverFactory']> {
  const entries = Object.entries(headers);
  return (handler, factoryOpts) => {
    const opts = factoryOpts as FastifyServerOptions;
    const server = http.createServer((req, res) => {
      for (const [name, value] of entries) res.setHeader(name, value);
      handler(req, res);
    });
    server.keepAliveTimeout = opts.keepAliveTimeout ?? server.keepAliveTimeout;
    server.requestTimeout = opts.requestTimeout ?? server.requestTimeout;
    server.setTimeout(opts.connectionTimeout ?? 0);
    if (opts.maxRequestsPerSocket) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
    return server;
  };
}
