/**
 * Issue → the archive's view models and pages. Pure: templates and config come in, strings go out.
 * Titles and tags reach the templates as plain strings, so Handlebars escapes them. Abstracts and the
 * editor's note are handed over as HTML already escaped by html-text.ts (shared with the email, so
 * both link the same http(s) URLs and nothing else), and the page body as rendered HTML.
 */
import Handlebars from 'handlebars';
import type { Config } from '../config.ts';
import type { Issue, Lang, Paper } from '../model.ts';
import { editionFeeds, type EditionFeeds, type FeedLink } from '../archive/feed-links.ts';
import { paperSlug } from '../archive/papers.ts';
import { siteUrls } from '../site-urls.ts';
import { localDate } from '../time.ts';
import { noteHtml, paragraphsHtml } from './html-text.ts';
import type { SiteTemplates } from './site-templates.ts';

export interface SiteView {
  lang: string;
  title: string;
  description: string;
  url: string;
  styleUrl: string;
  feeds: { rss: string; atom: string; json: string };
  /** The sign-up form, on the index and on every issue page. */
  subscribe: SubscribeView;
  /** The search box: its module and the Pagefind bundle of each language. Absent: no search box (the server's own pages). */
  search?: { scriptUrl: string; zh: string; en: string };
  /** The index page: the site title is its heading, not a link to itself. */
  home?: boolean;
  /** The Edition feeds, advertised on every page (layout) and offered by the subscribe form. */
  editions: EditionFeeds[];
  alternates: FeedLink[];
  /** `/tags/` and `/feeds.opml`. */
  tagsUrl: string;
  opmlUrl: string;
}

export interface SubscribeView {
  action: string;
  langs: { value: Lang; label: string; checked: boolean }[];
}

export interface PaperView {
  anchor: string;
  titleEn: string;
  titleZh: string;
  /** The paper's main link (paper, then pdf, then code, then any), or null. */
  href: string | null;
  /** Escaped HTML paragraphs, http(s) URLs linked; '' when absent. */
  abstractZh: Handlebars.SafeString | '';
  abstractEn: Handlebars.SafeString | '';
  links: { name: string; label: string; url: string }[];
  tags: string[];
  /** The Paper page (`/papers/<slug>/`). */
  pageUrl: string;
}

export interface IssueView {
  id: string;
  title: string;
  url: string;
  weekStart: string;
  weekEnd: string;
  /** publish_at as given (RFC 3339), and as a date in the configured time zone. */
  publishedAt: string;
  publishedDate: string;
  noteHtml: Handlebars.SafeString | '';
  papers: PaperView[];
  paperCount: number;
}

export const LINK_LABELS: Record<string, string> = { paper: 'Paper', pdf: 'PDF', code: 'Code', project: 'Project', arxiv: 'arXiv', abs: 'arXiv', hf: 'Hugging Face' };
const MAIN_LINK_ORDER = ['paper', 'arxiv', 'pdf', 'code', 'project'];
const LANG_CHOICES: { value: Lang; label: string }[] = [
  { value: 'both', label: '中英 Both' },
  { value: 'zh', label: '中文' },
  { value: 'en', label: 'English' },
];

/** Defence in depth: the model already accepts only http(s) links, but nothing else may become an href. */
export function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function siteView(config: Config): SiteView {
  const urls = siteUrls(config);
  return {
    lang: config.siteLanguage,
    title: config.siteTitle,
    description: config.siteDescription,
    url: urls.home,
    styleUrl: urls.style,
    feeds: { rss: urls.rss, atom: urls.atom, json: urls.json },
    subscribe: { action: urls.subscribe, langs: LANG_CHOICES.map((c, i) => ({ ...c, checked: i === 0 })) },
    ...editionsView(config),
    tagsUrl: urls.tags,
    opmlUrl: urls.opml,
  };
}

/** The id of a paper's block on its issue page (`#paper-1` for the first). */
export const paperAnchor = (index: number): string => `paper-${index + 1}`;

