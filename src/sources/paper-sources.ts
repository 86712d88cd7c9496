/**
 * Asking arXiv and Hugging Face: the requests `sudi fetch` and the draft schedule make, each through
 * the one polite client (spacing, retries, cache), and what their answers mean for the ids and
 * titles that were asked about.
 */
import path from 'node:path';
import type { Config } from '../config.ts';
import { mondayOfIsoWeek } from '../content/week.ts';
import { SudiError } from '../errors.ts';
import { addDays } from '../time.ts';
import { idListUrl, parseArxivFeed, titleKey, titleSearchUrl, type ArxivEntry } from './arxiv.ts';
import { cutPapers, dailyPapersUrl, parseDailyPapers, type HfPaper, type HfPeriod } from './hugging-face.ts';
import { politeHttp, type PoliteHttp } from './polite-http.ts';

export interface Sources {
  http: PoliteHttp;
  arxivApiUrl: string;
  hfApiUrl: string;
  /** The clock, to know whether a day or week of Hugging Face's papers is over (then its list is final). */
  now: () => Date;
}

/** The polite client as configured: arXiv spaced by ARXIV_DELAY_MS, the cache under DATA_DIR. */
export function sourcesFor(
  config: Pick<Config, 'arxivApiUrl' | 'hfApiUrl' | 'arxivDelayMs' | 'dataDir' | 'siteUrl'>,
  opts: { refresh?: boolean; signal?: AbortSignal; now?: () => Date } = {},
): Sources {
  return {
    arxivApiUrl: config.arxivApiUrl,
    hfApiUrl: config.hfApiUrl,
    now: opts.now ?? (() => new Date()),
    http: politeHttp({
      userAgent: `Sudi/0.1 (weekly AI paper digest; +${config.siteUrl})`,
      cacheDir: path.join(config.dataDir, 'cache', 'sources'),
      spacing: [{ prefix: config.arxivApiUrl, ms: config.arxivDelayMs }],
      refresh: opts.refresh,
      signal: opts.signal,
      now: opts.now,
    }),
  };
}

const ATOM_ACCEPT = 'application/atom+xml';
/** arXiv answers a malformed id_list with 400 and an Atom feed holding the error entry. */
const ARXIV_ERROR_STATUSES = [400];
/** The API's own ceiling per request is far higher; 100 keeps each answer small. */
const BATCH = 100;

export interface IdLookup {
  /** By the requested base id. */
  found: Map<string, ArxivEntry>;
  /** Well-formed ids the API has no entry for. */
  unknown: string[];
  /** Ids the API refused, with its message. */
  malformed: { id: string; message: string }[];
}

/** Base ids (`2404.08634`, or `2404.08634v2` for that version) → entries, matched back by id. */
export async function arxivByIds(s: Sources, ids: readonly string[]): Promise<IdLookup> {
  const result: IdLookup = { found: new Map(), unknown: [], malformed: [] };
  let pending = [...new Set(ids)];
  while (pending.length > 0) {
    const batch = pending.slice(0, BATCH);
    const url = idListUrl(s.arxivApiUrl, batch);
    // Remembered only when every id was found: a paper arXiv does not list yet may be there tomorrow.
    const keep = (body: string) => readable(() => parseArxivFeed(body, url), (f) => f.errors.length === 0 && batch.every((w) => f.entries.some((e) => e.id === w.split('v')[0])));
    const res = await s.http.get(url, { accept: ATOM_ACCEPT, readStatuses: ARXIV_ERROR_STATUSES, keep });
    const feed = parseArxivFeed(res.body, url);
    if (feed.errors.length > 0) {
      // The API refuses the whole request for one bad id: name it, then ask again for the others.
      const bad = new Set<string>();
      for (const e of feed.errors) {
        const id = batch.find((b) => b === e.id) ?? (batch.length === 1 ? batch[0]! : null);
        if (id) {
          bad.add(id);
          result.malformed.push({ id, message: e.message });
        }
      }
      if (bad.size === 0) throw new SudiError('E_SOURCE', `${url}: arXiv refused the request: ${feed.errors.map((e) => e.message).join('; ')}`);
      pending = [...batch.filter((b) => !bad.has(b)), ...pending.slice(BATCH)];
      continue;
    }
    for (const want of batch) {
      const [base, v] = want.split('v') as [string, string | undefined];
      // The API does not keep the order of id_list; a bare id answers with its latest version.
      const entry = feed.entries.find((e) => e.id === base && (v === undefined || e.version === Number(v)));
      if (entry) result.found.set(want, entry);
      else result.unknown.push(want);
    }
    pending = pending.slice(BATCH);
  }
  return result;
}

export type TitleLookup = { status: 'found'; entry: ArxivEntry } | { status: 'not found' } | { status: 'ambiguous'; ids: string[] };

/** The entry whose title is exactly `title` (case, spacing and punctuation aside); two such: ambiguous. */
export async function arxivByTitle(s: Sources, title: string): Promise<TitleLookup> {
  const url = titleSearchUrl(s.arxivApiUrl, title);
  const key = titleKey(title);
  const keep = (body: string) => readable(() => parseArxivFeed(body, url), (f) => f.entries.some((e) => titleKey(e.title) === key));
  const res = await s.http.get(url, { accept: ATOM_ACCEPT, keep });
  const feed = parseArxivFeed(res.body, url);
  const matches = [...new Map(feed.entries.filter((e) => titleKey(e.title) === key).map((e) => [e.id, e])).values()];
  if (matches.length === 1) return { status: 'found', entry: matches[0]! };
  if (matches.length === 0) return { status: 'not found' };
  return { status: 'ambiguous', ids: matches.map((e) => e.id) };
}

/** Hugging Face's papers of a day or ISO week, most upvoted first, cut; `readAt`: when they were read. */
export async function hfPapers(s: Sources, period: HfPeriod, cut: { top?: number; minUpvotes?: number }): Promise<{ papers: HfPaper[]; all: number; readAt: Date }> {
  const url = dailyPapersUrl(s.hfApiUrl, period);
  // A day's or week's list grows while it lasts (and upvotes with it): remembered once it is over.
  const over = lastDayOf(period) < s.now().toISOString().slice(0, 10);
  const res = await s.http.get(url, { accept: 'application/json', keep: (body) => over && readable(() => parseDailyPapers(body, url), () => true) });
  const all = parseDailyPapers(res.body, url);
  return { papers: cutPapers(all, cut), all: all.length, readAt: res.readAt };
}

/** Whether `parse` reads the body and `ok` holds for what it read (a body that does not parse is not kept). */
function readable<T>(parse: () => T, ok: (value: T) => boolean): boolean {
  try {
    return ok(parse());
  } catch {
    return false;
  }
}

/** The last day of a day or ISO week (its Sunday), YYYY-MM-DD. */
function lastDayOf(period: HfPeriod): string {
  if ('date' in period) return period.date;
  const monday = mondayOfIsoWeek(period.week);
  return monday === null ? '9999-12-31' : addDays(monday, 6);
}
