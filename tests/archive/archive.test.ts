/**
 * The reader's Archive, built by the real `sudi build` from the seed week (with arXiv ids, tags and
 * some authors) plus a second week and a Tag vocabulary (tests/fixtures/archive/): Paper pages,
 * Tag pages, Edition and Tag feeds, feeds.opml. Everything we emit is read back by independent
 * parsers: parse5 (pages), @retorquere/bibtex-parser (BibTeX), xmllint and Python's feedparser
 * (feeds), fast-xml-parser and xmllint (OPML).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parse as parseBibtex } from '@retorquere/bibtex-parser';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderBibtex } from '../../src/archive/bibtex.ts';
import type { Paper } from '../../src/model.ts';
import { cacheControlFor, CACHE_CONTROL, parseManifest } from '../../src/static-manifest.ts';
import { runCliCaptured } from '../helpers/run-cli.ts';
import { inspectHtml, LATER, readTree, ROOT, SITE_URL, tempProject, xmllint } from '../build/site-helpers.ts';

const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'archive');
const FILES = ['2024-04-15.md', '2024-04-22.md', 'tags.yml'].map((f) => path.join(FIXTURES, f));
const ENTRY_0415 = 'tag:news.example.org,2024:issue/2024-04-15';
const ENTRY_0422 = 'tag:news.example.org,2024:issue/2024-04-22';

let project: string;
let pub: string;
let files: string[];
const read = (f: string) => readFile(path.join(pub, f), 'utf8');

beforeAll(async () => {
  project = await tempProject(FILES);
  const r = await runCliCaptured(['build'], { cwd: project, env: { SITE_URL }, now: LATER });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  pub = path.join(project, 'public');
  files = (await readdir(pub, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(pub, path.join(e.parentPath, e.name)))
    .sort();
});

/** Text of the elements matching a tag name and class, as a browser reads them. */
function elements(html: string, tag: string, cls?: string) {
  return inspectHtml(html).elements.filter((e) => e.tagName === tag && (!cls || e.attrs.some((a) => a.name === 'class' && a.value.split(' ').includes(cls))));
}
function attr(el: { attrs: { name: string; value: string }[] }, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}
function textOf(node: unknown): string {
  const n = node as { nodeName: string; value?: string; childNodes?: unknown[] };
  return n.nodeName === '#text' ? (n.value ?? '') : (n.childNodes ?? []).map(textOf).join('');
}
const hrefs = (html: string, cls?: string) => elements(html, 'a', cls).map((a) => attr(a, 'href') as string);

