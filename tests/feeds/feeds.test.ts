import { parseFeed } from '@rowanmanning/feed-parser';
import Parser from 'rss-parser';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildSite } from '../../src/build.ts';
import { loadValidIssues } from '../../src/content/load-issues.ts';
import { renderAtom } from '../../src/feeds/atom.ts';
import { entryId } from '../../src/feeds/feed-data.ts';
import { xmlAttr, xmlText } from '../../src/feeds/xml.ts';
import type { Issue } from '../../src/model.ts';
import { loadSiteTemplates } from '../../src/render/site-templates.ts';
import { ADVERSARIAL_FILE, configFor, inspectHtml, LATER, liveMarkup, SEED_TITLES_EN, tempProject, xmllint, xpathString } from '../build/site-helpers.ts';

const SEED_TITLE = '每周AI论文速递 (240415-240419)';
const SEED_ID = 'tag:news.example.org,2024:issue/2024-04-15';

/** The three feeds of a build of `issues` (or of the files in a temp project). */
async function feedsOf(input: { files?: string[]; issues?: Issue[] }) {
  const project = await tempProject(input.files);
  const config = configFor(project);
  const issues = input.issues ?? (await loadValidIssues(config.issuesDir));
  const out = buildSite(issues, { config, now: LATER, templates: await loadSiteTemplates(config.templatesDir) });
  const get = (p: string) => String(out.find((f) => f.path === p)?.contents);
  return { rss: get('feed.xml'), atom: get('atom.xml'), json: get('feed.json'), issues };
}

// JSON Feed 1.1, written from https://www.jsonfeed.org/version/1.1/ (required: version, title,
// items; per item: id and content_html or content_text). Sudi also promises language and authors.
const Rfc3339 = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
const Author = z.object({ name: z.string().optional(), url: z.url().optional(), avatar: z.url().optional() }).refine((a) => Object.keys(a).length > 0);
const JsonFeedItem = z
  .object({
    id: z.string().min(1),
    url: z.url().optional(),
    external_url: z.url().optional(),
    title: z.string().optional(),
    content_html: z.string().optional(),
    content_text: z.string().optional(),
    summary: z.string().optional(),
    image: z.url().optional(),
    banner_image: z.url().optional(),
    date_published: Rfc3339.optional(),
    date_modified: Rfc3339.optional(),
    authors: z.array(Author).optional(),
    tags: z.array(z.string()).optional(),
    language: z.string().optional(),
  })
  .strict()
  .refine((i) => i.content_html !== undefined || i.content_text !== undefined, { message: 'content_html or content_text is required' });
const JsonFeed11 = z
  .object({
    version: z.literal('https://jsonfeed.org/version/1.1'),
    title: z.string().min(1),
    home_page_url: z.url().optional(),
    feed_url: z.url().optional(),
    description: z.string().optional(),
    user_comment: z.string().optional(),
    next_url: z.url().optional(),
    icon: z.url().optional(),
    favicon: z.url().optional(),
    authors: z.array(Author).min(1), // optional in the spec; Sudi always sends it
    language: z.string().min(2), // optional in the spec; Sudi always sends it
    expired: z.boolean().optional(),
    hubs: z.array(z.object({ type: z.string(), url: z.url() })).optional(),
    items: z.array(JsonFeedItem),
  })
  .strict();

