/**
 * JSON Feed 1.1 (`feed.json`, https://jsonfeed.org/version/1.1). Written here because the npm
 * `feed` package emits version 1.0 (no `language`, `author` instead of `authors`).
 * Characters XML forbids are dropped here too, so every Feed carries exactly the same text.
 */
import { stripXmlIllegal } from '../xml-chars.ts';
import type { FeedData } from './feed-data.ts';

export const JSON_FEED_VERSION = 'https://jsonfeed.org/version/1.1';

export function renderJsonFeed(feed: FeedData): string {
  const author = { name: feed.author.name, url: feed.author.url };
  const doc = {
    version: JSON_FEED_VERSION,
    title: feed.title,
    home_page_url: feed.homeUrl,
    feed_url: feed.selfUrls.json,
    description: feed.description,
    language: feed.language,
    authors: [author],
    ...(feed.hub ? { hubs: [{ type: 'WebSub', url: feed.hub }] } : {}),
    items: feed.entries.map((e) => ({
      id: e.id,
      url: e.url,
      title: e.title,
      content_html: e.contentHtml,
      summary: e.summary,
      date_published: e.published,
      date_modified: e.updated,
      language: feed.language,
      authors: [author],
      ...(e.tags.length > 0 ? { tags: e.tags } : {}),
    })),
  };
  // Strip inside the values: JSON.stringify would otherwise write them as \u escapes.
  const clean = (_key: string, value: unknown) => (typeof value === 'string' ? stripXmlIllegal(value) : value);
  return `${JSON.stringify(doc, clean, 2)}\n`;
}
