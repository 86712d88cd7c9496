/**
 * Hostile issue text (titles, abstracts, tags, links, the editor's note) through the real `sudi build`:
 * every HTML-bearing feed field, after its one XML or JSON decode, is HTML in which issue text is
 * only text. Decoded by libxml2 (xmllint) and JSON.parse, parsed as a browser would (parse5).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/run-cli.ts';
import { inspectHtml, LATER, liveMarkup, ROOT, SITE_URL, tempProject, xmllint, xpathString, type HtmlReport } from '../build/site-helpers.ts';

const HOSTILE_FILE = path.join(ROOT, 'tests', 'fixtures', 'hostile', '2024-04-29.md');

/** What the issue-content partial and the note's Markdown write; nothing else may appear. */
const TEMPLATE_TAGS = new Set(['html', 'head', 'title', 'body', 'section', 'div', 'h2', 'p', 'a', 'span']);
const TEMPLATE_ATTRS = new Set(['class', 'id', 'lang', 'href']);

/** Pieces of the fixture that must reach the reader as visible characters. */
const TITLE_TEXT = '<script>alert("issue")</script><svg onload=alert(1)> &lt;b&gt;entity&lt;/b&gt; ]]> 速递';
const VISIBLE_IN_CONTENT = [
  '<meta http-equiv="refresh" content="0;url=https://evil.example/"> Refresh',
  '<a href="javascript:alert(2)">点我</a>',
  '<iframe src="javascript:alert(3)"></iframe> <style>body{display:none}</style>',
  '<img src=x onerror=alert(4)> <![CDATA[<script>alert(5)</script>]]> <!-- c --> javascript:alert(6)',
  '<svg onload=alert(8)>',
  'x" onmouseover="alert(9)',
  '<svg><script>alert(10)</script></svg> second',
  '<form action="https://evil.example/"><input name=q></form>',
  '<math><mi xlink:href="javascript:alert(11)">m</mi></math> &amp;lt;script&amp;gt;',
  '<object data="javascript:alert(12)"></object> third',
  '<link rel=stylesheet href=https://evil.example/x.css>',
  '<body onload=alert(13)> <details open ontoggle=alert(14)>',
  "<script>alert('note')</script> <svg onload=alert(15)> <meta http-equiv=refresh content=0>",
  '[click](javascript:alert(16)) <javascript:alert(17)> ![img](javascript:alert(18)) <a href="javascript:alert(19)">a</a>',
];

async function builtFeeds() {
  const project = await tempProject([HOSTILE_FILE]);
  const r = await runCliCaptured(['build'], { cwd: project, env: { SITE_URL }, now: LATER });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const read = (f: string) => readFile(path.join(project, 'public', f), 'utf8');
  return { rss: await read('feed.xml'), atom: await read('atom.xml'), json: JSON.parse(await read('feed.json')) as JsonFeed };
}

/** The value as an XML parser hands it to a reader (xmllint prints one newline after it). */
async function decodedXml(xml: string, expr: string): Promise<string> {
  return (await xpathString(xml, expr)).replace(/\n$/, '');
}

interface JsonFeed {
  items: { title: string; summary: string; content_html: string }[];
}