describe('feeds of the seed issue, read by real feed clients', () => {
  it('xmllint accepts feed.xml and atom.xml', async () => {
    const { rss, atom } = await feedsOf({});
    expect(await xmllint(rss)).toBe('');
    expect(await xmllint(atom)).toBe('');
  });

  it('@rowanmanning/feed-parser reads both: one entry per issue, its content holds all 9 papers', async () => {
    const { rss, atom } = await feedsOf({});
    for (const [name, xml, self] of [
      ['rss', rss, 'https://news.example.org/feed.xml'],
      ['atom', atom, 'https://news.example.org/atom.xml'],
    ] as const) {
      const feed = parseFeed(xml);
      expect(feed.language, name).toBe('zh-CN');
      expect(feed.self, name).toBe(self);
      expect(feed.items, name).toHaveLength(1);
      const item = feed.items[0]!;
      expect(item.id, name).toBe(SEED_ID);
      expect(item.title, name).toBe(SEED_TITLE);
      expect(item.url, name).toBe('https://news.example.org/issues/2024-04-15/');
      expect(item.published?.toISOString(), name).toBe('2024-04-20T01:00:00.000Z');
      for (const t of SEED_TITLES_EN) expect(item.content, `${name}: ${t}`).toContain(t);
      expect(item.content).toContain('使用更少的 Token 对小型基础 LMs 进行预训练');
    }
  });

  it('rss-parser reads both with the same entry', async () => {
    const { rss, atom } = await feedsOf({});
    const parser = new Parser();
    const r = await parser.parseString(rss);
    const a = await parser.parseString(atom);
    expect(r.items).toHaveLength(1);
    expect(a.items).toHaveLength(1);
    expect(r.items[0]?.title).toBe(SEED_TITLE);
    expect(a.items[0]?.title).toBe(SEED_TITLE);
    expect(r.items[0]?.guid).toBe(SEED_ID);
    expect(a.items[0]?.id).toBe(SEED_ID);
    const rssContent = (r.items[0] as Record<string, string>)['content:encoded'];
    for (const t of SEED_TITLES_EN) {
      expect(rssContent).toContain(t);
      expect(a.items[0]?.content).toContain(t);
    }
  });

  it('atom.xml has rel="self" and xml:lang; feed.xml has atom:link rel="self"', async () => {
    const { rss, atom } = await feedsOf({});
    expect(atom).toMatch(/<feed xmlns="http:\/\/www.w3.org\/2005\/Atom" xml:lang="zh-CN">/);
    expect(atom).toContain('<link rel="self" type="application/atom+xml" href="https://news.example.org/atom.xml"/>');
    expect(rss).toContain('<atom:link href="https://news.example.org/feed.xml" rel="self" type="application/rss+xml"/>');
  });

  it('feed.json is JSON Feed 1.1 with every required field, language and authors', async () => {
    const { json } = await feedsOf({});
    const feed = JsonFeed11.parse(JSON.parse(json));
    expect(feed.language).toBe('zh-CN');
    expect(feed.feed_url).toBe('https://news.example.org/feed.json');
    expect(feed.items).toHaveLength(1);
    expect(feed.items[0]?.id).toBe(SEED_ID);
    expect(feed.items[0]?.title).toBe(SEED_TITLE);
    for (const t of SEED_TITLES_EN) expect(feed.items[0]?.content_html).toContain(t);
    expect(feed.items[0]?.date_published).toBe('2024-04-20T01:00:00Z');
  });

  it('the schema rejects what is not JSON Feed 1.1 (so the check above can fail)', () => {
    const ok = { version: 'https://jsonfeed.org/version/1.1', title: 't', language: 'en', authors: [{ name: 'a' }], items: [{ id: '1', content_html: '<p>x</p>' }] };
    expect(JsonFeed11.safeParse(ok).success).toBe(true);
    expect(JsonFeed11.safeParse({ ...ok, version: 'https://jsonfeed.org/version/1' }).success).toBe(false);
    expect(JsonFeed11.safeParse({ ...ok, author: { name: 'a' } }).success).toBe(false);
    expect(JsonFeed11.safeParse({ ...ok, items: [{ id: '1' }] }).success).toBe(false);
  });

  it('entry ids are tag: URIs from the site host and the issue id', () => {
    expect(entryId({ siteUrl: 'https://news.example.org:8443/sudi/' }, '2025-12-29')).toBe('tag:news.example.org,2025:issue/2025-12-29');
  });
});