describe('Paper pages', () => {
  it('one page per paper: by arXiv id without version, by issue and position without an id', () => {
    const pages = files.filter((f) => f.startsWith('papers/') && f.endsWith('index.html'));
    expect(pages).toEqual(
      [
        '2024-04-22-5',
        '2404.08197',
        '2404.08634',
        '2404.08639',
        '2404.08801',
        '2404.09173',
        '2404.09656',
        '2404.09833',
        '2404.11614',
        '2404.12253',
        '2404.14219',
        '2404.14619',
        '2404.16821',
      ].map((s) => `papers/${s}/index.html`),
    );
  });

  it('shows both titles, the abstracts, the authors, the links (arXiv, PDF and Hugging Face derived from the id) and the tags by name', async () => {
    const html = await read('papers/2404.08634/index.html');
    expect(inspectHtml(html).errors).toEqual([]);
    const text = inspectHtml(html).text;
    expect(text).toContain('Pre-training Small Base LMs with Fewer Tokens');
    expect(text).toContain('使用更少的 Token 对小型基础 LMs 进行预训练');
    expect(text).toContain('我们研究了一种简单方法来开发一个小型基础语言模型');
    expect(elements(html, 'p', 'authors').map(textOf)).toEqual(['Sunny Sanyal, Sujay Sanghavi, Alexandros G. Dimakis']);
    const linkRow = elements(html, 'a').filter((a) => attr(a.parentNode as unknown as typeof a, 'class') === 'links');
    expect(linkRow.map((a) => attr(a, 'href'))).toEqual([
      'https://arxiv.org/abs/2404.08634',
      'https://arxiv.org/pdf/2404.08634',
      'https://huggingface.co/papers/2404.08634',
      'https://github.com/sanyalsunny111/LLM-Inheritune',
    ]);
    const tags = elements(html, 'a', 'tag');
    expect(tags.map((a) => [attr(a, 'href'), textOf(a)])).toEqual([
      [`${SITE_URL}tags/llm/`, '大语言模型 · Large language models'],
      [`${SITE_URL}tags/pre-training/`, '预训练 · Pre-training'],
    ]);
  });

  it('a link the issue gives is kept, not doubled by the derived one', async () => {
    const html = await read('papers/2404.14219/index.html');
    expect(hrefs(html).filter((h) => h.includes('huggingface'))).toEqual(['https://huggingface.co/papers/2404.14219']);
  });

  it('"appeared in" lists every issue that listed the paper, newest first, and an older listing\'s authors stay', async () => {
    const html = await read('papers/2404.08801/index.html');
    const appeared = elements(html, 'section', 'appeared')[0]!;
    const links = hrefs(html).filter((h) => h.startsWith(`${SITE_URL}issues/`));
    expect(links).toEqual([`${SITE_URL}issues/2024-04-22/#paper-4`, `${SITE_URL}issues/2024-04-15/#paper-5`]);
    expect(textOf(appeared)).toContain('每周AI论文速递 (240422-240426)');
    expect(elements(html, 'p', 'authors').map(textOf)[0]).toMatch(/^Xuezhe Ma, Xiaomeng Yang, .*Chunting Zhou$/);
    // The newest listing's abstract, and the code link only the listings give.
    expect(inspectHtml(html).text).toContain('上周收录的 Megalodon 发布了代码与 7B 模型权重。');
    expect(hrefs(html)).toContain('https://github.com/XuezheMax/megalodon');
  });

  it('issue pages link each paper to its page, and every such page exists', async () => {
    for (const [id, n] of [
      ['2024-04-15', 9],
      ['2024-04-22', 5],
    ] as const) {
      const links = hrefs(await read(`issues/${id}/index.html`), 'paper-page');
      expect(links).toHaveLength(n);
      for (const l of links) expect(files, l).toContain(`${l.slice(SITE_URL.length)}index.html`);
    }
    expect(hrefs(await read('issues/2024-04-22/index.html'), 'paper-page')[4]).toBe(`${SITE_URL}papers/2024-04-22-5/`);
  });
});

describe('BibTeX', () => {
  async function bibtexOf(slug: string) {
    const html = await read(`papers/${slug}/index.html`);
    const code = elements(html, 'code')[0]!;
    const lib = parseBibtex(textOf(code), { sentenceCase: false });
    expect(lib.errors).toEqual([]);
    expect(lib.entries).toHaveLength(1);
    return lib.entries[0]!;
  }

  it('is an arXiv-style @misc entry with a key from the id, the year of the first version, and the authors', async () => {
    const e = await bibtexOf('2404.08634');
    expect(e.type).toBe('misc');
    expect(e.key).toBe('arxiv2404.08634');
    expect(e.fields.title).toBe('Pre-training Small Base LMs with Fewer Tokens');
    expect(e.fields.year).toBe('2024');
    expect(e.fields.eprint).toBe('2404.08634');
    expect(e.fields.archiveprefix).toBe('arXiv');
    expect(e.fields.url).toBe('https://arxiv.org/abs/2404.08634');
    expect(e.fields.author).toEqual([
      { firstName: 'Sunny', lastName: 'Sanyal' },
      { firstName: 'Sujay', lastName: 'Sanghavi' },
      { firstName: 'Alexandros G.', lastName: 'Dimakis' },
    ]);
  });

  it('without `published` the year comes from the id; without an id, from the issue, and the title\'s specials survive', async () => {
    expect((await bibtexOf('2404.14619')).fields.year).toBe('2024');
    const e = await bibtexOf('2024-04-22-5');
    expect(e.key).toBe('sudi-2024-04-22-5');
    expect(e.fields.title).toBe('A Paper Without an arXiv Id: {Braces} & 100% of $math_x^2~#');
    expect(e.fields.url).toBe(`${SITE_URL}papers/2024-04-22-5/`);
  });

  it('escapes every BibTeX and LaTeX special so an independent parser reads back exactly the text', () => {
    const paper: Paper = {
      id: 'arxiv:2401.00001',
      title: { en: 'Odd {title} with \\ back\\slash, }unbalanced{, 50% & $5 #1 a_b x^2 ~ "quoted" @at', zh: '中' },
      abstract: { zh: '摘要' },
      links: {},
      tags: [],
      authors: ['Ada Lovelace', 'Research and Development Team', 'Jürgen Schmidhuber', 'O\'Brien, Pat {Jr}'],
      published: '2023-12-30',
    };
    const text = renderBibtex({ slug: '2401.00001', arxivId: '2401.00001', paper, issueId: '2024-01-01', pageUrl: `${SITE_URL}papers/2401.00001/` });
    const lib = parseBibtex(text, { sentenceCase: false });
    expect(lib.errors).toEqual([]);
    const e = lib.entries[0]!;
    expect(e.fields.title).toBe(paper.title.en);
    // The first version's year wins over the id's month (a paper first posted on 30 December).
    expect(e.fields.year).toBe('2023');
    expect(e.fields.author).toHaveLength(4);
    expect(e.fields.author?.[1]).toEqual({ name: 'Research and Development Team' });
    expect(e.fields.author?.[2]).toEqual({ firstName: 'Jürgen', lastName: 'Schmidhuber' });
  });
});

