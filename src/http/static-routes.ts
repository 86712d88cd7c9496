/**
 * The Archive and the Feeds from PUBLIC_DIR, with ETag/Last-Modified and 304s (@fastify/static).
 * Files are looked up per request, so a rebuild (which swaps the folder) is served at once.
 */
import { mkdirSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { OUTPUT_PATHS } from '../site-urls.ts';
import type { RouteDeps } from './deps.ts';

/** The feeds' registered media types; a generic `application/xml` makes some readers guess. */
export const FEED_CONTENT_TYPES: Readonly<Record<string, string>> = {
  [`/${OUTPUT_PATHS.rss}`]: 'application/rss+xml; charset=utf-8',
  [`/${OUTPUT_PATHS.atom}`]: 'application/atom+xml; charset=utf-8',
  [`/${OUTPUT_PATHS.json}`]: 'application/feed+json; charset=utf-8',
};

export async function staticRoutes(fastify: FastifyInstance, deps: RouteDeps): Promise<void> {
  const root = deps.app.config.publicDir;
  mkdirSync(root, { recursive: true });
  // @fastify/static sets Content-Type from the file extension after any setHeaders callback,
  // so the feeds' types are put right just before the reply goes out.
  fastify.addHook('onSend', async (req, reply) => {
    if (reply.statusCode !== 200) return;
    const type = FEED_CONTENT_TYPES[req.url.split('?', 1)[0]!];
    if (type) reply.header('content-type', type);
  });
  await fastify.register(fastifyStatic, {
    root,
    index: ['index.html'],
    redirect: true,
    etag: true,
    lastModified: true,
    dotfiles: 'ignore',
    wildcard: true,
  });
}
