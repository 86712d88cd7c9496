import { lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSite, publishedIssues } from '../../src/build.ts';
import { loadValidIssues } from '../../src/content/load-issues.ts';
import { SudiError } from '../../src/errors.ts';
import { buildAndWrite } from '../../src/publish.ts';
import { loadSiteTemplates } from '../../src/render/site-templates.ts';
import { writeOutputAtomic } from '../../src/write-output.ts';
import { configFor, inspectHtml, issueText, LATER, liveMarkup, readTree, SEED_TITLES_EN, SITE_URL, tempDir, tempProject } from './site-helpers.ts';


async function build(project: string, now = LATER) {
  const config = configFor(project);
  const issues = await loadValidIssues(config.issuesDir);
  const files = buildSite(issues, { config, now, templates: await loadSiteTemplates(config.templatesDir) });
  return new Map(files.map((f) => [f.path, String(f.contents)]));
}

describe('buildSite on the seed issue', () => {
  it('writes the index, the issue page, the stylesheet and three feeds', async () => {
    const files = await build(await tempProject());
    const css = [...files.keys()].find((k) => /^style\.[0-9a-f]{10}\.css$/.test(k))!;
    const js = [...files.keys()].find((k) => /^search\.[0-9a-f]{10}\.js$/.test(k))!;
    const papers = Array.from({ length: 9 }, (_, i) => `papers/2024-04-15-${i + 1}/index.html`);
    const editions = ['en', 'zh'].flatMap((e) => [`${e}/atom.xml`, `${e}/feed.json`, `${e}/feed.xml`]);
    expect([...files.keys()]).toEqual(
      ['atom.xml', 'feed.json', 'feed.xml', 'feeds.opml', 'index.html', 'issues/2024-04-15/index.html', ...papers, js, css, 'style.css', 'tags/index.html', ...editions].sort(),
    );
    // The search box's module, content-named; the index itself is added by publish.ts (search.test.ts).
    expect(files.get('index.html')).toContain(`<script type="module" src="${SITE_URL}${js}"></script>`);
    // Pages link the content-named copy (cached as immutable); it is the same stylesheet.
    expect(files.get(css)).toBe(files.get('style.css'));
    expect(files.get('index.html')).toContain(`<link rel="stylesheet" href="${SITE_URL}${css}">`);
  });

  it('pages are valid HTML with lang, viewport, colour scheme, feed autodiscovery and absolute links', async () => {
    const files = await build(await tempProject());
    for (const name of ['index.html', 'issues/2024-04-15/index.html']) {
      const html = files.get(name) as string;
      const report = inspectHtml(html);
      expect(report.errors, name).toEqual([]);
      expect(html).toMatch(/^<!doctype html>\n<html lang="zh-CN">/);
      expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(html).toContain('<meta name="color-scheme" content="light dark">');
      for (const [type, href] of [
        ['application/rss+xml', 'feed.xml'],
        ['application/atom+xml', 'atom.xml'],
        ['application/feed+json', 'feed.json'],
      ] as const) {
        expect(html, `${name} ${type}`).toMatch(new RegExp(`<link rel="alternate" type="${type.replace('+', '\\+')}" hreflang="zh-CN" title="[^"]+" href="${SITE_URL}${href}">`));
      }
      const urls = report.elements.flatMap((e) => e.attrs.filter((a) => ['href', 'src', 'action'].includes(a.name)).map((a) => a.value));
      expect(urls.length).toBeGreaterThan(5);
      for (const u of urls) expect(u, name).toMatch(/^https?:\/\//);
      // The server's CSP forbids inline script and style: none may be needed. The one script is the
      // search box's external module.
      expect(report.elements.filter((e) => e.tagName === 'style' || (e.tagName === 'script' && !e.attrs.some((a) => a.name === 'src')))).toEqual([]);
      expect(report.elements.filter((e) => e.tagName === 'script')).toHaveLength(1);
      expect(report.elements.filter((e) => e.attrs.some((a) => a.name === 'style' || a.name.startsWith('on')))).toEqual([]);
    }
  });

  it('the web version shows every paper with lang-tagged titles, abstracts and links', async () => {
    const html = (await build(await tempProject())).get('issues/2024-04-15/index.html') as string;
    const report = inspectHtml(html);
    for (const t of SEED_TITLES_EN) expect(report.text).toContain(t);
    const h2en = report.elements.filter((e) => e.tagName === 'h2' && e.attrs.some((a) => a.name === 'lang' && a.value === 'en'));
    expect(h2en).toHaveLength(9);
    const zh = report.elements.filter((e) => e.attrs.some((a) => a.name === 'lang' && a.value === 'zh-CN') && e.attrs.some((a) => a.value === 'title-zh'));
    expect(zh).toHaveLength(9);
    expect(report.text).toContain('使用更少的 Token 对小型基础 LMs 进行预训练');
    expect(report.text).toContain('我们研究了一种简单方法');
    expect(html).toContain('href="https://github.com/sanyalsunny111/LLM-Inheritune"');
  });

  it.each(['index.html', 'issues/2024-04-15/index.html'])('%s has the subscribe form (email, lang, CSS-hidden honeypot) posting to /subscribe', async (name) => {
    const files = await build(await tempProject());
    const report = inspectHtml(files.get(name) as string);
    const form = report.elements.find((e) => e.tagName === 'form' && e.attrs.some((a) => a.name === 'method'));
    expect(form?.attrs).toEqual(expect.arrayContaining([{ name: 'method', value: 'post' }, { name: 'action', value: `${SITE_URL}subscribe` }]));
    const inputs = report.elements.filter((e) => e.tagName === 'input').map((e) => Object.fromEntries(e.attrs.map((a) => [a.name, a.value])));
    expect(inputs.find((i) => i.name === 'email')?.type).toBe('email');
    expect(inputs.filter((i) => i.name === 'lang').map((i) => i.value).sort()).toEqual(['both', 'en', 'zh']);
    const honeypot = report.elements.find((e) => e.attrs.some((a) => a.name === 'name' && a.value === 'website'));
    expect(honeypot).toBeDefined();
    const hiddenBy = report.elements.find((e) => e.attrs.some((a) => a.name === 'class' && a.value === 'hp'));
    expect(hiddenBy).toBeDefined();
    expect(files.get('style.css')).toMatch(/\.hp \{[^}]*left: -10000px/);
    expect(report.text).toContain('每周AI论文速递 (240415-240419)');
  });

  it("the index lists each issue's paper titles, linked to their place on the issue page", async () => {
    const files = await build(await tempProject());
    const report = inspectHtml(files.get('index.html') as string);
    for (const t of SEED_TITLES_EN) expect(report.text).toContain(t);
    expect(report.text).toContain('COCONut:现代化 COCO 分割');
    const hrefs = report.elements.filter((e) => e.tagName === 'a').map((e) => e.attrs.find((a) => a.name === 'href')?.value);
    for (let i = 1; i <= 9; i++) expect(hrefs).toContain(`${SITE_URL}issues/2024-04-15/#paper-${i}`);
  });

  it('names the site once per page: in <title> and in the headings', async () => {
    const files = await build(await tempProject());
    const site = '每周AI论文速递 · Sudi';
    const count = (text: string, part: string) => text.split(part).length - 1;
    for (const name of ['index.html', 'issues/2024-04-15/index.html']) {
      const html = files.get(name) as string;
      const title = /<title>([^<]*)<\/title>/.exec(html)![1]!;
      // Each part of the site title once in <title>, though the issue title starts with 每周AI论文速递.
      for (const part of site.split(' · ')) expect(count(title, part), `${name}: ${title}`).toBe(1);
      const headings = [...html.matchAll(/<(h[1-6]|p class="site-title")[^>]*>([\s\S]*?)<\/(h[1-6]|p)>/g)].map((m) => m[2]!.replace(/<[^>]+>/g, '')).join('\n');
      expect(count(headings, site), name).toBe(1);
    }
    expect(/<title>([^<]*)<\/title>/.exec(files.get('issues/2024-04-15/index.html') as string)![1]).toBe('每周AI论文速递 (240415-240419) · Sudi');
  });
});

describe('what gets published', () => {
  it('only ready issues whose publish_at has passed; drafts never, newest first', async () => {
    const project = await tempProject();
    const dir = path.join(project, 'issues');
    await writeFile(path.join(dir, '2024-04-22.md'), issueText('2024-04-22', { status: 'draft', title: 'Draft issue' }));
    await writeFile(path.join(dir, '2024-04-29.md'), issueText('2024-04-29', { publishAt: '2024-05-04T09:00:00+08:00', title: 'Future issue' }));
    await writeFile(path.join(dir, '2024-05-06.md'), issueText('2024-05-06', { publishAt: '2024-05-01T09:00:00+08:00', title: 'Early issue' }));

    const at = new Date('2024-05-03T00:00:00Z');
    const files = await build(project, at);
    const all = [...files.values()].join('\n');
    expect(all).not.toContain('Draft issue');
    expect(all).not.toContain('Future issue');
    expect(files.has('issues/2024-04-22/index.html')).toBe(false);
    expect(files.has('issues/2024-04-29/index.html')).toBe(false);
    const index = files.get('index.html') as string;
    expect(index.indexOf('Early issue')).toBeLessThan(index.indexOf('每周AI论文速递 (240415-240419)'));
    expect(JSON.parse(files.get('feed.json') as string).items.map((i: { id: string }) => i.id)).toEqual([
      'tag:news.example.org,2024:issue/2024-05-06',
      'tag:news.example.org,2024:issue/2024-04-15',
    ]);

    // At exactly publish_at it is published; the draft still never is.
    const later = await build(project, new Date('2024-05-04T01:00:00Z'));
    expect(later.has('issues/2024-04-29/index.html')).toBe(true);
    expect([...later.values()].join('\n')).not.toContain('Draft issue');
  });

  it('publishedIssues compares instants, not strings (time zones)', async () => {
    const issues = await loadValidIssues(path.join(await tempProject(), 'issues'));
    expect(publishedIssues(issues, new Date('2024-04-20T00:59:59Z'))).toEqual([]);
    expect(publishedIssues(issues, new Date('2024-04-20T01:00:00Z')).map((i) => i.id)).toEqual(['2024-04-15']);
  });

  it('feeds hold only the newest FEED_LIMIT issues; the archive holds all', async () => {
    const project = await tempProject();
    for (const id of ['2024-04-22', '2024-04-29', '2024-05-06']) await writeFile(path.join(project, 'issues', `${id}.md`), issueText(id));
    const config = configFor(project, { FEED_LIMIT: '2' });
    const files = buildSite(await loadValidIssues(config.issuesDir), { config, now: LATER, templates: await loadSiteTemplates(config.templatesDir) });
    const feed = JSON.parse(String(files.find((f) => f.path === 'feed.json')?.contents));
    expect(feed.items.map((i: { id: string }) => i.id.split('/').pop())).toEqual(['2024-05-06', '2024-04-29']);
    expect(files.filter((f) => f.path.startsWith('issues/'))).toHaveLength(4);
  });
});

describe('determinism', () => {
  it('the same input and now give byte-identical output, written twice', async () => {
    const project = await tempProject();
    const config = configFor(project);
    await buildAndWrite(config, LATER, { outDir: path.join(project, 'a') });
    await buildAndWrite(config, LATER, { outDir: path.join(project, 'b') });
    const a = await readTree(path.join(project, 'a'));
    const b = await readTree(path.join(project, 'b'));
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [name, bytes] of a) expect(bytes.equals(b.get(name) as Buffer), name).toBe(true);
    // A later clock changes nothing either: no date in the output comes from `now`.
    await buildAndWrite(config, new Date('2030-01-01T00:00:00Z'), { outDir: path.join(project, 'c') });
    const c = await readTree(path.join(project, 'c'));
    for (const [name, bytes] of a) expect(bytes.equals(c.get(name) as Buffer), name).toBe(true);
  });

  it('adding an issue keeps every old entry id and the old entry unchanged', async () => {
    const project = await tempProject();
    const before = await build(project);
    await writeFile(path.join(project, 'issues', '2024-04-22.md'), issueText('2024-04-22'));
    const after = await build(project);

    const entries = (xml: string) => [...xml.matchAll(/<entry>[\s\S]*?<\/entry>/g)].map((m) => m[0]);
    const oldAtom = entries(before.get('atom.xml') as string);
    const newAtom = entries(after.get('atom.xml') as string);
    expect(oldAtom).toHaveLength(1);
    expect(newAtom).toHaveLength(2);
    expect(newAtom[1]).toBe(oldAtom[0]);
    expect(newAtom[1]).toContain('<id>tag:news.example.org,2024:issue/2024-04-15</id>');

    const guid = (xml: string) => [...xml.matchAll(/<guid isPermaLink="false">([^<]+)<\/guid>/g)].map((m) => m[1]);
    expect(guid(after.get('feed.xml') as string)).toEqual(['tag:news.example.org,2024:issue/2024-04-22', ...guid(before.get('feed.xml') as string)]);
    const ids = (json: string) => JSON.parse(json).items.map((i: { id: string }) => i.id);
    expect(ids(after.get('feed.json') as string).slice(1)).toEqual(ids(before.get('feed.json') as string));
    expect(after.get('issues/2024-04-15/index.html')).toBe(before.get('issues/2024-04-15/index.html'));
  });
});

