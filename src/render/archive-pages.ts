/**
 * The Archive's Paper pages, Tag pages and the list of Tags, and the Edition feeds' entry content.
 * Pure like site.ts: records from archive/papers.ts and the templates in, HTML strings out. Text
 * reaches the templates as plain strings (Handlebars escapes it); abstracts as HTML escaped by
 * html-text.ts, the same as on issue pages.
 */
import { englishTitleOf } from './email-view.ts';
import type Handlebars from 'handlebars';
import type { Config } from '../config.ts';
import type { Issue } from '../model.ts';
import { bibtexKey, renderBibtex } from '../archive/bibtex.ts';
import { EDITION_INFO, feedLinks, type FeedLink } from '../archive/feed-links.ts';
import { arxivIdOf, paperSlug, type ArchiveIndex, type PaperRecord, type TagRecord } from '../archive/papers.ts';
import type { TagVocabulary } from '../content/tags.ts';
import { tagNames, tagSlug } from '../content/tags.ts';
import { siteUrls, type Edition } from '../site-urls.ts';
import { noteHtml } from './html-text.ts';
import { abstractHtml, html, isHttpUrl, LINK_LABELS, page, type SiteView } from './site.ts';
import type { SiteTemplates } from './site-templates.ts';

interface TagLink {
  slug: string;
  url: string;
  /** `分割 · Segmentation`, or the tag once when both names are the same (a free tag). */
  label: string;
}

export interface PaperPageView {
  slug: string;
  arxivId: string | null;
  titleEn: string;
  titleZh: string;
  authors: string[];
  published: string | null;
  abstractZh: Handlebars.SafeString | '';
  abstractEn: Handlebars.SafeString | '';
  links: { name: string; label: string; url: string }[];
  tags: TagLink[];
  bibtex: string;
  bibtexKey: string;
  appearances: { title: string; url: string; weekStart: string; weekEnd: string }[];
}

/** Links shown first, in this order; any other named link follows alphabetically. */
const PAGE_LINK_ORDER = ['abs', 'paper', 'arxiv', 'pdf', 'hf', 'code', 'project'];

/** The paper's own links plus, with an arXiv id, the arXiv abstract, PDF and Hugging Face pages it lacks. */
export function paperLinks(links: Record<string, string>, arxivId: string | null): { name: string; label: string; url: string }[] {
  const all: Record<string, string> = { ...links };
  if (arxivId) {
    all.abs ??= `https://arxiv.org/abs/${arxivId}`;
    all.pdf ??= `https://arxiv.org/pdf/${arxivId}`;
    all.hf ??= `https://huggingface.co/papers/${arxivId}`;
  }
  const rank = (n: string) => (PAGE_LINK_ORDER.includes(n) ? PAGE_LINK_ORDER.indexOf(n) : PAGE_LINK_ORDER.length);
  return Object.entries(all)
    .filter(([, url]) => isHttpUrl(url))
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([name, url]) => ({ name, label: LINK_LABELS[name] ?? name, url: new URL(url).href }));
}

function tagLink(config: Config, vocabulary: TagVocabulary | null, tag: string): TagLink {
  const slug = vocabulary ? tag : tagSlug(tag);
  const names = tagNames(vocabulary, tag);
  return { slug, url: siteUrls(config).tag(slug), label: names.zh === names.en ? names.zh : `${names.zh} · ${names.en}` };
}

export function paperPageView(record: PaperRecord, config: Config, vocabulary: TagVocabulary | null): PaperPageView {
  const urls = siteUrls(config);
  const { paper } = record;
  const newest = record.appearances[0]!;
  const pageUrl = urls.paper(record.slug);
  return {
    slug: record.slug,
    arxivId: record.arxivId,
    titleEn: paper.title.en,
    titleZh: paper.title.zh ?? '', // only a draft lacks it, and drafts are never published
    authors: paper.authors ?? [],
    published: paper.published ?? null,
    abstractZh: html(abstractHtml(paper.abstract.zh ?? '')),
    abstractEn: html(abstractHtml(paper.abstract.en ?? '')),
    links: paperLinks(paper.links, record.arxivId),
    tags: record.tags.map((t) => tagLink(config, vocabulary, t)),
    bibtex: renderBibtex({ slug: record.slug, arxivId: record.arxivId, paper, issueId: newest.issue.id, pageUrl }),
    bibtexKey: bibtexKey(record.slug, record.arxivId),
    appearances: record.appearances.map((a) => ({
      title: a.issue.title,
      url: `${urls.issue(a.issue.id)}#paper-${a.index + 1}`,
      weekStart: a.issue.week.start,
      weekEnd: a.issue.week.end,
    })),
  };
}

