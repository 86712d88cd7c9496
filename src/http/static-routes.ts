/**
 * GET/HEAD of the Archive and the Feeds from PUBLIC_DIR, served from memory (static-files.ts):
 * the encoding the client accepts, strong content ETags, Last-Modified from the manifest, 304s,
 * and each file's Cache-Control. A rebuild in this process is taken in before it returns.
 */
import { mkdirSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { onPublished } from '../published-signal.ts';
import type { RouteDeps } from './deps.ts';
import { chooseEncoding, isNotModified } from './negotiate.ts';
import { lookup, StaticFiles } from './static-files.ts';

export async function staticRoutes(fastify: FastifyInstance, deps: RouteDeps): Promise<void> {
  const root = deps.app.config.publicDir;
  mkdirSync(root, { recursive: true });
  const files = await StaticFiles.open(root, deps.app.log);
  const stopListening = onPublished(root, () => files.reload());
  const stopWatching = await files.watch();
  fastify.addHook('onClose', async () => {
    stopListening();
    stopWatching();
  });

  // Synchronous on purpose: no promise per request on the hottest path of the server.
  fastify.get('/*', (req: FastifyRequest, reply: FastifyReply) => {
    const url = req.url;
    const q = url.indexOf('?');
    const found = lookup(files.site, q < 0 ? url : url.slice(0, q));
    if (found.redirect) {
      // Built from the file table, never from the request: the Location stays on this site.
      reply.redirect(found.redirect + (q < 0 ? '' : url.slice(q)), 301);
      return;
    }
    const entry = found.entry;
    if (!entry) {
      reply.callNotFound();
      return;
    }
    const enc = chooseEncoding(req.headers['accept-encoding'], entry.available);
    const rep = enc ? entry.encodings[enc]! : entry.identity;
    if (isNotModified(req.headers, rep.etag, entry.lastModifiedMs)) {
      reply.code(304).headers(rep.notModifiedHeaders).send();
      return;
    }
    reply.headers(rep.headers).send(rep.body);
  });
}