describe('Tag pages', () => {
  it('/tags/ lists every tag by its names with its paper count', async () => {
    const html = await read('tags/index.html');
    const list = elements(html, 'ul', 'tag-list')[0]!;
    expect(textOf(list)).toContain('大语言模型 · Large language models');
    const links = hrefs(html).filter((h) => h.startsWith(`${SITE_URL}tags/`));
    expect(links).toHaveLength(12);
    expect(files.filter((f) => /^tags\/[^/]+\/index\.html$/.test(f))).toHaveLength(12);
  });

  it('/tags/<tag>/ lists its papers newest first and advertises its own feeds', async () => {
    const html = await read('tags/llm/index.html');
    const papers = hrefs(html).filter((h) => h.startsWith(`${SITE_URL}papers/`));
    expect(papers.map((h) => h.slice(`${SITE_URL}papers/`.length, -1))).toEqual(['2404.14219', '2404.14619', '2404.08801', '2404.08634', '2404.09656', '2404.12253']);
    const alternates = elements(html, 'link').filter((l) => attr(l, 'rel') === 'alternate' && attr(l, 'href')?.includes('/tags/llm/'));
    expect(alternates.map((l) => [attr(l, 'type'), attr(l, 'hreflang'), attr(l, 'href')])).toEqual([
      ['application/rss+xml', 'zh-CN', `${SITE_URL}tags/llm/feed.xml`],
      ['application/atom+xml', 'zh-CN', `${SITE_URL}tags/llm/atom.xml`],
      ['application/feed+json', 'zh-CN', `${SITE_URL}tags/llm/feed.json`],
    ]);
    for (const l of alternates) expect(attr(l, 'title')).toContain('大语言模型');
  });
});

interface ParsedFeed {
  file: string;
  bozo: number;
  version: string;
  language: string | null;
  ids: string[];
  titles: string[];
  contents: string[];
  hubs: string[];
}

/** Python's feedparser (python3-feedparser) over each feed file: what a real reader would see. */
async function feedparser(paths: string[]): Promise<ParsedFeed[]> {
  const script = [
    'import json, sys, feedparser',
    'out = []',
    'for f in sys.argv[1:]:',
    '    d = feedparser.parse(f)',
    '    out.append({"file": f, "bozo": int(d.bozo), "version": d.version, "language": d.feed.get("language"),',
    '        "ids": [e.get("id") for e in d.entries], "titles": [e.get("title") for e in d.entries],',
    '        "contents": [(e.get("content") or [{}])[0].get("value", "") for e in d.entries],',
    '        "hubs": [l["href"] for l in d.feed.get("links", []) if l.get("rel") == "hub"]})',
    'print(json.dumps(out))',
  ].join('\n');
  const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, ...paths], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as ParsedFeed[];
}

