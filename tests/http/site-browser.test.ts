/**
 * The Archive as readers see it, in Debian Chromium against a real `sudi serve` (a child process
 * that builds the seed week and the adversarial week, Pagefind index included, then serves them):
 *
 * - search without a server: `分割` and `CLIP` find the seed-week papers through the Chinese and the
 *   English index, results link to real pages, editors' text stays text in the excerpts, and the
 *   site's CSP lets it run (WebAssembly) without a single violation;
 * - the index files are served with the right types (and never re-encoded);
 * - each page at 375 px and 1280 px, light and dark: no horizontal overflow, readable contrast of
 *   the key elements, one link style, a screenshot in test-output/site/.
 *
 * One browser for the whole file; a context per viewport and colour scheme.
 */
import { cp, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADVERSARIAL_FILE, SEED_FILE } from '../build/site-helpers.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { outputOf, spawnSudi, type SudiProcess } from '../helpers/sudi-process.ts';
import { freePort, TEST_SECRET } from './web-fixture.ts';

const SHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-output', 'site');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SEED = '/issues/2024-04-15/';

let browser: Browser;
let serve: SudiProcess;
let base: string;
let project: { dir: string; cleanup(): Promise<void> };

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  project = await tempDir('sudi-site-browser-');
  await mkdir(path.join(project.dir, 'issues'));
  for (const f of [SEED_FILE, ADVERSARIAL_FILE]) await cp(f, path.join(project.dir, 'issues', path.basename(f)));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // `sudi serve` builds first (pages, feeds, search index), then serves PUBLIC_DIR.
  serve = spawnSudi(['serve'], { cwd: project.dir, env: { SITE_URL: `${base}/`, PORT: String(port), HOST: '127.0.0.1', SECRET: TEST_SECRET, TZ: 'Asia/Shanghai' } });
  await outputOf(serve, 'serving ');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
});
afterAll(async () => {
  await browser?.close();
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  await project?.cleanup();
});

/** A page that records what would make a reader's page wrong: console errors (a CSP violation is one), failed loads, script errors, dialogs. */
async function watchedPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    // A failed load is reported below with its URL (the browser's own favicon probe aside).
    if ((m.type() === 'error' || m.type() === 'warning') && !/^Failed to load resource: the server responded with a status of 404/.test(m.text())) {
      problems.push(`console ${m.type()}: ${m.text()}`);
    }
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return { page, problems };
}

interface Found {
  href: string;
  title: string;
  alt: string;
  excerpt: string;
}

/** Types a query the way a reader does and waits for the answer to it. */
async function search(page: Page, query: string): Promise<Found[]> {
  await page.fill('#search-input', '');
  await expect.poll(() => page.isHidden('#search-results')).toBe(true);
  await page.fill('#search-input', query);
  await page.waitForSelector('#search-results .search-status');
  return page.$$eval('#search-results li', (lis) =>
    lis.map((li) => ({
      href: li.querySelector('a')!.href,
      title: li.querySelector('a')!.textContent,
      alt: li.querySelector('.search-alt')!.textContent,
      excerpt: li.querySelector('.search-excerpt')!.textContent,
    })),
  );
}

