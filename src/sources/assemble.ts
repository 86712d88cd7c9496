/**
 * From sources to Papers: arXiv ids, Hugging Face's day or week, or an issue's own papers to
 * enrich. Each function returns the papers and one line per paper saying what happened to it.
 * A paper without tags gets suggested ones (suggest-tags.ts) under the Tag vocabulary, when there
 * is one; a paper's own tags are never touched.
 */
import type { TagVocabulary } from '../content/tags.ts';
import { localDate } from '../time.ts';
import { parseArxivRef } from './arxiv.ts';
import type { HfPeriod } from './hugging-face.ts';
import { baseArxivId, fillMissing, paperFromArxiv, paperFromHf, samePaper, type PaperData } from './paper-fields.ts';
import { arxivByIds, arxivByTitle, hfPapers, type Sources } from './paper-sources.ts';
import { suggestTags } from './suggest-tags.ts';

export interface Assembled {
  papers: PaperData[];
  /** One line per paper (or per id asked about). */
  lines: string[];
  /** Ids the editor asked for that arXiv does not have or refuses, each named. */
  problems: string[];
  /** Per paper, the keywords that no tag of the vocabulary matched (only with a vocabulary). */
  unmatched: { paper: string; keywords: string[] }[];
}

/**
 * `paper` with suggested tags from `keywords` and its categories when it has no tags yet; with a
 * vocabulary, its keywords no tag matched are noted in `out` (unmatched, and a line).
 */
function withSuggestedTags(paper: PaperData, keywords: readonly string[], vocabulary: TagVocabulary | null, out: Assembled): PaperData {
  if (paper.tags?.length) return paper;
  const s = suggestTags({ keywords, categories: paper.categories ?? [] }, vocabulary);
  const label = paper.id ?? `"${paper.title.en}"`;
  if (s.unmatched.length > 0 && vocabulary) {
    out.unmatched.push({ paper: label, keywords: s.unmatched });
    out.lines.push(`${label}: suggested, not in ${vocabulary.file}: ${s.unmatched.join(', ')}`);
  }
  return s.tags.length > 0 ? { ...paper, tags: s.tags } : paper;
}

/** `refs`: base ids, or `ID vN` for a version; a bare id is stored without its version. */
export async function papersFromArxiv(s: Sources, refs: readonly { id: string; version: number | null }[], vocabulary: TagVocabulary | null): Promise<Assembled> {
  const keys = refs.map((r) => (r.version === null ? r.id : `${r.id}v${r.version}`));
  const found = await arxivByIds(s, keys);
  const out: Assembled = { papers: [], lines: [], problems: [], unmatched: [] };
  for (const m of found.malformed) out.problems.push(`${m.id}: arXiv refused it as malformed (${m.message}); expected an id such as 2404.08634`);
  for (const id of found.unknown) out.problems.push(`${id}: arXiv has no such paper (check the id)`);
  refs.forEach((r, i) => {
    const entry = found.found.get(keys[i]!);
    if (!entry) return;
    const paper = paperFromArxiv(entry, r.version);
    out.lines.push(`${paper.id}: "${entry.title}" (version ${entry.version ?? '?'} of ${entry.updated})`);
    out.papers.push(withSuggestedTags(paper, [], vocabulary, out));
  });
  return out;
}

/**
 * Hugging Face's papers of a day or week, cut, each completed from arXiv (one request for all):
 * arXiv's metadata first, then Hugging Face's links, upvotes and keywords.
 */
export async function papersFromHf(
  s: Sources,
  period: HfPeriod,
  cut: { top?: number; minUpvotes?: number },
  tz: string,
  vocabulary: TagVocabulary | null,
): Promise<Assembled & { all: number }> {
  const hf = await hfPapers(s, period, cut);
  const readAt = localDate(hf.readAt, tz);
  const out: Assembled & { all: number } = { papers: [], lines: [], problems: [], unmatched: [], all: hf.all };
  // paper.id is an arXiv id; anything else could neither be asked for nor stored as one.
  const usable = hf.papers.filter((p) => parseArxivRef(p.id)?.version === null);
  for (const p of hf.papers.filter((q) => !usable.includes(q))) out.lines.push(`skipped "${p.title}": its id ${JSON.stringify(p.id)} is not an arXiv id`);
  const arxiv = usable.length > 0 ? await arxivByIds(s, usable.map((p) => p.id)) : null;
  for (const p of usable) {
    const fromHf = paperFromHf(p, readAt);
    const entry = arxiv?.found.get(p.id);
    const paper = entry ? fillMissing(paperFromArxiv(entry, null), fromHf).paper : fromHf;
    out.lines.push(`${paper.id}: ${p.upvotes} upvotes: "${paper.title.en}"${entry ? '' : ' (not on arXiv yet: Hugging Face\'s text only)'}`);
    out.papers.push(withSuggestedTags(paper, p.keywords, vocabulary, out));
  }
  return out;
}