describe('Edition feeds and Tag feeds', () => {
  const FOLDERS = ['', 'zh/', 'en/', 'tags/llm/', 'tags/segmentation/'];

  // Debian's feedparser (6.0) reads RSS and Atom; JSON Feeds are read by JSON.parse below.
  it('every feed is well-formed (xmllint) and read cleanly by feedparser, in its edition\'s language', async () => {
    const paths = FOLDERS.flatMap((d) => ['feed.xml', 'atom.xml'].map((f) => path.join(pub, d, f)));
    for (const p of paths.filter((x) => x.endsWith('.xml'))) expect(await xmllint(await readFile(p, 'utf8')), p).toBe('');
    const parsed = await feedparser(paths);
    for (const f of parsed) expect(f.bozo, f.file).toBe(0);
    const lang = (d: string) => parsed.filter((f) => path.dirname(f.file) === path.join(pub, d).replace(/\/$/, '')).map((f) => f.language?.toLowerCase());
    expect(lang('zh/')).toEqual(['zh-cn', 'zh-cn']);
    expect(lang('en/')).toEqual(['en', 'en']);
  });

  it('RSS language, Atom xml:lang and JSON Feed language say the edition', async () => {
    expect(await read('en/feed.xml')).toContain('<language>en</language>');
    expect(await read('zh/feed.xml')).toContain('<language>zh-CN</language>');
    expect(await read('en/atom.xml')).toContain('<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">');
    expect(await read('zh/atom.xml')).toContain('xml:lang="zh-CN"');
    expect((JSON.parse(await read('en/feed.json')) as { language: string }).language).toBe('en');
    expect((JSON.parse(await read('zh/feed.json')) as { language: string }).language).toBe('zh-CN');
  });

  it('one Issue keeps one entry id in every feed that carries it', async () => {
    const parsed = await feedparser(FOLDERS.flatMap((d) => ['feed.xml', 'atom.xml'].map((f) => path.join(pub, d, f))));
    for (const d of FOLDERS) {
      const json = JSON.parse(await read(`${d}feed.json`)) as ParsedFeed & { version: string; items: { id: string }[] };
      expect(json.version).toBe('https://jsonfeed.org/version/1.1');
      parsed.push({ ...json, file: path.join(pub, d, 'feed.json'), ids: json.items.map((i) => i.id) });
    }
    for (const f of parsed.filter((x) => !x.file.includes('/segmentation/'))) expect(f.ids, f.file).toEqual([ENTRY_0422, ENTRY_0415]);
    // COCONut is the only segmentation paper: that feed carries the seed week alone.
    for (const f of parsed.filter((x) => x.file.includes('/segmentation/'))) expect(f.ids, f.file).toEqual([ENTRY_0415]);
  });

  it('an Edition feed carries that edition\'s text; a Tag feed only the tag\'s papers', async () => {
    const [en, zh, llm] = await feedparser(['en/atom.xml', 'zh/atom.xml', 'tags/llm/atom.xml'].map((f) => path.join(pub, f)));
    const enSeed = en!.contents[1]!;
    expect(enSeed).toContain('Pre-training Small Base LMs with Fewer Tokens');
    expect(enSeed).not.toContain('使用更少的 Token 对小型基础 LMs 进行预训练');
    expect(en!.titles[1]).toBe('Weekly AI Papers (240415–240419)'); // the en email edition's title too
    const zhSeed = zh!.contents[1]!;
    expect(zhSeed).toContain('使用更少的 Token 对小型基础 LMs 进行预训练');
    expect(zhSeed).not.toContain('Pre-training Small Base LMs with Fewer Tokens');
    // The English edition shows OpenELM's English abstract and, for a paper with only a Chinese one, that one marked as Chinese.
    expect(en!.contents[0]).toContain('layer-wise scaling strategy');
    expect(en!.contents[0]).toMatch(/<div class="abstract" lang="zh-CN"><p>我们推出 InternVL 1\.5/);
    const llmSeed = llm!.contents[1]!;
    expect(llmSeed).toContain('Pre-training Small Base LMs with Fewer Tokens');
    expect(llmSeed).not.toContain('COCONut');
  });

  it('every page advertises the site feeds and both Edition feeds with type, hreflang and title', async () => {
    for (const page of ['index.html', 'issues/2024-04-15/index.html', 'papers/2404.08634/index.html', 'tags/index.html']) {
      const links = elements(await read(page), 'link').filter((l) => attr(l, 'rel') === 'alternate');
      const got = links.map((l) => `${attr(l, 'type')} ${attr(l, 'hreflang')} ${attr(l, 'href')}`);
      for (const [folder, lang] of [
        ['', 'zh-CN'],
        ['zh/', 'zh-CN'],
        ['en/', 'en'],
      ]) {
        expect(got, page).toContain(`application/rss+xml ${lang} ${SITE_URL}${folder}feed.xml`);
        expect(got, page).toContain(`application/atom+xml ${lang} ${SITE_URL}${folder}atom.xml`);
        expect(got, page).toContain(`application/feed+json ${lang} ${SITE_URL}${folder}feed.json`);
      }
      for (const l of links) expect(attr(l, 'title'), page).toBeTruthy();
    }
  });
});

