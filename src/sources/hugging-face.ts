/**
 * Hugging Face's daily papers API (`/api/daily_papers?date=YYYY-MM-DD` and `?week=YYYY-Www`): the
 * papers people upvoted that day or ISO week. Pure: URLs and JSON → papers; requests go through
 * polite-http.ts. Fields Sudi does not use are ignored; a field it uses with the wrong type is
 * reported, naming the paper.
 */
import { z } from 'zod';
import { SudiError } from '../errors.ts';

const Author = z.object({ name: z.string(), hidden: z.boolean().nullish() });

const DailyPaper = z.object({
  paper: z.object({
    /** The arXiv id. */
    id: z.string(),
    title: z.string(),
    summary: z.string().nullish(),
    authors: z.array(Author).nullish(),
    publishedAt: z.string().nullish(),
    upvotes: z.number().int().min(0).nullish(),
    githubRepo: z.string().nullish(),
    githubStars: z.number().int().min(0).nullish(),
    projectPage: z.string().nullish(),
    ai_keywords: z.array(z.string()).nullish(),
  }),
});

export interface HfPaper {
  id: string;
  title: string;
  summary: string | null;
  authors: string[];
  upvotes: number;
  githubRepo: string | null;
  githubStars: number | null;
  projectPage: string | null;
  keywords: string[];
}

export type HfPeriod = { date: string } | { week: string };

export function dailyPapersUrl(base: string, period: HfPeriod): string {
  const u = new URL(`${base.replace(/\/+$/, '')}/daily_papers`);
  if ('date' in period) u.searchParams.set('date', period.date);
  else u.searchParams.set('week', period.week);
  return u.href;
}

/** The JSON answer → papers (duplicates of one arXiv id kept once, with the most upvotes). */
export function parseDailyPapers(json: string, source: string): HfPaper[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw new SudiError('E_SOURCE', `${source}: not JSON (${(e as Error).message}) (expected the daily papers list)`);
  }
  if (!Array.isArray(data)) throw new SudiError('E_SOURCE', `${source}: not a list (expected the daily papers list: [{ paper: { id, title, upvotes, … } }, …])`);
  const byId = new Map<string, HfPaper>();
  data.forEach((item, i) => {
    const r = DailyPaper.safeParse(item);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new SudiError('E_SOURCE', `${source}: item ${i}${isIdentified(item) ? ` (${item.paper.id})` : ''}: ${issue.path.join('.')}: ${issue.message}`);
    }
    const p = r.data.paper;
    const paper: HfPaper = {
      id: p.id,
      title: p.title,
      summary: p.summary ?? null,
      authors: (p.authors ?? []).filter((a) => !a.hidden).map((a) => a.name),
      upvotes: p.upvotes ?? 0,
      githubRepo: p.githubRepo || null,
      githubStars: p.githubStars ?? null,
      projectPage: p.projectPage || null,
      keywords: p.ai_keywords ?? [],
    };
    const seen = byId.get(p.id);
    if (!seen || seen.upvotes < paper.upvotes) byId.set(p.id, paper);
  });
  return [...byId.values()];
}

function isIdentified(v: unknown): v is { paper: { id: string } } {
  return typeof v === 'object' && v !== null && typeof (v as { paper?: { id?: unknown } }).paper?.id === 'string';
}

/** Most upvoted first (ties by id, so a run is reproducible); then the cut: a count and/or a threshold. */
export function cutPapers(papers: readonly HfPaper[], cut: { top?: number; minUpvotes?: number }): HfPaper[] {
  const sorted = [...papers].sort((a, b) => b.upvotes - a.upvotes || a.id.localeCompare(b.id));
  const kept = cut.minUpvotes === undefined ? sorted : sorted.filter((p) => p.upvotes >= cut.minUpvotes!);
  return cut.top === undefined ? kept : kept.slice(0, cut.top);
}

/** The cut in words, for messages: "at least 45 upvotes, the top 10". */
export function describeCut(cut: { top?: number; minUpvotes?: number }): string {
  return [cut.minUpvotes === undefined ? '' : `at least ${cut.minUpvotes} upvotes`, cut.top === undefined ? '' : `the top ${cut.top}`].filter(Boolean).join(', ');
}
