/**
 * Why Sudi writes RSS and Atom itself instead of through the npm `feed` package (README, "Why the
 * feeds are not written with the `feed` package"). Each case is something `feed` 5.x does through
 * its public API with text Sudi must carry, and that Sudi's own writer gets right (see feeds.test.ts
 * and hostile.test.ts). When a later `feed` release fixes one, this file fails: reconsider then.
 */
import { Feed } from 'feed';
import { describe, expect, it } from 'vitest';
import { xmllint, xpathString } from '../build/site-helpers.ts';

function feedWith(item: { title: string; category?: string }, channelTitle = 'Sudi') {
  const feed = new Feed({
    title: channelTitle,
    id: 'https://news.example.org/',
    link: 'https://news.example.org/',
    language: 'zh-CN',
    copyright: '',
    updated: new Date('2024-04-20T01:00:00Z'),
    feedLinks: { rss: 'https://news.example.org/feed.xml', atom: 'https://news.example.org/atom.xml' },
  });
  feed.addItem({
    title: item.title,
    id: 'tag:news.example.org,2024:issue/2024-04-15',
    link: 'https://news.example.org/issues/2024-04-15/',
    date: new Date('2024-04-20T01:00:00Z'),
    content: '<p>x</p>',
    category: item.category ? [{ name: item.category, term: item.category }] : [],
  });
  return feed;
}

describe('the npm feed package with text Sudi must carry', () => {
  it('a title with two "]]>" breaks its RSS: only the first is split out of the CDATA section', async () => {
    const rss = feedWith({ title: 'a ]]> b ]]> c' }).rss2();
    expect(await xmllint(rss)).not.toBe('');
  });

  it('a tag with "<" makes its Atom malformed: attribute values are not escaped for "<"', async () => {
    const atom = feedWith({ title: 't', category: '<tag>' }).atom1();
    expect(await xmllint(atom)).not.toBe('');
  });

  it('literal "&amp;" in text comes out as "&": its XML writer un-escapes before escaping', async () => {
    const atom = feedWith({ title: 't' }, 'R&amp;D weekly').atom1();
    expect(await xmllint(atom)).toBe('');
    expect((await xpathString(atom, '/*[local-name()="feed"]/*[local-name()="title"]')).trim()).toBe('R&D weekly');
  });

  it('a control character XML forbids is written as is, making the feed malformed', async () => {
    expect(await xmllint(feedWith({ title: 'bell \u0007' }).rss2())).not.toBe('');
  });

  it('its Atom has no xml:lang (DESIGN: Atom with xml:lang) and entry titles are always type="html"', () => {
    const atom = feedWith({ title: 't' }).atom1();
    expect(atom).not.toContain('xml:lang');
    expect(atom).toMatch(/<title type="html"><!\[CDATA\[t\]\]><\/title>/);
  });

  it('its JSON Feed is version 1, not 1.1 (no language, author instead of authors)', () => {
    expect(JSON.parse(feedWith({ title: 't' }).json1()).version).toBe('https://jsonfeed.org/version/1');
  });
});
