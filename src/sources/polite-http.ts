/**
 * GET requests to paper sources (arXiv, Hugging Face), the way their operators ask for them:
 *
 * - one request at a time (a queue: never two connections open from this process);
 * - a minimum gap between one request's end and the next one's start, per URL prefix (arXiv: 3 s);
 * - 429 and 503 retried after the server's Retry-After (seconds or an HTTP date), at most 3 tries;
 * - a User-Agent naming Sudi and where it runs;
 * - an on-disk cache keyed by URL: a response already read is never asked for again, so running a
 *   week a second time costs the sources nothing (`refresh` reads past it and rewrites it).
 *
 * Only complete 200 answers are cached; the date one was read travels with it (popularity's read_at).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SudiError } from '../errors.ts';

export interface SourceResponse {
  url: string;
  status: number;
  body: string;
  /** When the body was read from the source (from the cache: when it was first read). */
  readAt: Date;
  fromCache: boolean;
}

export interface PoliteHttpOptions {
  userAgent: string;
  /** Folder of cached responses; null: no cache. */
  cacheDir: string | null;
  /** Minimum milliseconds from the end of one request to the start of the next whose URL starts with `prefix`. */
  spacing: readonly { prefix: string; ms: number }[];
  /** Read past the cache (and rewrite it). */
  refresh?: boolean;
  now?: () => Date;
  signal?: AbortSignal;
  /** Longest Retry-After honoured; a longer one fails the request instead of stalling the run. */
  maxRetryAfterMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export interface PoliteHttp {
  /** `accept`: the Accept header; `readStatuses`: non-200 statuses answered rather than thrown (never cached). */
  /**
   * `keep`: whether a 200 may be remembered (default: yes). A caller says no to an answer it could
   * not read (a maintenance page), one that may still change (a day's papers while the day lasts),
   * or one that lacks what was asked (an id arXiv does not list yet): those are asked again next time.
   */
  get(url: string, opts: { accept: string; readStatuses?: readonly number[]; keep?: (body: string) => boolean }): Promise<SourceResponse>;
}

export const MAX_TRIES = 3;
const RETRIED = new Set([429, 503]);

export function politeHttp(opts: PoliteHttpOptions): PoliteHttp {
  const now = opts.now ?? (() => new Date());
  // Measured from the end of the previous request, so a slow answer never brings two closer together.
  const lastEnd = new Map<string, number>();
  let queue: Promise<unknown> = Promise.resolve();

  const waitForTurn = async (url: string) => {
    for (const s of opts.spacing) {
      const last = url.startsWith(s.prefix) ? lastEnd.get(s.prefix) : undefined;
      const wait = last === undefined ? 0 : last + s.ms - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: opts.signal });
    }
  };
  const ended = (url: string) => {
    for (const s of opts.spacing) if (url.startsWith(s.prefix)) lastEnd.set(s.prefix, Date.now());
  };

  const request = async (url: string, accept: string, readStatuses: readonly number[]): Promise<SourceResponse> => {
    let lastProblem = '';
    for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
      await waitForTurn(url);
      let res: Response;
      let body: string;
      try {
        res = await fetch(url, {
          headers: { 'user-agent': opts.userAgent, accept },
          redirect: 'follow',
          signal: AbortSignal.any([AbortSignal.timeout(opts.timeoutMs ?? 60_000), ...(opts.signal ? [opts.signal] : [])]),
        });
        body = await res.text();
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        lastProblem = `no answer (${(e as Error).message})`;
        continue; // the spacing before the next try is the wait
      } finally {
        ended(url);
      }
      if (res.status === 200 || readStatuses.includes(res.status)) return { url, status: res.status, body, readAt: now(), fromCache: false };
      lastProblem = `HTTP ${res.status}`;
      if (!RETRIED.has(res.status)) break;
      if (attempt === MAX_TRIES) break;
      const wait = retryAfterMs(res.headers.get('retry-after'), now());
      if (wait > (opts.maxRetryAfterMs ?? 120_000)) {
        lastProblem += ` with Retry-After ${res.headers.get('retry-after')} (longer than Sudi waits; try again later)`;
        break;
      }
      if (wait > 0) await sleep(wait, undefined, { signal: opts.signal });
    }
    throw new SudiError('E_SOURCE', `${url}: ${lastProblem}${lastProblem.startsWith('HTTP 429') || lastProblem.startsWith('HTTP 503') ? ` after ${MAX_TRIES} tries` : ''}`);
  };

  return {
    get(url, { accept, readStatuses = [], keep = () => true }) {
      const run = async (): Promise<SourceResponse> => {
        const file = opts.cacheDir ? path.join(opts.cacheDir, `${createHash('sha256').update(url).digest('hex')}.json`) : null;
        if (file && !opts.refresh) {
          const cached = await readCached(file, url);
          if (cached) return cached;
        }
        const r = await request(url, accept, readStatuses);
        if (file && r.status === 200 && keep(r.body)) await writeCached(file, r);
        return r;
      };
      // One at a time: the next request starts only when this one has settled, whatever its outcome.
      const p = queue.then(run, run);
      queue = p.catch(() => undefined);
      return p;
    },
  };
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date; absent or unreadable → 1 s. */
export function retryAfterMs(value: string | null, now: Date): number {
  const v = value?.trim() ?? '';
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (v !== '' && !Number.isNaN(at)) return Math.max(0, at - now.getTime());
  return 1000;
}

interface CacheRecord {
  url: string;
  status: number;
  readAt: string;
  body: string;
}

async function readCached(file: string, url: string): Promise<SourceResponse | null> {
  let rec: CacheRecord;
  try {
    rec = JSON.parse(await readFile(file, 'utf8')) as CacheRecord;
  } catch {
    return null; // absent or unreadable: ask the source again
  }
  if (rec.url !== url || typeof rec.body !== 'string') return null;
  return { url, status: rec.status, body: rec.body, readAt: new Date(rec.readAt), fromCache: true };
}

async function writeCached(file: string, r: SourceResponse): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const rec: CacheRecord = { url: r.url, status: r.status, readAt: r.readAt.toISOString(), body: r.body };
  try {
    await writeFile(tmp, JSON.stringify(rec));
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
