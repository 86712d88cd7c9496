/**
 * What each source says about a Paper, as issue-file fields, and how that is added to a Paper the
 * editor already has: only what is missing is filled, nothing the editor wrote is ever replaced.
 * Pure.
 */
import type { IssueData } from '../content/serialize-issue.ts';
import { httpUrl } from '../model.ts';
import { titleKey, type ArxivEntry } from './arxiv.ts';
import type { HfPaper } from './hugging-face.ts';

export type PaperData = IssueData['papers'][number];

/** `keepVersion`: the editor asked for that version; a bare id means the latest, stored without one. */
export function paperFromArxiv(e: ArxivEntry, keepVersion: number | null): PaperData {
  const id = keepVersion === null ? e.id : `${e.id}v${keepVersion}`;
  return {
    id: `arxiv:${id}`,
    title: { en: e.title, zh: '' },
    abstract: { ...(e.abstract ? { en: e.abstract } : {}) },
    ...(e.authors.length > 0 ? { authors: e.authors } : {}),
    ...(e.categories.length > 0 ? { categories: e.categories } : {}),
    ...(isDate(e.published) ? { published: e.published } : {}),
    ...(isDate(e.updated) ? { updated: e.updated } : {}),
    ...(e.doi ? { doi: e.doi } : {}),
    ...(e.journalRef ? { journal_ref: e.journalRef } : {}),
    ...(e.comment ? { comment: e.comment } : {}),
    links: { abs: `https://arxiv.org/abs/${id}`, pdf: `https://arxiv.org/pdf/${id}` },
  };
}

/**
 * `readAt`: the day the upvotes were read (YYYY-MM-DD), kept beside them. No tags: its keywords
 * become tags only through suggestTags, once arXiv's categories are known too.
 */
export function paperFromHf(p: HfPaper, readAt: string): PaperData {
  const links: Record<string, string> = {};
  const link = (name: string, url: string | null) => {
    // A source's malformed URL is left out rather than written into a file check would refuse.
    if (url && httpUrl.safeParse(url).success) links[name] = url;
  };
  link('code', p.githubRepo);
  link('project', p.projectPage);
  link('hf', `https://huggingface.co/papers/${p.id}`);
  return {
    id: `arxiv:${p.id}`,
    title: { en: p.title.replace(/\s+/g, ' ').trim(), zh: '' },
    abstract: { ...(p.summary?.trim() ? { en: p.summary.replace(/\s+/g, ' ').trim() } : {}) },
    ...(p.authors.length > 0 ? { authors: p.authors } : {}),
    links,
    popularity: { upvotes: p.upvotes, ...(p.githubStars === null ? {} : { github_stars: p.githubStars }), read_at: readAt },
  };
}

const SCALARS = ['id', 'published', 'updated', 'doi', 'journal_ref', 'comment'] as const;

/**
 * `paper` with every field `from` has and `paper` lacks. Titles are never replaced (an empty
 * `title.zh` counts as missing); a link is added only under a new name and only when no link of
 * the paper already points there; tags only when the paper has none. `filled` names each field set.
 */
export function fillMissing(paper: PaperData, from: PaperData): { paper: PaperData; filled: string[] } {
  const out: PaperData = structuredClone(paper);
  const filled: string[] = [];
  for (const k of SCALARS) {
    if (out[k] === undefined && from[k] !== undefined) {
      out[k] = from[k];
      filled.push(k);
    }
  }
  if (!(out.title.zh ?? '').trim() && from.title.zh?.trim()) {
    out.title.zh = from.title.zh;
    filled.push('title.zh');
  }
  for (const lang of ['en', 'zh'] as const) {
    if (out.abstract[lang] === undefined && from.abstract[lang] !== undefined) {
      out.abstract[lang] = from.abstract[lang];
      filled.push(`abstract.${lang}`);
    }
  }
  for (const k of ['authors', 'categories'] as const) {
    if (!out[k]?.length && from[k]?.length) {
      out[k] = [...from[k]];
      filled.push(k);
    }
  }
  if (!out.popularity && from.popularity) {
    out.popularity = { ...from.popularity };
    filled.push('popularity');
  }
  const links = { ...out.links };
  const urls = new Set(Object.values(links).map(comparableUrl));
  for (const [name, url] of Object.entries(from.links ?? {})) {
    if (links[name] !== undefined || urls.has(comparableUrl(url))) continue;
    links[name] = url;
    urls.add(comparableUrl(url));
    filled.push(`links.${name}`);
  }
  if (Object.keys(links).length > 0) out.links = links;
  if (!out.tags?.length && from.tags?.length) {
    out.tags = [...from.tags];
    filled.push('tags');
  }
  return { paper: out, filled };
}

/** Two links to one place: scheme, a trailing slash and case of the host do not matter. */
function comparableUrl(url: string): string {
  return url.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, '').toLowerCase();
}

/** The arXiv id of a paper without `arxiv:` and without its version, or null. */
export function baseArxivId(paper: Pick<PaperData, 'id'>): string | null {
  return /^arxiv:(\d{4}\.\d{4,5})/.exec(paper.id ?? '')?.[1] ?? null;
}

/** Whether two papers are the same one: the same arXiv id, or (either without one) the same title. */
export function samePaper(a: PaperData, b: PaperData): boolean {
  const ia = baseArxivId(a);
  const ib = baseArxivId(b);
  if (ia && ib) return ia === ib;
  return titleKey(a.title.en) === titleKey(b.title.en);
}

function isDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s);
}
