/**
 * Atom 1.0 (`atom.xml`, RFC 4287) with `rel="self"` and `xml:lang`. Content is `type="html"`:
 * the HTML as escaped text (see xml.ts for why we write the XML ourselves).
 */
import type { FeedData } from './feed-data.ts';
import { element, emptyElement } from './xml.ts';

export function renderAtom(feed: FeedData): string {
  const entries = feed.entries.map((e) =>
    [
      '<entry>',
      element('id', e.id),
      element('title', e.title, { type: 'text' }),
      emptyElement('link', { rel: 'alternate', type: 'text/html', href: e.url }),
      element('published', e.published),
      element('updated', e.updated),
      element('summary', e.summary, { type: 'text' }),
      ...e.tags.map((t) => emptyElement('category', { term: t })),
      element('content', e.contentHtml, { type: 'html' }),
      '</entry>',
    ].join('\n'),
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${feed.language.replace(/[^A-Za-z0-9-]/g, '')}">`,
    element('id', feed.id),
    element('title', feed.title, { type: 'text' }),
    element('subtitle', feed.description, { type: 'text' }),
    element('updated', feed.updated),
    `<author>${element('name', feed.author.name)}${element('uri', feed.author.url)}</author>`,
    emptyElement('link', { rel: 'alternate', type: 'text/html', href: feed.homeUrl }),
    emptyElement('link', { rel: 'self', type: 'application/atom+xml', href: feed.selfUrls.atom }),
    ...(feed.hub ? [emptyElement('link', { rel: 'hub', href: feed.hub })] : []),
    element('generator', 'Sudi'),
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}