describe('adversarial issue text in the feeds', () => {
  it('all three feeds stay well-formed, show the text literally, and carry no live markup', async () => {
    const { rss, atom, json, issues } = await feedsOf({ files: [ADVERSARIAL_FILE] });
    const issue = issues[0]!;
    expect(await xmllint(rss)).toBe('');
    expect(await xmllint(atom)).toBe('');
    // `]]>` never appears raw, so no CDATA section can be broken out of.
    expect(rss).not.toContain(']]>');
    expect(atom).not.toContain(']]>');

    for (const xml of [rss, atom]) expect(parseFeed(xml).items[0]?.title).toBe(issue.title);
    // The entry HTML exactly as an XML parser hands it to a reader (feed-parser decodes entities
    // once more for display, so libxml2 extracts it here).
    const contents = [
      await xpathString(rss, '//item/*[local-name()="encoded"]'),
      await xpathString(atom, '//*[local-name()="entry"]/*[local-name()="content"]'),
    ];
    expect(contents[0]).toBe(contents[1]);
    const jsonItem = JSON.parse(json).items[0];
    expect(jsonItem.title).toBe(issue.title);
    contents.push(jsonItem.content_html);

    for (const html of contents) {
      const report = inspectHtml(html, true);
      expect(liveMarkup(report)).toEqual([]);
      expect(report.text).toContain(issue.papers[0]!.title.en);
      expect(report.text).toContain(issue.papers[0]!.title.zh);
      expect(report.text).toContain('Editor note <script>alert(3)</script> ]]> & {{x}} {{{y}}} 😀');
      expect(report.text).toContain('Second paper ]]> end');
    }
  });

  it('the sanitizer drops control characters XML forbids and lone surrogates, keeping the rest', async () => {
    // model.ts rejects these in issue files, so build an Issue in memory to reach the feed code.
    const project = await tempProject();
    const seed = (await loadValidIssues(`${project}/issues`))[0]!;
    const dirty = `A\u0000B\u0001C\u0008D\u000BE\u000CF\u001FG\uFFFEH\uFFFFI\uD800J\uDC00K\tL\u0085M ]]> ]]> 😀 \u200F`;
    const issue: Issue = {
      ...seed,
      title: dirty,
      note: dirty,
      papers: [{ ...seed.papers[0]!, title: { en: dirty, zh: `中${dirty}` }, tags: [dirty] }],
    };
    const { rss, atom, json } = await feedsOf({ issues: [issue] });
    expect(await xmllint(rss)).toBe('');
    expect(await xmllint(atom)).toBe('');
    const clean = 'ABCDEFGHIJK\tL\u0085M ]]> ]]> 😀 \u200F';
    expect(parseFeed(rss).items[0]?.title).toBe(clean);
    expect(parseFeed(atom).items[0]?.title).toBe(clean);
    expect(JSON.parse(json).items[0].title).toBe(clean);
    expect(json).not.toMatch(/\\u000[0-8bcef]|\\u001|\\ud800|\\udc00|\\ufffe/i);
  });

  it('xmlText and xmlAttr escape markup and quotes, and drop XML-illegal characters', async () => {
    expect(xmlText('a]]>b]]><c & "d"\u0001')).toBe('a]]&gt;b]]&gt;&lt;c &amp; "d"');
    expect(xmlAttr(`x"<y>'&\n\t\u0002`)).toBe('x&quot;&lt;y&gt;&apos;&amp;&#10;&#9;');
    const xml = renderAtom({
      title: 'T<', description: 'D', language: 'en" onload="x', author: { name: 'A&', url: 'https://x.org/?a=1&b="2"' },
      homeUrl: 'https://x.org/', selfUrls: { rss: 'https://x.org/r', atom: 'https://x.org/a?x=<y>', json: 'https://x.org/j' },
      id: 'https://x.org/', updated: '2024-01-01T00:00:00Z', entries: [],
    });
    expect(await xmllint(xml)).toBe('');
    expect(xml).toContain('xml:lang="enonloadx"');
  });
});
