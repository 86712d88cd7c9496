/**
 * Every public URL of the Archive and the Feeds, absolute from SITE_URL. One place, so the site,
 * the feeds and the email's "view in browser" and feed links can never disagree.
 */
import type { Config } from './config.ts';

export interface SiteUrls {
  home: string;
  style: string;
  subscribe: string;
  rss: string;
  atom: string;
  json: string;
  issue(id: string): string;
  /** `/papers/<slug>/`: one page per Paper (archive/papers.ts gives the slug). */
  paper(slug: string): string;
  /** `/tags/` and `/tags/<slug>/`. */
  tags: string;
  tag(slug: string): string;
  /** The three Feeds of a feed folder: '' (the site's), `zh/`, `en/` or `tags/<slug>/`. */
  feedsIn(folder: string): { rss: string; atom: string; json: string };
  opml: string;
}

/** The Edition feeds' folders (`/zh/`, `/en/`). */
export const EDITIONS = ['zh', 'en'] as const;
export type Edition = (typeof EDITIONS)[number];

/** Output paths (relative to the output folder) matching the URLs above. */
export const OUTPUT_PATHS = {
  index: 'index.html',
  style: 'style.css',
  rss: 'feed.xml',
  atom: 'atom.xml',
  json: 'feed.json',
  issue: (id: string) => `issues/${id}/index.html`,
  paper: (slug: string) => `papers/${slug}/index.html`,
  tags: 'tags/index.html',
  tag: (slug: string) => `tags/${slug}/index.html`,
  opml: 'feeds.opml',
} as const;

/** The feed folder of an Edition or a Tag, as a path prefix ('' for the site's own Feeds). */
export function feedFolder(of: { edition: Edition } | { tag: string } | null): string {
  if (!of) return '';
  return 'edition' in of ? `${of.edition}/` : `tags/${of.tag}/`;
}

/** By SITE_URL: a build asks for the URLs of thousands of pages, and they depend on nothing else. */
const bySiteUrl = new Map<string, SiteUrls>();

export function siteUrls(config: Pick<Config, 'siteUrl'>): SiteUrls {
  let urls = bySiteUrl.get(config.siteUrl);
  if (!urls) {
    if (bySiteUrl.size > 100) bySiteUrl.clear();
    bySiteUrl.set(config.siteUrl, (urls = makeSiteUrls(config.siteUrl)));
  }
  return urls;
}

function makeSiteUrls(siteUrl: string): SiteUrls {
  // siteUrl always ends with '/', so URL resolution keeps any path prefix (https://x.org/sudi/).
  const base = new URL(siteUrl).href;
  const at = (p: string) => new URL(p, base).href;
  // Paths made only of encoded segments that are never `.` or `..` (slugs, issue ids): joining them
  // to the normalised base is what the URL parser would do, without parsing thousands of URLs.
  const under = (p: string) => base + p;
  return {
    home: at(''),
    style: at(OUTPUT_PATHS.style),
    subscribe: at('subscribe'),
    rss: at(OUTPUT_PATHS.rss),
    atom: at(OUTPUT_PATHS.atom),
    json: at(OUTPUT_PATHS.json),
    issue: (id) => under(`issues/${encodeURIComponent(id)}/`),
    paper: (slug) => under(`papers/${encodeURIComponent(slug)}/`),
    tags: at('tags/'),
    tag: (slug) => under(`tags/${encodeURIComponent(slug)}/`),
    feedsIn: (folder) => {
      const base = folder.split('/').map(encodeURIComponent).join('/');
      return { rss: at(base + OUTPUT_PATHS.rss), atom: at(base + OUTPUT_PATHS.atom), json: at(base + OUTPUT_PATHS.json) };
    },
    opml: at(OUTPUT_PATHS.opml),
  };
}
