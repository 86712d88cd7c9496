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
}

/** Output paths (relative to the output folder) matching the URLs above. */
export const OUTPUT_PATHS = {
  index: 'index.html',
  style: 'style.css',
  rss: 'feed.xml',
  atom: 'atom.xml',
  json: 'feed.json',
  issue: (id: string) => `issues/${id}/index.html`,
} as const;

export function siteUrls(config: Pick<Config, 'siteUrl'>): SiteUrls {
  // siteUrl always ends with '/', so URL resolution keeps any path prefix (https://x.org/sudi/).
  const at = (p: string) => new URL(p, config.siteUrl).href;
  return {
    home: at(''),
    style: at(OUTPUT_PATHS.style),
    subscribe: at('subscribe'),
    rss: at(OUTPUT_PATHS.rss),
    atom: at(OUTPUT_PATHS.atom),
    json: at(OUTPUT_PATHS.json),
    issue: (id) => at(`issues/${encodeURIComponent(id)}/`),
  };
}