describe('adversarial issue text on the site', () => {
  it('stays well-formed, shows the text literally, and carries no live markup', async () => {
    const { ADVERSARIAL_FILE } = await import('./site-helpers.ts');
    const files = await build(await tempProject([ADVERSARIAL_FILE]));
    const issue = (await loadValidIssues(path.join(await tempProject([ADVERSARIAL_FILE]), 'issues')))[0]!;
    for (const name of ['index.html', 'issues/2024-05-06/index.html']) {
      const report = inspectHtml(files.get(name) as string);
      expect(report.errors, name).toEqual([]);
      expect(liveMarkup(report), name).toEqual([]);
      expect(report.text, name).toContain(issue.title);
    }
    const page = inspectHtml(files.get('issues/2024-05-06/index.html') as string);
    const paper = issue.papers[0]!;
    expect(page.text).toContain(paper.title.en);
    expect(page.text).toContain(paper.title.zh);
    expect(page.text).toContain(paper.abstract.en);
    expect(page.text).toContain('第二段 <img src=x onerror=alert(2)> &amp; &lt;');
    expect(page.text).toContain('{{x}} {{{y}}}');
    // Bidi controls are removed when the issue is read (with a warning from sudi check).
    expect(page.text).toContain('😀 evil');
    expect(page.text).not.toMatch(/[\u200F\u202E\u202C]/);
    expect(page.text).toContain('<tag>&');
    // The note: raw HTML and a javascript: link stay text; the http(s) link is a link.
    expect(page.text).toContain('Editor note <script>alert(3)</script>');
    expect(page.text).toContain('[click me](javascript:alert(4))');
    expect(page.text).toContain('<a href="javascript:alert(5)">raw</a>');
    const hrefs = page.elements.filter((e) => e.tagName === 'a').map((e) => e.attrs.find((a) => a.name === 'href')?.value);
    expect(hrefs).toContain('https://example.org/ok');
    expect(hrefs).toContain('https://example.org/code?a=1&b=%3Cx%3E&c=%22q%22');
  });
});