describe('feeds.opml', () => {
  it('is OPML 2.0 (xmllint, fast-xml-parser) listing every feed of the build, each once', async () => {
    const xml = await read('feeds.opml');
    expect(await xmllint(xml)).toBe('');
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as { opml: { version: string; head: { title: string }; body: unknown } };
    expect(doc.opml.version).toBe('2.0');
    expect(doc.opml.head.title).toContain('Feeds');
    const urls: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        if (typeof o.xmlUrl === 'string') {
          expect(o.type).toBe('rss');
          expect(o.text).toBeTruthy();
          urls.push(o.xmlUrl);
        }
        Object.values(o).forEach(walk);
      }
    };
    walk(doc.opml.body);
    const feeds = files.filter((f) => /(^|\/)(feed\.xml|atom\.xml|feed\.json)$/.test(f)).map((f) => SITE_URL + f);
    expect(feeds).toHaveLength(3 * (1 + 2 + 12));
    expect([...urls].sort()).toEqual(feeds.sort());
  });
});

describe('static files and determinism', () => {
  it('the manifest covers every new file, and Edition and Tag feeds are cached as feeds', async () => {
    const manifest = parseManifest(await read('.sudi-manifest.json'))!;
    const site = files.filter((f) => !/\.(gz|br)$/.test(f) && f !== '.sudi-manifest.json');
    expect(Object.keys(manifest.files).sort()).toEqual(site);
    // Paper pages are big enough to be worth compressing: their variants are written and recorded.
    expect(manifest.files['papers/2404.08634/index.html']!.encodings.br).toBeDefined();
    expect(files).toContain('papers/2404.08634/index.html.br');
    for (const f of ['zh/feed.xml', 'en/atom.xml', 'tags/llm/feed.json']) expect(cacheControlFor(f), f).toBe(CACHE_CONTROL.feed);
    for (const f of ['feeds.opml', 'papers/2404.08634/index.html', 'tags/llm/index.html', 'tags/feed.xml/index.html']) expect(cacheControlFor(f), f).toBe(CACHE_CONTROL.page);
  });

  it('the same input gives byte-identical output', async () => {
    const again = await runCliCaptured(['build', '--out', 'public2'], { cwd: project, env: { SITE_URL }, now: LATER });
    expect(again.code).toBe(0);
    const a = await readTree(pub);
    const b = await readTree(path.join(project, 'public2'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, v] of a) expect(b.get(k)?.equals(v), k).toBe(true);
  });
});

describe('a rebuild of unchanged input', () => {
  it('hard-links unchanged files and their copies from the previous build; a copy removed by hand is compressed again', async () => {
    const dir = await tempProject(FILES);
    const out = path.join(dir, 'public');
    const build = () => runCliCaptured(['build'], { cwd: dir, env: { SITE_URL }, now: LATER });
    expect((await build()).code).toBe(0);
    const page = path.join(out, 'papers', '2404.08634', 'index.html');
    const before = await stat(page);
    const br = await readFile(`${page}.br`);
    await rm(`${page}.gz`);
    expect((await build()).code).toBe(0);
    const after = await stat(page);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect((await readFile(`${page}.br`)).equals(br)).toBe(true);
    expect(gunzipSync(await readFile(`${page}.gz`)).equals(await readFile(page))).toBe(true);
    // Nothing of the replaced folders is left once the command has returned.
    expect((await readdir(dir)).filter((n) => n.startsWith('.public.'))).toEqual([]);
  });
});
