/**
 * Security headers on every response, static files and errors included.
 *
 * The CSP allows no inline script or style at all (the templates use none). SITE_URL's origin is
 * allowed beside 'self' because the archive links its stylesheet and form target absolutely from
 * SITE_URL: someone reaching the server under another name (127.0.0.1 vs localhost, a proxy) must
 * still get a styled page and a working form. Referrer-Policy no-referrer keeps the tokens in
 * confirm/unsubscribe URLs from leaking to any site the page links to.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';

export function securityHeaders(config: Pick<Config, 'siteUrl'>): Record<string, string> {
  const site = new URL(config.siteUrl);
  const self = `'self' ${site.origin}`;
  const csp = [
    `default-src ${self}`,
    `script-src ${self}`,
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

export function addSecurityHeaders(fastify: FastifyInstance, config: Pick<Config, 'siteUrl'>): void {
  const headers = securityHeaders(config);
  // onRequest, so the headers are on the reply before any handler, plugin or error path sends it.
  fastify.addHook('onRequest', async (_req, reply) => {
    reply.headers(headers);
  });
}
