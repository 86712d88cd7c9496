/**
 * Published Issues → Search records: one record per Paper per language, so a result is a paper (not
 * a whole issue page) and each language gets its own Pagefind index (Chinese segmented by Pagefind's
 * extended build, English stemmed). Pure: the same issues and config give the same records, in the
 * same order, so the index is as deterministic as the pages.
 */
import type { Config } from '../config.ts';
import type { Issue, Paper } from '../model.ts';
import { paperSlug } from '../archive/papers.ts';
import { siteUrls } from '../site-urls.ts';

export const SEARCH_LANGS = ['zh', 'en'] as const;
export type SearchLang = (typeof SEARCH_LANGS)[number];

export interface SearchRecord {
  lang: SearchLang;
  /** Where the result leads (see `paperResultUrl`); unique within a language's index. */
  url: string;
  /** The paper's text in this language, HTML-escaped: Pagefind returns excerpts as HTML with <mark>. */
  content: string;
  /** Shown in the result: `title` in this language, `alt_title` in the other, the issue and its week. */
  meta: { title: string; alt_title: string; issue: string; week: string };
}

/** Where a search result for a paper leads: its Paper page (`/papers/<slug>/`). */
export function paperResultUrl(config: Pick<Config, 'siteUrl'>, issue: Issue, paper: Paper, index: number): string {
  return siteUrls(config).paper(paperSlug(issue.id, index, paper));
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `issues` as published (newest first). A paper without an abstract in a language is still found there by its title and tags. */
export function searchRecords(issues: readonly Issue[], config: Pick<Config, 'siteUrl'>): SearchRecord[] {
  const records: SearchRecord[] = [];
  for (const lang of SEARCH_LANGS) {
    const other = lang === 'zh' ? 'en' : 'zh';
    // A paper listed by several issues has one page, so one record: the newest listing's (issues come newest first).
    const seen = new Set<string>();
    for (const issue of issues) {
      issue.papers.forEach((paper, i) => {
        const url = paperResultUrl(config, issue, paper, i);
        if (seen.has(url)) return;
        seen.add(url);
        const text = [paper.title[lang] ?? '', paper.abstract[lang] ?? '', paper.tags.join(' ')].filter((s) => s !== '');
        records.push({
          lang,
          url,
          content: escapeHtml(text.join('\n')),
          meta: { title: paper.title[lang] ?? paper.title.en, alt_title: paper.title[other] ?? paper.title.en, issue: issue.title, week: issue.week.start },
        });
      });
    }
  }
  return records;
}
