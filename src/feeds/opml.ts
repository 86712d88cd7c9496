/**
 * `feeds.opml` (OPML 2.0, http://opml.org/spec2.opml): every Feed of the Archive in one subscription
 * list, so a reader imports the site's Feed, both Edition feeds or any Tag's in one go. Written
 * with the Feeds' own escaper; no date in it, so unchanged input gives the same bytes.
 */
import type { FeedLink } from '../archive/feed-links.ts';
import { element, emptyElement, xmlAttr } from './xml.ts';

export interface OpmlGroup {
  text: string;
  htmlUrl: string;
  links: FeedLink[];
}

export function renderOpml(title: string, owner: string, groups: readonly OpmlGroup[], nested: { text: string; groups: readonly OpmlGroup[] } | null): string {
  const group = (g: OpmlGroup, indent: string) =>
    [
      `${indent}<outline text="${xmlAttr(g.text)}">`,
      ...g.links.map((l) =>
        indent +
        '  ' +
        emptyElement('outline', {
          type: 'rss',
          text: l.title,
          title: l.title,
          xmlUrl: l.href,
          htmlUrl: g.htmlUrl,
          language: l.hreflang,
          ...(l.format === 'RSS' ? { version: 'RSS2' } : {}),
        }),
      ),
      `${indent}</outline>`,
    ].join('\n');
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<opml version="2.0">',
    '<head>',
    element('title', title),
    element('ownerName', owner),
    element('docs', 'http://opml.org/spec2.opml'),
    '</head>',
    '<body>',
    ...groups.map((g) => group(g, '')),
    ...(nested && nested.groups.length > 0 ? [`<outline text="${xmlAttr(nested.text)}">`, ...nested.groups.map((g) => group(g, '  ')), '</outline>'] : []),
    '</body>',
    '</opml>',
    '',
  ].join('\n');
}

