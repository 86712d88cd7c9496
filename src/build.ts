/**
 * Issue[] → OutputFile[]: the whole Archive and the three Feeds. Pure: no I/O, no clock (the caller
 * passes `now`), so the same issues, config, templates and `now` give byte-identical files.
 * Writing them is write-output.ts's job.
 */
import type { Config } from './config.ts';
import { renderAtom } from './feeds/atom.ts';
import { editionFeeds, feedLinks } from './archive/feed-links.ts';
import { indexArchive, papersTagged, type TagRecord } from './archive/papers.ts';
import type { TagVocabulary } from './content/tags.ts';
import { buildFeedData, feedDataOf, type FeedData } from './feeds/feed-data.ts';
import { renderOpml } from './feeds/opml.ts';
import { renderJsonFeed } from './feeds/json-feed.ts';
import { renderRss } from './feeds/rss.ts';
import type { Issue, OutputFile } from './model.ts';
import { issueView, renderIndexPage, renderIssueContent, renderIssuePage, siteView, type IssueView } from './render/site.ts';
import type { SiteTemplates } from './render/site-templates.ts';
import {
  renderEditionContent,
  paperPageView,
  renderPaperPage,
  renderTagPage,
  renderTagsPage,
  tagFeedLinks,
  tagLabel,
  editionIssueTitle,
  editionSummary,
} from './render/archive-pages.ts';
import { feedFolder, OUTPUT_PATHS, siteUrls } from './site-urls.ts';
import { SEARCH_CLIENT_JS, SEARCH_CLIENT_PATH } from './search/client.ts';
import { searchBundlePath } from './search/index-site.ts';
import { fingerprintedPath } from './static-manifest.ts';

export interface BuildOptions {
  config: Config;
  now: Date;
  templates: SiteTemplates;
  /** The Tag vocabulary the issues were checked against (null: none, tags name themselves). */
  tags?: TagVocabulary | null;
}

/** Published = `status: ready` and `publish_at` ≤ now. Newest first (publish_at, then id). */
export function publishedIssues(issues: readonly Issue[], now: Date): Issue[] {
  const at = (i: Issue) => Date.parse(i.publish_at);
  return issues
    .filter((i) => i.status === 'ready' && at(i) <= now.getTime())
    .sort((a, b) => at(b) - at(a) || b.id.localeCompare(a.id));
}

export function buildSite(issues: readonly Issue[], { config, now, templates, tags = null }: BuildOptions): OutputFile[] {
  const published = publishedIssues(issues, now);
  // Pages link the stylesheet by a content-named copy, cached for a year; style.css stays for the
  // server's own pages and anyone who linked it.
  const stylePath = fingerprintedPath(OUTPUT_PATHS.style, templates.css);
  const searchPath = fingerprintedPath(SEARCH_CLIENT_PATH, SEARCH_CLIENT_JS);
  const at = (p: string) => new URL(p, config.siteUrl).href;
  // The search index itself is written by publish.ts (search/index-site.ts), into the same swap.
  const search = { scriptUrl: at(searchPath), zh: at(searchBundlePath('zh')), en: at(searchBundlePath('en')) };
  const site = { ...siteView(config), styleUrl: at(stylePath), search };
  const views = new Map<string, IssueView>(published.map((i) => [i.id, issueView(i, config)]));
  const view = (i: Issue) => views.get(i.id) as IssueView;

  const files: OutputFile[] = [
    { path: OUTPUT_PATHS.index, contents: renderIndexPage(templates, site, published.map(view)) },
    { path: OUTPUT_PATHS.style, contents: templates.css },
    { path: stylePath, contents: templates.css },
    { path: searchPath, contents: SEARCH_CLIENT_JS },
  ];
  for (const issue of published) {
    files.push({ path: OUTPUT_PATHS.issue(issue.id), contents: renderIssuePage(templates, site, view(issue)) });
  }

  const feedFiles = (folder: string, feed: FeedData) =>
    files.push(
      { path: folder + OUTPUT_PATHS.rss, contents: renderRss(feed) },
      { path: folder + OUTPUT_PATHS.atom, contents: renderAtom(feed) },
      { path: folder + OUTPUT_PATHS.json, contents: renderJsonFeed(feed) },
    );
  feedFiles('', buildFeedData(published, (i) => renderIssueContent(templates, view(i)), config));

  // Paper pages, Tag pages and the list of Tags.
  const archive = indexArchive(published, tags);
  for (const record of archive.papers) {
    files.push({ path: OUTPUT_PATHS.paper(record.slug), contents: renderPaperPage(templates, site, paperPageView(record, config, tags), config) });
  }
  files.push({ path: OUTPUT_PATHS.tags, contents: renderTagsPage(templates, site, archive, config) });
  for (const tag of archive.tags) files.push({ path: OUTPUT_PATHS.tag(tag.slug), contents: renderTagPage(templates, site, tag, config) });

  // Edition feeds (/zh/, /en/) and Tag feeds (/tags/<slug>/): the same entries and ids, other text.
  const urls = siteUrls(config);
  for (const e of editionFeeds(config)) {
    const folder = feedFolder({ edition: e.edition });
    feedFiles(
      folder,
      feedDataOf(published, config, {
        title: e.title,
        description: config.siteDescription,
        language: e.language,
        homeUrl: urls.home,
        selfUrls: urls.feedsIn(folder),
        id: urls.feedsIn(folder).atom,
        entryTitle: (i) => editionIssueTitle(i, e.edition),
        summary: (i) => editionSummary(i, e.edition),
        contentHtml: (i) => renderEditionContent(templates, i, e.edition, config),
        tags: (i) => [...new Set(i.papers.flatMap((p) => p.tags))].sort(),
      }),
    );
  }
  for (const tag of archive.tags) feedFiles(feedFolder({ tag: tag.slug }), tagFeed(tag));
  function tagFeed(tag: TagRecord): FeedData {
    const folder = feedFolder({ tag: tag.slug });
    const label = tagLabel(tag);
    return feedDataOf(tag.issues, config, {
      title: `${config.siteTitle} · ${label}`,
      description: `${label}: ${config.siteDescription}`,
      language: config.siteLanguage,
      homeUrl: urls.tag(tag.slug),
      selfUrls: urls.feedsIn(folder),
      id: urls.feedsIn(folder).atom,
      entryTitle: (i) => i.title,
      summary: (i) => {
        const tagged = papersTagged(i, tag.slug, tags);
        return `${tagged.length} ${label} papers: ${tagged.map((t) => t.paper.title.en).join('; ')}`;
      },
      contentHtml: (i) => {
        const keep = new Set(papersTagged(i, tag.slug, tags).map((t) => t.index));
        const v = view(i);
        return renderIssueContent(templates, { ...v, papers: v.papers.filter((_p, k) => keep.has(k)), paperCount: keep.size });
      },
      tags: () => [tag.tag],
    });
  }

  const opmlGroup = (text: string, htmlUrl: string, links: ReturnType<typeof tagFeedLinks>) => ({ text, htmlUrl, links });
  files.push({
    path: OUTPUT_PATHS.opml,
    contents: renderOpml(
      `${config.siteTitle} · 订阅源 Feeds`,
      config.siteAuthor,
      [opmlGroup(config.siteTitle, urls.home, feedLinks(site.title, site.lang, site.feeds)), ...site.editions.map((e) => opmlGroup(e.title, urls.home, e.links))],
      { text: '标签 Tags', groups: archive.tags.map((t) => opmlGroup(tagLabel(t), urls.tag(t.slug), tagFeedLinks(config, t))) },
    ),
  });
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

