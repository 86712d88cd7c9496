/**
 * How a Feed set is advertised: `<link rel="alternate" type hreflang title href>` in page heads, the
 * subscribe section's choice per Edition, and the OPML list. One place for the media types, the
 * Editions' languages and names, so every advertisement of one Feed says the same.
 */
import type { Config } from '../config.ts';
import { EDITIONS, siteUrls, type Edition } from '../site-urls.ts';

export interface FeedLink {
  type: string;
  hreflang: string;
  title: string;
  href: string;
  /** RSS, Atom or JSON Feed, for link text. */
  format: string;
}

export const FEED_FORMATS = [
  { key: 'rss', type: 'application/rss+xml', format: 'RSS' },
  { key: 'atom', type: 'application/atom+xml', format: 'Atom' },
  { key: 'json', type: 'application/feed+json', format: 'JSON Feed' },
] as const;

/** An Edition's language tag (RSS `language`, Atom `xml:lang`, JSON Feed `language`, hreflang) and name. */
export const EDITION_INFO: Readonly<Record<Edition, { language: string; name: string }>> = {
  zh: { language: 'zh-CN', name: '中文' },
  en: { language: 'en', name: 'English' },
};

/** The three links of one Feed set; `title` is the set's name, each link adds its format. */
export function feedLinks(title: string, hreflang: string, feeds: { rss: string; atom: string; json: string }): FeedLink[] {
  return FEED_FORMATS.map((f) => ({ type: f.type, hreflang, title: `${title} (${f.format})`, href: feeds[f.key], format: f.format }));
}

export interface EditionFeeds {
  edition: Edition;
  language: string;
  name: string;
  /** The Feed set's title: `SITE_TITLE · 中文`. */
  title: string;
  links: FeedLink[];
}

export function editionFeeds(config: Config): EditionFeeds[] {
  const urls = siteUrls(config);
  return EDITIONS.map((edition) => {
    const { language, name } = EDITION_INFO[edition];
    const title = `${config.siteTitle} · ${name}`;
    return { edition, language, name, title, links: feedLinks(title, language, urls.feedsIn(`${edition}/`)) };
  });
}