describe('search in Chromium', () => {
  it('finds seed-week papers by a Chinese and an English term; results lead to real pages', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, problems } = await watchedPage(context);
    await page.goto(`${base}/`);
    // Hidden until the module runs: a box that cannot search is never shown.
    await page.waitForSelector('#search-input', { state: 'visible' });

    const zh = await search(page, '分割');
    const coconut = zh.find((r) => r.title === 'COCONut:现代化 COCO 分割');
    expect(coconut, JSON.stringify(zh)).toBeDefined();
    expect(coconut!.href).toBe(`${base}/papers/2024-04-15-2/`);
    expect(coconut!.alt).toBe('COCONut: Modernizing COCO Segmentation');
    expect(await page.$$eval('#search-results mark', (ms) => ms.map((m) => m.textContent))).toContain('分割');
    await page.screenshot({ path: path.join(SHOTS, 'search-zh-1280-light.png'), fullPage: true });

    const en = await search(page, 'CLIP');
    const clip = en.find((r) => r.href === `${base}/papers/2024-04-15-3/`);
    expect(clip, JSON.stringify(en)).toBeDefined();
    expect([clip!.title, clip!.alt]).toContain('Scaling (Down) CLIP: A Comprehensive Analysis of Data, Architecture, and Training Strategies');
    expect(clip!.excerpt).toContain('CLIP');

    // An English word found only in English text, and nothing for a word in neither.
    expect((await search(page, 'Megalodon')).map((r) => r.href)).toContain(`${base}/papers/2024-04-15-5/`);
    expect(await search(page, 'qwxzvbnm')).toEqual([]);
    expect(await page.textContent('#search-results .search-status')).toContain('Nothing found');

    // Every result leads to a page the server has; following one lands on the paper's page.
    for (const r of [...zh, ...en]) expect((await fetch(r.href)).status, r.href).toBe(200);
    await search(page, '分割');
    await Promise.all([page.waitForURL(`${base}/papers/2024-04-15-2/`), page.click(`#search-results a[href="${base}/papers/2024-04-15-2/"]`)]);
    expect(await page.textContent('.title-zh')).toBe('COCONut:现代化 COCO 分割');

    // The box is on the paper page too, and works there.
    expect((await search(page, 'CLIP')).length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("keeps the editors' text as text in results: markup-like characters never become elements", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, problems } = await watchedPage(context);
    await page.goto(`${base}/`);
    await page.waitForSelector('#search-input', { state: 'visible' });
    const found = await search(page, 'alert');
    const hostile = found.find((r) => r.href === `${base}/papers/2024-05-06-1/`);
    expect(hostile, JSON.stringify(found)).toBeDefined();
    expect(hostile!.title).toContain('<script>alert("t")</script>');
    expect(hostile!.excerpt).toContain('<script>');
    expect(await page.$$eval('#search-results script, #search-results b, #search-results img, #search-results [onclick]', (e) => e.length)).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('serves the index files with their types, as the bytes Pagefind wrote', async () => {
    const dir = path.join(project.dir, 'public', 'pagefind', 'zh');
    const names = await readdir(dir, { recursive: true });
    const pick = (ext: string) => names.find((n) => n.endsWith(ext))!;
    const expected: [string, string][] = [
      [pick('.pf_meta'), 'application/octet-stream'],
      [pick('.pf_index'), 'application/octet-stream'],
      [pick('.pf_fragment'), 'application/octet-stream'],
      ['wasm.unknown.pagefind', 'application/octet-stream'],
      ['pagefind-entry.json', 'application/json; charset=utf-8'],
      ['pagefind.js', 'text/javascript; charset=utf-8'],
      ['pagefind-worker.js', 'text/javascript; charset=utf-8'],
    ];
    for (const [name, type] of expected) {
      const r = await fetch(`${base}/pagefind/zh/${name}`, { headers: { 'accept-encoding': 'br, gzip' } });
      expect(r.status, name).toBe(200);
      expect(r.headers.get('content-type'), name).toBe(type);
      // Pagefind's own files are gzip it inflates itself: never sent with a Content-Encoding.
      if (type === 'application/octet-stream') expect(r.headers.get('content-encoding'), name).toBeNull();
      expect(r.headers.get('content-security-policy'), name).toContain("'wasm-unsafe-eval'");
    }
    expect((await fetch(`${base}/pagefind/en/wasm.en.pagefind`)).headers.get('content-type')).toBe('application/octet-stream');
  });
});

/** WCAG contrast ratio of each element's text colour against the background it is drawn on. */
function contrastOf(page: Page, selectors: readonly string[]) {
  return page.evaluate((sels) => {
    const rgba = (c: string) => {
      const m = /rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)/.exec(c);
      if (!m) throw new Error(`unparsed colour ${c}`);
      return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] as const;
    };
    const lum = ([r, g, b]: readonly number[]) => {
      const ch = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * ch(r!) + 0.7152 * ch(g!) + 0.0722 * ch(b!);
    };
    const background = (el: Element | null): readonly number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] > 0.5) return c;
      }
      return [255, 255, 255, 1];
    };
    return sels.map((sel) => {
      const el = document.querySelector(sel);
      if (!el) return { sel, ratio: -1 };
      const fg = lum(rgba(getComputedStyle(el).color));
      const bg = lum(background(el));
      return { sel, ratio: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05) };
    });
  }, selectors);
}

const KEY_ELEMENTS: Record<string, readonly string[]> = {
  index: ['.site-title', '.intro p', '.subscribe h2', '.subscribe label', '.subscribe button', '.feeds a', '.issue-list > li > a', '.issue-list .meta', '.paper-titles a', '.paper-titles .title-zh', '.site-footer p', '#search-input'],
  issue: ['.site-title a', 'h1', '.issue .meta', '.paper h2 a', '.title-zh', '.abstract p', '.links a', '.subscribe button', '.issue-nav a', '.site-footer a'],
};

describe('the site at 375 px and 1280 px, light and dark', () => {
  for (const width of [375, 1280]) {
    for (const colorScheme of ['light', 'dark'] as const) {
      it(`${width} px, ${colorScheme}: no horizontal overflow, readable contrast, one link style`, async () => {
        const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme });
        const { page, problems } = await watchedPage(context);
        for (const [name, url] of [
          ['index', '/'],
          ['issue', SEED],
        ] as const) {
          await page.goto(base + url);
          await page.waitForSelector('#search-input', { state: 'visible' });
          const dims = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
          expect(dims.scroll, `${name} overflows at ${width}px`).toBeLessThanOrEqual(dims.client);

          // The colour scheme reached the page (dark background in dark, light in light).
          const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          expect(bg).toBe(colorScheme === 'dark' ? 'rgb(18, 18, 18)' : 'rgb(255, 255, 255)');
          for (const { sel, ratio } of await contrastOf(page, KEY_ELEMENTS[name]!)) {
            expect(ratio, `${name} ${sel}`).toBeGreaterThanOrEqual(4.5);
          }

          // One link style: every visible link has the same colour and is underlined.
          const links = await page.$$eval('a', (as) =>
            as.filter((a) => a.getClientRects().length > 0).map((a) => ({ text: a.textContent, color: getComputedStyle(a).color, line: getComputedStyle(a).textDecorationLine })),
          );
          expect(links.length).toBeGreaterThan(5);
          expect(new Set(links.map((l) => l.color)).size, JSON.stringify(links.slice(0, 3))).toBe(1);
          expect(links.filter((l) => l.line !== 'underline')).toEqual([]);

          await page.screenshot({ path: path.join(SHOTS, `${name}-${width}-${colorScheme}.png`), fullPage: true });
        }
        // Search results fit the narrow screen too.
        await search(page, '分割');
        const dims = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
        expect(dims.scroll).toBeLessThanOrEqual(dims.client);
        for (const { sel, ratio } of await contrastOf(page, ['.search-status', '.search-title', '.search-alt', '.search-excerpt', '#search-results mark'])) {
          expect(ratio, sel).toBeGreaterThanOrEqual(4.5);
        }
        await page.screenshot({ path: path.join(SHOTS, `search-${width}-${colorScheme}.png`) });
        expect(problems).toEqual([]);
        await context.close();
      });
    }
  }
});