/** Every element and attribute that is not one our templates write, and every non-http(s) link. */
function foreignMarkup(report: HtmlReport): string[] {
  const found: string[] = [];
  for (const el of report.elements) {
    if (!TEMPLATE_TAGS.has(el.tagName)) found.push(`<${el.tagName}>`);
    for (const a of el.attrs) {
      if (!TEMPLATE_ATTRS.has(a.name)) found.push(`${el.tagName}[${a.name}]`);
      if (a.name === 'href' && !/^https?:\/\/[^\s"<>]+$/.test(a.value)) found.push(`${el.tagName}[href=${a.value}]`);
    }
  }
  return found;
}

describe('hostile issue text in HTML-bearing feed fields (through sudi build)', () => {
  it('the feeds stay well-formed', async () => {
    const { rss, atom } = await builtFeeds();
    expect(await xmllint(rss)).toBe('');
    expect(await xmllint(atom)).toBe('');
  });

  it('RSS <description> (the summary) is HTML holding only text: the paper titles as written', async () => {
    const { rss, json } = await builtFeeds();
    const decoded = await decodedXml(rss, '//item/description');
    const report = inspectHtml(decoded, true);
    expect(foreignMarkup(report)).toEqual([]);
    expect(report.elements.map((e) => e.tagName)).toEqual(['html', 'head', 'title', 'body']);
    // The same text the JSON Feed's plain-text summary carries, now visible rather than parsed.
    expect(report.text).toBe(`x${json.items[0]!.summary}`);
    expect(report.text).toContain('<meta http-equiv="refresh" content="0;url=https://evil.example/"> Refresh');
    expect(report.text).toContain('<svg><script>alert(10)</script></svg> second');
  });

  it('the RSS channel <description> is escaped as HTML too', async () => {
    const project = await tempProject([HOSTILE_FILE]);
    const r = await runCliCaptured(['build'], { cwd: project, env: { SITE_URL, SITE_DESCRIPTION: 'AI <svg onload=alert(1)> weekly' }, now: LATER });
    expect(r.code).toBe(0);
    const rss = await readFile(path.join(project, 'public', 'feed.xml'), 'utf8');
    const report = inspectHtml(await decodedXml(rss, '/rss/channel/description'), true);
    expect(foreignMarkup(report)).toEqual([]);
    expect(report.text).toBe('xAI <svg onload=alert(1)> weekly');
  });

  it('RSS content:encoded, Atom content (type="html") and JSON content_html: no element or attribute from issue text', async () => {
    const { rss, atom, json } = await builtFeeds();
    const fields = {
      'rss content:encoded': await decodedXml(rss, '//item/*[local-name()="encoded"]'),
      'atom content': await decodedXml(atom, '//*[local-name()="entry"]/*[local-name()="content"][@type="html"]'),
      'json content_html': json.items[0]!.content_html,
    };
    for (const [name, html] of Object.entries(fields)) {
      expect(html, name).not.toBe('');
      const report = inspectHtml(html, true);
      expect(foreignMarkup(report), name).toEqual([]);
      for (const piece of VISIBLE_IN_CONTENT) expect(report.text, `${name}: ${piece}`).toContain(piece);
    }
  });

  it('plain-text fields are declared as text and carry the title unchanged', async () => {
    const { rss, atom, json } = await builtFeeds();
    expect(await decodedXml(atom, '//*[local-name()="entry"]/*[local-name()="title"]/@type')).toBe('text');
    expect(await decodedXml(atom, '//*[local-name()="entry"]/*[local-name()="summary"]/@type')).toBe('text');
    expect(await decodedXml(atom, '//*[local-name()="entry"]/*[local-name()="title"]')).toBe(TITLE_TEXT);
    expect(await decodedXml(rss, '//item/title')).toBe(TITLE_TEXT);
    expect(json.items[0]!.title).toBe(TITLE_TEXT);
  });
});

describe('hostile issue text in the Edition feeds, Tag feeds, Paper and Tag pages (through sudi build)', () => {
  /** Every Feed folder the build wrote besides the site's own: zh/, en/ and tags/<slug>/. */
  async function builtArchive() {
    const project = await tempProject([HOSTILE_FILE]);
    const r = await runCliCaptured(['build'], { cwd: project, env: { SITE_URL }, now: LATER });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pub = path.join(project, 'public');
    const all = (await readdir(pub, { recursive: true })).map(String);
    const folders = all.filter((f) => /(^|\/)atom\.xml$/.test(f) && f !== 'atom.xml').map((f) => f.slice(0, -'atom.xml'.length));
    const pages = all.filter((f) => /^(papers|tags)\/.*index\.html$/.test(f));
    return { pub, folders, pages };
  }

  it('the hostile tags get folders named only by letters, digits and hyphens, each with three well-formed feeds', async () => {
    const { folders } = await builtArchive();
    expect(folders.sort()).toEqual(['en/', 'tags/svg-onload-alert-8/', 'tags/x-onmouseover-alert-9/', 'zh/']);
  });

  it('every new feed is well-formed, and its HTML-bearing fields hold no element or attribute from issue text', async () => {
    const { pub, folders } = await builtArchive();
    for (const folder of folders) {
      const rss = await readFile(path.join(pub, folder, 'feed.xml'), 'utf8');
      const atom = await readFile(path.join(pub, folder, 'atom.xml'), 'utf8');
      const json = JSON.parse(await readFile(path.join(pub, folder, 'feed.json'), 'utf8')) as JsonFeed;
      expect(await xmllint(rss), folder).toBe('');
      expect(await xmllint(atom), folder).toBe('');
      const fields = {
        'rss description': await decodedXml(rss, '//item/description'),
        'rss content:encoded': await decodedXml(rss, '//item/*[local-name()="encoded"]'),
        'atom content': await decodedXml(atom, '//*[local-name()="entry"]/*[local-name()="content"][@type="html"]'),
        'json content_html': json.items[0]!.content_html,
      };
      for (const [name, html] of Object.entries(fields)) {
        expect(html, `${folder} ${name}`).not.toBe('');
        expect(foreignMarkup(inspectHtml(html, true)), `${folder} ${name}`).toEqual([]);
      }
    }
  });

  it('Paper and Tag pages are valid HTML with no live markup from issue text', async () => {
    const { pub, pages } = await builtArchive();
    expect(pages.length).toBeGreaterThan(3);
    for (const p of pages) {
      const report = inspectHtml(await readFile(path.join(pub, p), 'utf8'));
      expect(report.errors, p).toEqual([]);
      expect(liveMarkup(report), p).toEqual([]);
    }
  });
});
