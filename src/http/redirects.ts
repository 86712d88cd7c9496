/**
 * Every redirect stays on this site. A Location of `//host/…` (or `/\host/…`, which browsers read
 * the same way) is another site; a redirect built from the request path can produce one from a
 * request such as `//evil.test/..//issues/2024-04-15`, whose dot segment leaves two leading
 * slashes behind. So the Location of every response is checked on the way out, whatever set it.
 */
import type { FastifyInstance } from 'fastify';

/** `location` as a path on this site starting with exactly one `/` (absolute URLs on SITE_URL's origin become their path). */
export function sameSiteLocation(location: string, siteUrl: string): string {
  const origin = new URL(siteUrl).origin;
  // Without a scheme it is meant as a path here: a run of leading slashes or backslashes is one.
  const meantAsPath = !/^[a-z][a-z\d+.-]*:/i.test(location);
  let url: URL;
  try {
    url = new URL(meantAsPath ? location.replace(/^[/\\]+/, '/') : location, origin);
  } catch {
    return '/';
  }
  if (url.origin !== origin) return '/';
  // Dot segments can leave `//` at the start of the path (`/.//x`): one slash.
  return `${url.pathname.replace(/^\/+/, '/')}${url.search}${url.hash}`;
}

export function keepRedirectsOnSite(fastify: FastifyInstance, siteUrl: string): void {
  fastify.addHook('onSend', async (_req, reply) => {
    const location = reply.getHeader('location');
    if (typeof location === 'string') reply.header('location', sameSiteLocation(location, siteUrl));
  });
}
