/**
 * The email in real Chromium: the adversarial issue shows its text literally with no live markup,
 * the seed issue lays out without horizontal overflow at phone and desktop widths, and every
 * footer link (and "view in browser" at the top) is a tap target of at least 24 × 24 px.
 * Screenshots go to tests/artifacts/ (gitignored) for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lang } from '../../src/model.ts';
import { personalize, renderEmail } from '../../src/render/email.ts';
import { adversarialIssue, ARTIFACTS, NOW, seedIssue, testConfig } from './fixtures.ts';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RECIPIENT = { unsubscribeUrl: 'https://news.example.org/digest/unsubscribe/tok?a=1&b="x"', preferencesUrl: 'https://news.example.org/digest/preferences/tok', recipient: 'reader@example.org' };

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

/** Loads HTML into a page with scripts disabled and the network cut off (nothing may load). */
async function open(html: string, width: number) {
  const context = await browser.newContext({ viewport: { width, height: 800 }, javaScriptEnabled: false });
  await context.route('**/*', (route) => route.abort());
  const page = await context.newPage();
  await page.setContent(html, { waitUntil: 'load' });
  return { page, close: () => context.close() };
}

describe('adversarial issue in Chromium', () => {
  it('shows every hostile string as text and contains no live markup from it', async () => {
    const issue = adversarialIssue();
    const rendered = await renderEmail(issue, { config: testConfig(), now: NOW });
    const { html } = personalize(rendered, RECIPIENT);
    const { page, close } = await open(html, 800);
    try {
      // page.evaluate still runs with the page's own scripts disabled: it reads the DOM the parser built.
      const dom = await page.evaluate(() => {
        const all = [...document.querySelectorAll('*')];
        return {
          scripts: document.querySelectorAll('script').length,
          mjTags: all.filter((e) => e.tagName.toLowerCase().startsWith('mj-')).map((e) => e.tagName),
          imgs: document.querySelectorAll('img').length,
          bold: document.querySelectorAll('b').length,
          handlers: all.flatMap((e) => [...e.attributes].filter((a) => a.name.toLowerCase().startsWith('on')).map((a) => `${e.tagName}.${a.name}`)),
          hrefs: [...document.querySelectorAll('[href]')].map((e) => e.getAttribute('href') ?? ''),
          text: document.body.textContent ?? '',
          titleLink: document.querySelector('.p h2 a')?.getAttribute('href'),
        };
      });
      expect(dom.scripts).toBe(0);
      expect(dom.mjTags).toEqual([]);
      expect(dom.imgs).toBe(0);
      expect(dom.bold).toBe(0);
      expect(dom.handlers).toEqual([]);
      expect(dom.hrefs.length).toBeGreaterThan(5);
      for (const href of dom.hrefs) expect(href).toMatch(/^https?:\/\//);
      // The recipient's URLs (with & and ") parse back exactly, once each.
      expect(dom.hrefs.filter((h) => h === RECIPIENT.unsubscribeUrl)).toHaveLength(1);
      expect(dom.hrefs.filter((h) => h === RECIPIENT.preferencesUrl)).toHaveLength(1);
      // The URL with a quote in it stays one attribute value, exactly as written.
      expect(dom.titleLink).toBe('https://example.org/x"onmouseover="alert(1)');
      const p = issue.papers[0]!;
      for (const literal of [
        issue.title,
        p.title.en,
        p.title.zh,
        p.abstract.zh!,
        '<img src=x onerror=alert(1)>',
        '{{x}}',
        '{{{y}}}',
        '<mj-include path="/etc/passwd">',
        ']]> ]]>',
        'javascript:alert(4)',
        '[bad](javascript:alert(3))',
        // The bidi controls around these were removed when the issue was read.
        'RTL 😀',
        ' RLM',
        '😀',
        '👩‍🔬',
        // Content that looks like a placeholder is text; it was not replaced by the recipient's URL.
        '{%sudi:unsubscribe-url%}',
      ]) {
        expect(dom.text).toContain(literal);
      }
      // The bell (U+0007) in the note is dropped, not shown or passed on.
      expect(dom.text).not.toContain('\u0007');
      expect(dom.text).not.toMatch(/[\u200F\u202E\u202C]/);
    } finally {
      await close();
    }
  });
});

describe('layout', () => {
  const cases: { lang: Lang; width: number }[] = [
    { lang: 'both', width: 375 },
    { lang: 'both', width: 800 },
    { lang: 'zh', width: 375 },
    { lang: 'en', width: 800 },
  ];
  for (const { lang, width } of cases) {
    it(`seed issue, ${lang}, ${width} px: no horizontal overflow, every paper title visible`, async () => {
      const issue = seedIssue();
      const rendered = await renderEmail(issue, { config: testConfig(), now: NOW, lang });
      const { page, close } = await open(personalize(rendered, RECIPIENT).html, width);
      try {
        const m = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
          titles: [...document.querySelectorAll('.p h2')].map((h) => {
            const r = h.getBoundingClientRect();
            const s = getComputedStyle(h);
            return { text: (h.textContent ?? '').trim(), left: r.left, right: r.right, height: r.height, visible: s.visibility === 'visible' && s.display !== 'none' && Number(s.opacity) > 0 };
          }),
        }));
        expect(m.scrollWidth).toBeLessThanOrEqual(m.innerWidth);
        const expected = issue.papers.map((p) => (lang === 'zh' ? p.title.zh : p.title.en));
        expect(m.titles.map((t) => t.text)).toEqual(expected);
        for (const t of m.titles) {
          expect(t.visible).toBe(true);
          expect(t.height).toBeGreaterThan(0);
          expect(t.left).toBeGreaterThanOrEqual(0);
          expect(t.right).toBeLessThanOrEqual(width);
        }
        await page.screenshot({ path: path.join(ARTIFACTS, `email-${issue.id}-${lang}-${width}.png`), fullPage: true });
        await page.screenshot({ path: path.join(ARTIFACTS, `email-${issue.id}-${lang}-${width}-top.png`) });
      } finally {
        await close();
      }
    });
  }

  it('adversarial issue at 375 px: long URLs wrap instead of overflowing', async () => {
    const rendered = await renderEmail(adversarialIssue(), { config: testConfig(), now: NOW });
    const { page, close } = await open(personalize(rendered, RECIPIENT).html, 375);
    try {
      const m = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      expect(m.scrollWidth).toBeLessThanOrEqual(m.innerWidth);
      await page.screenshot({ path: path.join(ARTIFACTS, 'email-adversarial-375.png'), fullPage: true });
    } finally {
      await close();
    }
  });

  for (const lang of ['zh', 'en', 'both'] as Lang[]) {
    it(`${lang}, 375 px: "view in browser" at the top and every footer link are at least 24 × 24 px`, async () => {
      const rendered = await renderEmail(seedIssue(), { config: testConfig(), now: NOW, lang });
      const { page, close } = await open(personalize(rendered, RECIPIENT).html, 375);
      try {
        const m = await page.evaluate(() => {
          const box = (a: Element) => {
            const r = a.getBoundingClientRect();
            return { text: (a.textContent ?? '').trim(), width: r.width, height: r.height, top: r.top };
          };
          return {
            top: [...document.querySelectorAll('.vb a')].map(box),
            footer: [...document.querySelectorAll('.ft a')].map(box),
            heading: document.querySelector('h1')!.getBoundingClientRect().top,
            footerText: (document.querySelector('.ft') as HTMLElement).innerText,
          };
        });
        expect(m.top.map((b) => b.text)).toEqual([lang === 'zh' ? '在浏览器中查看' : lang === 'en' ? 'View in browser' : '在浏览器中查看 / View in browser']);
        expect(m.top[0]!.top).toBeLessThan(m.heading);
        // Feeds (3), the site, unsubscribe, preferences; the bilingual footer names the site twice.
        expect(m.footer).toHaveLength(lang === 'both' ? 7 : 6);
        for (const b of [...m.top, ...m.footer]) {
          expect(b.width, b.text).toBeGreaterThanOrEqual(24);
          expect(b.height, b.text).toBeGreaterThanOrEqual(24);
        }
        expect(m.footerText).toContain(lang === 'zh' ? '这封邮件发送至 reader@example.org' : 'This email was sent to reader@example.org');
        await page.screenshot({ path: path.join(ARTIFACTS, `email-footer-${lang}-375.png`), fullPage: true });
      } finally {
        await close();
      }
    });
  }

  it('dark colour scheme: the card turns dark', async () => {
    const rendered = await renderEmail(seedIssue(), { config: testConfig(), now: NOW });
    const { page, close } = await open(personalize(rendered, RECIPIENT).html, 800);
    try {
      await page.emulateMedia({ colorScheme: 'dark' });
      const bg = await page.evaluate(() => getComputedStyle(document.querySelector('.card') as Element).backgroundColor);
      expect(bg).toBe('rgb(22, 27, 34)');
      await page.screenshot({ path: path.join(ARTIFACTS, 'email-dark-800.png') });
    } finally {
      await close();
    }
  });
});
