/**
 * Issue → the archive's view models and pages. Pure: templates and config come in, strings go out.
 * Titles and tags reach the templates as plain strings, so Handlebars escapes them. Abstracts and the
 * editor's note are handed over as HTML already escaped by html-text.ts (shared with the email, so
 * both link the same http(s) URLs and nothing else), and the page body as rendered HTML.
 */
import Handlebars from 'handlebars';
import type { Config } from '../config.ts';
import type { Issue, Lang, Paper } from '../model.ts';
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

const LINK_LABELS: Record<string, string> = { paper: 'Paper', pdf: 'PDF', code: 'Code', project: 'Project', arxiv: 'arXiv' };
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
  };
}

/** The id of a paper's block on its issue page (`#paper-1` for the first). */
export const paperAnchor = (index: number): string => `paper-${index + 1}`;

const html = (s: string): Handlebars.SafeString | '' => (s === '' ? '' : new Handlebars.SafeString(s));

export function paperView(paper: Paper, index: number): PaperView {
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
    abstractZh: html(paragraphsHtml(paper.abstract.zh ?? '')),
    abstractEn: html(paragraphsHtml(paper.abstract.en ?? '')),
    links,
    tags: paper.tags,
  };
}

export function issueView(issue: Issue, config: Config): IssueView {

  return {
    id: issue.id,
    title: issue.title,
    url: siteUrls(config).issue(issue.id),
    weekStart: issue.week.start,
    weekEnd: issue.week.end,
    publishedAt: issue.publish_at,
    publishedDate: localDate(new Date(issue.publish_at), config.tz),
    noteHtml: html(noteHtml(issue.note)),
    papers: issue.papers.map(paperView),
    paperCount: issue.papers.length,
  };
}

function page(templates: SiteTemplates, site: SiteView, meta: { title: string; description: string; canonicalUrl: string }, body: string): string {
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
