/**
 * Issue[] → OutputFile[]: the whole Archive and the three Feeds. Pure: no I/O, no clock (the caller
 * passes `now`), so the same issues, config, templates and `now` give byte-identical files.
 * Writing them is write-output.ts's job.
 */
import type { Config } from './config.ts';
import { renderAtom } from './feeds/atom.ts';
import { buildFeedData } from './feeds/feed-data.ts';
import { renderJsonFeed } from './feeds/json-feed.ts';
import { renderRss } from './feeds/rss.ts';
import type { Issue, OutputFile } from './model.ts';
import { issueView, renderIndexPage, renderIssueContent, renderIssuePage, siteView, type IssueView } from './render/site.ts';
import type { SiteTemplates } from './render/site-templates.ts';
import { SEARCH_CLIENT_JS, SEARCH_CLIENT_PATH } from './search/client.ts';
import { searchBundlePath } from './search/index-site.ts';
import { OUTPUT_PATHS } from './site-urls.ts';
import { fingerprintedPath } from './static-manifest.ts';

export interface BuildOptions {
  config: Config;
  now: Date;
  templates: SiteTemplates;
}

/** Published = `status: ready` and `publish_at` ≤ now. Newest first (publish_at, then id). */
export function publishedIssues(issues: readonly Issue[], now: Date): Issue[] {
  const at = (i: Issue) => Date.parse(i.publish_at);
  return issues
    .filter((i) => i.status === 'ready' && at(i) <= now.getTime())
    .sort((a, b) => at(b) - at(a) || b.id.localeCompare(a.id));
}

export function buildSite(issues: readonly Issue[], { config, now, templates }: BuildOptions): OutputFile[] {
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

  const feed = buildFeedData(published, (i) => renderIssueContent(templates, view(i)), config);
  files.push(
    { path: OUTPUT_PATHS.rss, contents: renderRss(feed) },
    { path: OUTPUT_PATHS.atom, contents: renderAtom(feed) },
    { path: OUTPUT_PATHS.json, contents: renderJsonFeed(feed) },
  );
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
