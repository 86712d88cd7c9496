/**
 * RSS 2.0 (`feed.xml`) with `atom:link rel="self"`. Each item's `description` is a one-line
 * summary and `content:encoded` the full issue as HTML (entity-escaped, no CDATA; see xml.ts):
 * the usual split, which full-content readers (and @rowanmanning/feed-parser) expect.
 *
 * Readers treat both `description`s as HTML, so the plain-text summary (it quotes paper titles)
 * is HTML-escaped first and then XML-escaped: after the reader's one XML decode it is HTML whose
 * only content is text. A title `<svg onload=…>` therefore shows as those characters, never runs.
 */
import { escapeHtml } from '../render/html-text.ts';
import type { FeedData } from './feed-data.ts';
import { rfc822 } from './feed-data.ts';
import { element, emptyElement } from './xml.ts';

export function renderRss(feed: FeedData): string {
  const items = feed.entries.map((e) =>
    [
      '<item>',
      element('title', e.title),
      element('link', e.url),
      element('guid', e.id, { isPermaLink: 'false' }),
      element('pubDate', rfc822(e.published)),
      ...e.tags.map((t) => element('category', t)),
      element('description', escapeHtml(e.summary)),
      element('content:encoded', e.contentHtml),
      '</item>',
    ].join('\n'),
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
    '<channel>',
    element('title', feed.title),
    element('link', feed.homeUrl),
    element('description', escapeHtml(feed.description)),
    element('language', feed.language),
    element('lastBuildDate', rfc822(feed.updated)),
    element('generator', 'Sudi'),
    emptyElement('atom:link', { href: feed.selfUrls.rss, rel: 'self', type: 'application/rss+xml' }),
    ...(feed.hub ? [emptyElement('atom:link', { href: feed.hub, rel: 'hub' })] : []),
    ...items,
    '</channel>',
    '</rss>',
    '',
  ].join('\n');
}
