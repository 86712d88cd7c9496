/**
 * Published issues → the Archive's Papers and Tags: one record per paper (however many issues listed
 * it) and one per tag. Pure, and every order is fixed, so the pages built from it are deterministic.
 *
 * A paper's slug (`/papers/<slug>/`) is permanent:
 * - an arXiv id gives its number without version: `arxiv:2404.08634v2` → `2404.08634`, so every
 *   version and every issue that listed it share one page;
 * - another `scheme:value` id gives `scheme-value`, characters outside `[A-Za-z0-9.-]` written as
 *   `_hh` (so two ids never share a slug);
 * - no id gives the listing issue and position: the 3rd paper of 2024-04-15 is `2024-04-15-3`.
 */
import type { Issue, Paper } from '../model.ts';
import { tagNames, tagSlug, type TagNames, type TagVocabulary } from '../content/tags.ts';

export interface Appearance {
  issue: Issue;
  /** 0-based position in the issue's papers. */
  index: number;
}

export interface PaperRecord {
  slug: string;
  /** `2404.08634` (no version) when the paper has an arXiv id. */
  arxivId: string | null;
  /** The paper as its newest listing wrote it, with what only older listings give filled in (withOlder). */
  paper: Paper;
  /** Every issue that listed it, newest first. */
  appearances: Appearance[];
  /** Tags across every listing, in first-seen order of the newest listing first. */
  tags: string[];
}

export interface TagRecord {
  tag: string;
  slug: string;
  names: TagNames;
  /** Newest first (by the newest issue that listed the paper, then slug). */
  papers: PaperRecord[];
  /** The published issues that list at least one of its papers, newest first. */
  issues: Issue[];
}

export interface ArchiveIndex {
  papers: PaperRecord[];
  /** `${issue id}#${index}` → the paper's record. */
  byListing: ReadonlyMap<string, PaperRecord>;
  tags: TagRecord[];
}

const ARXIV = /^arxiv:(\d{4}\.\d{4,5})(?:v\d+)?$/;

export function arxivIdOf(paper: Pick<Paper, 'id'>): string | null {
  return paper.id ? (ARXIV.exec(paper.id)?.[1] ?? null) : null;
}

export function paperSlug(issueId: string, index: number, paper: Pick<Paper, 'id'>): string {
  const arxiv = arxivIdOf(paper);
  if (arxiv) return arxiv;
  if (paper.id) {
    const colon = paper.id.indexOf(':');
    const value = paper.id.slice(colon + 1).replace(/[^A-Za-z0-9.-]/g, (c) => [...Buffer.from(c, 'utf8')].map((b) => `_${b.toString(16).padStart(2, '0')}`).join(''));
    return `${paper.id.slice(0, colon)}-${value}`;
  }
  return `${issueId}-${index + 1}`;
}

/**
 * A paper listed again (a follow-up, new code) keeps its newest text, but an author list, date,
 * abstract or link written only in an older listing is not lost from its page.
 */
function withOlder(newer: Paper, older: Paper): Paper {
  return {
    ...newer,
    abstract: { zh: newer.abstract.zh ?? older.abstract.zh, en: newer.abstract.en ?? older.abstract.en },
    links: { ...older.links, ...newer.links },
    authors: newer.authors ?? older.authors,
    published: newer.published ?? older.published,
  };
}

export function listingKey(issueId: string, index: number): string {
  return `${issueId}#${index}`;
}

/** `issues`: the published ones, newest first (as publishedIssues gives them). */
export function indexArchive(issues: readonly Issue[], vocabulary: TagVocabulary | null): ArchiveIndex {
  const slugOf = tagSlugger(vocabulary);
  const bySlug = new Map<string, PaperRecord>();
  const byListing = new Map<string, PaperRecord>();
  // Sets keep insertion order: issues come newest first, so every list below is newest first too.
  const tagged = new Map<string, { tag: string; papers: Set<PaperRecord>; issues: Set<Issue> }>();
  for (const issue of issues) {
    issue.papers.forEach((paper, index) => {
      const slug = paperSlug(issue.id, index, paper);
      let record = bySlug.get(slug);
      if (!record) {
        record = { slug, arxivId: arxivIdOf(paper), paper, appearances: [], tags: [] };
        bySlug.set(slug, record);
      } else record.paper = withOlder(record.paper, paper);
      record.appearances.push({ issue, index });
      byListing.set(listingKey(issue.id, index), record);
      for (const t of paper.tags) {
        if (!record.tags.includes(t)) record.tags.push(t);
        const tagSlugValue = slugOf(t);
        let entry = tagged.get(tagSlugValue);
        if (!entry) tagged.set(tagSlugValue, (entry = { tag: t, papers: new Set(), issues: new Set() }));
        entry.papers.add(record);
        entry.issues.add(issue);
      }
    });
  }
  const papers = [...bySlug.values()];
  const tags = [...tagged]
    .map(([slug, e]): TagRecord => ({ tag: e.tag, slug, names: tagNames(vocabulary, e.tag), papers: [...e.papers], issues: [...e.issues] }))
    .sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  return { papers, byListing, tags };
}

/** A tag → its slug: itself under a vocabulary, else tagSlug (remembered: one tag recurs on thousands of papers). */
function tagSlugger(vocabulary: TagVocabulary | null): (tag: string) => string {
  if (vocabulary) return (tag) => tag;
  const known = new Map<string, string>();
  return (tag) => {
    let slug = known.get(tag);
    if (slug === undefined) known.set(tag, (slug = tagSlug(tag)));
    return slug;
  };
}

/** The papers of `issue` that carry the tag (by slug), in issue order, with their positions. */
export function papersTagged(issue: Issue, slug: string, vocabulary: TagVocabulary | null): { paper: Paper; index: number }[] {
  const slugOf = tagSlugger(vocabulary);
  return issue.papers.map((paper, index) => ({ paper, index })).filter(({ paper }) => paper.tags.some((t) => slugOf(t) === slug));
}