/**
 * Fill what `papers` lack: those with an arXiv id from one id request, those without by exact title.
 * Each paper is reported as found (with what was filled), not found, or ambiguous.
 */
export async function enrichPapers(s: Sources, papers: readonly PaperData[], vocabulary: TagVocabulary | null): Promise<Assembled> {
  const out: Assembled = { papers: [...papers], lines: [], problems: [], unmatched: [] };
  const label = (i: number) => `papers.${i} "${papers[i]!.title.en}"`;
  // Papers with an id are asked about together, and only when they lack something arXiv has.
  const asked = papers.filter((p) => baseArxivId(p) && lacksArxivFields(p)).map((p) => p.id!.replace(/^arxiv:/, ''));
  const byId = asked.length > 0 ? await arxivByIds(s, asked) : null;
  for (const [i, p] of papers.entries()) {
    if (baseArxivId(p) && !lacksArxivFields(p)) {
      out.lines.push(`${label(i)}: ${p.id}: nothing is missing (not asked)`);
      continue;
    }
    if (baseArxivId(p)) {
      const key = p.id!.replace(/^arxiv:/, '');
      const entry = byId?.found.get(key);
      if (!entry) {
        out.lines.push(`${label(i)}: not found: arXiv has no ${p.id}`);
        continue;
      }
      const version = /v(\d+)$/.exec(key);
      const r = withTags(fillMissing(p, paperFromArxiv(entry, version ? Number(version[1]) : null)), vocabulary, out);
      out.papers[i] = r.paper;
      out.lines.push(`${label(i)}: found ${p.id}: ${describeFilled(r.filled)}`);
      continue;
    }
    if (p.id !== undefined) {
      out.lines.push(`${label(i)}: skipped: ${p.id} is not an arXiv id`);
      continue;
    }
    const t = await arxivByTitle(s, p.title.en);
    if (t.status === 'found') {
      const found = paperFromArxiv(t.entry, null);
      // Another paper of this issue may already hold that id: then this one is not it.
      if (papers.some((q, j) => j !== i && samePaper(q, found) && q.id !== undefined)) {
        out.lines.push(`${label(i)}: ambiguous: its title matches ${found.id}, which another paper of this issue already has`);
        continue;
      }
      const r = withTags(fillMissing(p, found), vocabulary, out);
      out.papers[i] = r.paper;
      out.lines.push(`${label(i)}: found ${found.id}: ${describeFilled(r.filled)}`);
    } else if (t.status === 'ambiguous') {
      out.lines.push(`${label(i)}: ambiguous: arXiv has ${t.ids.length} papers with exactly this title (${t.ids.map((id) => `arxiv:${id}`).join(', ')}); add the right id by hand`);
    } else {
      out.lines.push(`${label(i)}: not found: no arXiv paper has exactly this title (check the title, or add the id by hand)`);
    }
  }
  return out;
}

/** A paper that gained data from arXiv: suggested tags from its categories, when it has none (named in `filled`). */
function withTags(r: { paper: PaperData; filled: string[] }, vocabulary: TagVocabulary | null, out: Assembled): { paper: PaperData; filled: string[] } {
  const paper = withSuggestedTags(r.paper, [], vocabulary, out);
  return paper === r.paper ? r : { paper, filled: [...r.filled, 'tags'] };
}

/** Whether a paper with an arXiv id lacks a field every arXiv entry has (comment, DOI and journal are often absent). */
function lacksArxivFields(p: PaperData): boolean {
  return !p.abstract.en || !p.authors?.length || !p.categories?.length || !p.published || !p.updated || !p.links?.abs;
}

function describeFilled(filled: readonly string[]): string {
  return filled.length === 0 ? 'nothing was missing' : `filled ${filled.join(', ')}`;
}