export function renderPaperPage(templates: SiteTemplates, site: SiteView, view: PaperPageView, config: Config): string {
  const body = templates.pages.render('paper-page', { site, paper: view });
  const url = siteUrls(config).paper(view.slug);
  return page(templates, site, { title: `${view.titleEn} · ${site.title}`, description: view.titleZh, canonicalUrl: url }, body);
}

/** A Tag's own Feed set, advertised on its page and listed in the OPML. */
export function tagFeedLinks(config: Config, tag: TagRecord): FeedLink[] {
  return feedLinks(`${config.siteTitle} · ${tagLabel(tag)}`, config.siteLanguage, siteUrls(config).feedsIn(`tags/${tag.slug}/`));
}

export function tagLabel(tag: TagRecord): string {
  return tag.names.zh === tag.names.en ? tag.names.zh : `${tag.names.zh} · ${tag.names.en}`;
}

export function renderTagPage(templates: SiteTemplates, site: SiteView, tag: TagRecord, config: Config): string {
  const urls = siteUrls(config);
  const feeds = tagFeedLinks(config, tag);
  const view = {
    label: tagLabel(tag),
    names: tag.names,
    count: tag.papers.length,
    feeds,
    papers: tag.papers.map((p) => ({
      url: urls.paper(p.slug),
      titleEn: p.paper.title.en,
      titleZh: p.paper.title.zh,
      date: p.appearances[0]!.issue.week.start,
    })),
  };
  const body = templates.pages.render('tag', { site, tag: view });
  return page(templates, site, { title: `${view.label} · ${site.title}`, description: `${view.label}: ${view.count} papers`, canonicalUrl: urls.tag(tag.slug), alternates: feeds }, body);
}

export function renderTagsPage(templates: SiteTemplates, site: SiteView, archive: ArchiveIndex, config: Config): string {
  const urls = siteUrls(config);
  const tags = archive.tags.map((t) => ({ url: urls.tag(t.slug), label: tagLabel(t), slug: t.slug, count: t.papers.length }));
  const body = templates.pages.render('tags', { site, tags });
  return page(templates, site, { title: `标签 Tags · ${site.title}`, description: site.description, canonicalUrl: urls.tags }, body);
}

/** An Edition's title for an Issue: the issue title, or the English one the `en` email edition has too. */
export function editionIssueTitle(issue: Issue, edition: Edition): string {
  return edition === 'zh' ? issue.title : englishTitleOf(issue);
}

/** One line: how many papers and the first titles, in the Edition's language. */
export function editionSummary(issue: Issue, edition: Edition): string {
  const titles = issue.papers.slice(0, 3).map((p) => (edition === 'zh' ? p.title.zh : p.title.en));
  const more = issue.papers.length > 3 ? (edition === 'zh' ? '；…' : '; …') : '';
  return edition === 'zh' ? `${issue.papers.length} 篇论文：${titles.join('；')}${more}` : `${issue.papers.length} papers: ${titles.join('; ')}${more}`;
}

/**
 * An Issue as one Edition's text: its titles and abstracts in that language. A paper without an
 * abstract in it shows the other one, marked with its own `lang`, rather than nothing.
 */
export function renderEditionContent(templates: SiteTemplates, issue: Issue, edition: Edition, config: Config): string {
  const urls = siteUrls(config);
  const other: Edition = edition === 'zh' ? 'en' : 'zh';
  const lang = (e: Edition) => EDITION_INFO[e].language;
  const papers = issue.papers.map((p, i) => {
    const abstractIn = p.abstract[edition] !== undefined ? edition : other;
    return {
      anchor: `paper-${i + 1}`,
      title: p.title[edition],
      titleLang: lang(edition),
      abstract: html(abstractHtml(p.abstract[abstractIn] ?? '')),
      abstractLang: lang(abstractIn),
      pageUrl: urls.paper(paperSlug(issue.id, i, p)),
      links: paperLinks(p.links, arxivIdOf(p)),
    };
  });
  return templates.pages.render('edition-entry', { lang: lang(edition), noteHtml: html(noteHtml(issue.note)), papers });
}
