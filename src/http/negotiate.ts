/**
 * Which representation a request gets and whether it already has it: Accept-Encoding negotiation
 * and the conditional-request checks (RFC 9110), pure functions over the request's headers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Encoding } from '../static-manifest.ts';

const encodingChoices = new Map<string, Encoding | null>();

/**
 * The best encoding the client accepts among those available (q-values honoured, `*` included,
 * br before gzip on a tie), or null for the identity bytes. Memoised: clients send few distinct headers.
 */
export function chooseEncoding(acceptEncoding: string | undefined, available: readonly Encoding[]): Encoding | null {
  if (!acceptEncoding || available.length === 0) return null;
  const key = `${available.join(',')}|${acceptEncoding}`;
  const cached = encodingChoices.get(key);
  if (cached !== undefined) return cached;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!name) continue;
    const qp = params.find((p) => p.startsWith('q='));
    const value = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  let best: Encoding | null = null;
  let bestQ = 0;
  for (const enc of available) {
    const v = q.get(enc) ?? (enc === 'gzip' ? q.get('x-gzip') : undefined) ?? q.get('*') ?? 0;
    if (v > bestQ) [best, bestQ] = [enc, v];
  }
  if (encodingChoices.size > 1000) encodingChoices.clear();
  encodingChoices.set(key, best);
  return best;
}

/**
 * RFC 9110 §13.1.2/§13.1.3: If-None-Match (weak comparison) wins; If-Modified-Since only without it.
 * A request's own `Cache-Control: no-cache` is for caches, not for the origin: fetch() sends it on
 * every conditional request, and such readers must still get their 304.
 */
export function isNotModified(h: IncomingHttpHeaders, etag: string, lastModifiedMs: number): boolean {
  const inm = h['if-none-match'];
  if (inm !== undefined) {
    if (inm.trim() === '*') return true;
    return inm.split(',').some((t) => {
      const tag = t.trim();
      return (tag.startsWith('W/') ? tag.slice(2) : tag) === etag;
    });
  }
  const ims = h['if-modified-since'];
  if (!ims) return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && lastModifiedMs <= since;
}