describe('writeOutputAtomic', () => {
  it('replaces the folder whole and leaves no temporary folders behind', async () => {
    const parent = await tempDir();
    const out = path.join(parent, 'public');
    await writeOutputAtomic(out, [{ path: 'a.txt', contents: 'one' }, { path: 'sub/b.txt', contents: 'two' }]);
    await writeOutputAtomic(out, [{ path: 'c.txt', contents: 'three' }]);
    expect([...(await readTree(out)).keys()]).toEqual(['c.txt']);
    expect(await readdir(parent)).toEqual(['public']);
  });

  it('a failure while writing leaves the previous output untouched', async () => {
    const parent = await tempDir();
    const out = path.join(parent, 'public');
    await writeOutputAtomic(out, [{ path: 'index.html', contents: 'old' }]);
    const bad = writeOutputAtomic(out, [{ path: 'index.html', contents: 'new' }, { path: '../escape.txt', contents: 'x' }]);
    await expect(bad).rejects.toBeInstanceOf(SudiError);
    expect(await readFile(path.join(out, 'index.html'), 'utf8')).toBe('old');
    expect(await readdir(parent)).toEqual(['public']);
  });

  it('keeps a symlinked output folder a symlink and swaps the folder it points to', async () => {
    const parent = await tempDir();
    const real = path.join(parent, 'www');
    await writeOutputAtomic(real, [{ path: 'old.txt', contents: 'old' }]);
    await symlink(real, path.join(parent, 'public'));
    await writeOutputAtomic(path.join(parent, 'public'), [{ path: 'new.txt', contents: 'new' }]);
    expect((await lstat(path.join(parent, 'public'))).isSymbolicLink()).toBe(true);
    expect([...(await readTree(real)).keys()]).toEqual(['new.txt']);
  });

  it('creates the target and its parents when missing', async () => {
    const parent = await tempDir();
    const out = path.join(parent, 'deep', 'er', 'public');
    await writeOutputAtomic(out, [{ path: 'x.txt', contents: 'x' }]);
    expect(await readFile(path.join(out, 'x.txt'), 'utf8')).toBe('x');
    await rm(parent, { recursive: true });
    await mkdir(parent);
  });
});