function editionsView(config: Config): { editions: EditionFeeds[]; alternates: FeedLink[] } {
  const editions = editionFeeds(config);
  return { editions, alternates: editions.flatMap((e) => e.links) };
}

/**
 * An abstract as HTML paragraphs, remembered: the same abstract appears on its issue page, its
 * Paper page and in the feeds, and linkifying it is the costly part of rendering a page. Bounded,
 * so a long-running process (serve, the scheduler) does not keep every abstract it ever saw.
 */
const abstracts = new Map<string, string>();
export function abstractHtml(text: string): string {
  let out = abstracts.get(text);
  if (out === undefined) {
    if (abstracts.size >= 50_000) abstracts.clear();
    abstracts.set(text, (out = paragraphsHtml(text)));
  }
  return out;
}

export const html = (s: string): Handlebars.SafeString | '' => (s === '' ? '' : new Handlebars.SafeString(s));

export function paperView(paper: Paper, index: number, pageUrl: string): PaperView {
  const links = Object.entries(paper.links)
    .filter(([, url]) => isHttpUrl(url))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, url]) => ({ name, label: LINK_LABELS[name] ?? name, url: new URL(url).href }));
  const main = MAIN_LINK_ORDER.map((n) => links.find((l) => l.name === n)).find(Boolean) ?? links[0];
  return {
    anchor: paperAnchor(index),
    titleEn: paper.title.en,
    titleZh: paper.title.zh ?? '', // only a draft lacks it, and drafts are never published
    href: main?.url ?? null,
    abstractZh: html(abstractHtml(paper.abstract.zh ?? '')),
    abstractEn: html(abstractHtml(paper.abstract.en ?? '')),
    links,
    tags: paper.tags,
    pageUrl,
  };
}

export function issueView(issue: Issue, config: Config): IssueView {
  const urls = siteUrls(config);
  return {
    id: issue.id,
    title: issue.title,
    url: urls.issue(issue.id),
    weekStart: issue.week.start,
    weekEnd: issue.week.end,
    publishedAt: issue.publish_at,
    publishedDate: localDate(new Date(issue.publish_at), config.tz),
    noteHtml: html(noteHtml(issue.note)),
    papers: issue.papers.map((p, i) => paperView(p, i, urls.paper(paperSlug(issue.id, i, p)))),
    paperCount: issue.papers.length,
  };
}

/** `meta.alternates`: the page's own Feeds (a Tag page's), advertised after the site's. */
export function page(
  templates: SiteTemplates,
  site: SiteView,
  meta: { title: string; description: string; canonicalUrl: string; alternates?: FeedLink[] },
  body: string,
): string {
  return templates.pages.render('layout', { site, ...meta, body: new Handlebars.SafeString(body) });
}

/** The full issue as HTML (note and papers), the same markup as the web page's body. */
export function renderIssueContent(templates: SiteTemplates, view: IssueView): string {
  return templates.pages.render('entry', view);
}

/**
 * A page's <title>: its own title, then the parts of the site title (split at ` · `) it does not
 * already hold, so an issue titled like the site (每周AI论文速递 (240415-240419)) does not name it twice.
 */
export function documentTitle(title: string, siteTitle: string): string {
  return [title, ...siteTitle.split(' · ').filter((part) => !title.includes(part))].join(' · ');
}

export function renderIssuePage(templates: SiteTemplates, site: SiteView, view: IssueView): string {
  const body = templates.pages.render('issue', { site, issue: view });
  return page(templates, site, { title: documentTitle(view.title, site.title), description: site.description, canonicalUrl: view.url }, body);
}

/** `issues` newest first. */
export function renderIndexPage(templates: SiteTemplates, site: SiteView, issues: readonly IssueView[]): string {
  const home = { ...site, home: true };
  const body = templates.pages.render('index', { site: home, issues });
  return page(templates, home, { title: site.title, description: site.description, canonicalUrl: site.url }, body);
}
