/**
 * Language editions, as a Subscriber receives them: each message is composed by the delivery engine
 * and read back with mailparser (subject, <title>, heading, labels, preheader, footer, both parts).
 * The en edition is English only (no CJK character anywhere), the zh edition Chinese chrome only,
 * and both stays bilingual.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { hasCjk } from '../../src/cjk.ts';
import { parseConfig, type Config } from '../../src/config.ts';
import { parseIssue } from '../../src/content/parse-issue.ts';
import { createMessageFactory } from '../../src/delivery/message.ts';
import { isSudiError } from '../../src/errors.ts';
import type { Issue, Lang } from '../../src/model.ts';
import { personalAddresses } from '../../src/personal-links.ts';
import { renderEmail } from '../../src/render/email.ts';
import { mixedIssueText, NOW, ROOT, seedIssue, testConfig } from '../render/fixtures.ts';

const issueText = (frontExtra: string, note = '这周的编者按：三篇论文。') => mixedIssueText({ title: '每周AI论文速递 (240506-240510)', frontExtra, note });
const withTitleEn = parseIssue('2024-05-06.md', issueText('title_en: "Weekly AI Papers, May 6–10"\n'));

async function receive(issue: Issue, lang: Lang, config: Config = testConfig()): Promise<ParsedMail & { html: string; text: string }> {
  const factory = createMessageFactory(await renderEmail(issue, { config, now: NOW, lang }), { config, secret: 'e'.repeat(40), addresses: personalAddresses(config, 'e'.repeat(40)) });
  const parsed = await simpleParser(Buffer.concat(factory.build({ subscriberId: 3, email: 'reader@example.com' }, { now: NOW }).raw as Buffer[]));
  if (typeof parsed.html !== 'string' || typeof parsed.text !== 'string') throw new Error('expected an HTML and a text part');
  return parsed as ParsedMail & { html: string; text: string };
}

const tag = (html: string, name: string) => new RegExp(`<${name}[^>]*>([^<]*)</${name}>`).exec(html)?.[1];

describe('the en edition', () => {
  it('is English throughout: subject, <title>, heading, labels, preheader, footer; no CJK in either part', async () => {
    const m = await receive(withTitleEn, 'en');
    expect(m.subject).toBe('Weekly AI Papers, May 6–10');
    expect(tag(m.html, 'title')).toBe('Weekly AI Papers, May 6–10');
    expect(tag(m.html, 'h1')).toBe('Weekly AI Papers, May 6–10');
    expect(m.html).toMatch(/^<!doctype html><html lang="en"/);
    expect(m.html).toContain('>2024-05-06 – 2024-05-10 · 3 papers</p>');
    for (const label of ['View in browser', 'Unsubscribe', 'Preferences', 'Paper', 'Code']) expect(m.html, label).toContain(`>${label}</a>`);
    expect(m.html).toContain('<p>Feeds: <a');
    expect(m.html).toContain('English abstract one.');
    expect(m.html).toContain('<p class="n">English abstract not available.</p>');
    expect(m.text).toContain('(English abstract not available.)');
    // The note is in Chinese: left out, and the preheader says what the issue holds instead.
    expect(m.html).toContain('>3 papers this week: Both Abstracts · Chinese Only · English Only</div>');
    expect(m.html).toContain('This email was sent to reader@example.com because you subscribed to <a class="tap" href="https://news.example.org/digest/" style="');
    expect(m.html).toContain('>Weekly AI Papers · Sudi</a>.');
    for (const [where, s] of [['subject', m.subject!], ['html', m.html], ['text', m.text]] as const) {
      expect(hasCjk(s), `${where}: ${[...s].filter(hasCjk).slice(0, 20).join('')}`).toBe(false);
    }
  });

  it('without title_en: "Weekly AI Papers (YYMMDD–YYMMDD)"; SITE_TITLE_EN names the digest', async () => {
    const config = testConfig({ SITE_TITLE_EN: 'Sudi: papers of the week' });
    const m = await receive(seedIssue(), 'en', config);
    expect(m.subject).toBe('Weekly AI Papers (240415–240419)');
    expect(tag(m.html, 'h1')).toBe('Weekly AI Papers (240415–240419)');
    expect(m.text).toContain('because you subscribed to Sudi: papers of the week.');
    // The seed week has Chinese abstracts only: nine English lines say so, and nothing is Chinese.
    expect(m.text.split('(English abstract not available.)')).toHaveLength(10);
    expect(hasCjk(m.html) || hasCjk(m.text)).toBe(false);
  });

  it('an English note is kept, and leads the preheader', async () => {
    const m = await receive(parseIssue('2024-05-06.md', issueText('', 'A short week: three papers.')), 'en');
    expect(m.html).toContain('<div class="nt" lang="en"><p>A short week: three papers.</p></div>');
    expect(m.html).toMatch(/<div style="display:none;[^"]*">A short week: three papers.<\/div>/);
  });
});

describe('the zh edition', () => {
  it('has Chinese chrome only; a paper without a Chinese abstract says so in Chinese', async () => {
    const m = await receive(withTitleEn, 'zh');
    expect(m.subject).toBe('每周AI论文速递 (240506-240510)');
    expect(tag(m.html, 'title')).toBe('每周AI论文速递 (240506-240510)');
    expect(tag(m.html, 'h1')).toBe('每周AI论文速递 (240506-240510)');
    expect(m.html).toMatch(/^<!doctype html><html lang="zh-CN"/);
    expect(m.html).toContain('>2024-05-06 – 2024-05-10 · 3 篇论文</p>');
    for (const label of ['在浏览器中查看', '退订', '偏好设置', '论文', '代码']) expect(m.html, label).toContain(`>${label}</a>`);
    expect(m.html).toContain('<p>订阅源: <a');
    for (const english of ['View in browser', 'Feeds', 'Unsubscribe', 'Preferences', 'papers', 'This email', 'abstract']) {
      expect(m.html, english).not.toContain(english);
      expect(m.text, english).not.toContain(english);
    }
    expect(m.html).not.toContain('Only an English abstract.');
    expect(m.html).toContain('<p class="n">暂无中文摘要。</p>');
    expect(m.text).toContain('(暂无中文摘要。)');
    expect(m.html).toContain('<div class="nt" lang="zh-CN"><p>这周的编者按：三篇论文。</p></div>');
    expect(m.text).toContain('这封邮件发送至 reader@example.com，因为你订阅了 每周AI论文速递 · Sudi。');
  });

  it('an English note is shown but does not lead the Chinese preheader', async () => {
    const m = await receive(parseIssue('2024-05-06.md', issueText('', 'A short week: three papers.')), 'zh');
    expect(m.html).toContain('<div class="nt" lang="en"><p>A short week: three papers.</p></div>');
    expect(m.html).toMatch(/<div style="display:none;[^"]*">本期 3 篇论文：两种摘要 · 只有中文 · 只有英文<\/div>/);
  });
});

describe('the both edition', () => {
  it('stays bilingual: the issue title, both abstracts, labels in both languages, the footer twice', async () => {
    const m = await receive(withTitleEn, 'both');
    expect(m.subject).toBe('每周AI论文速递 (240506-240510)');
    expect(tag(m.html, 'h1')).toBe('每周AI论文速递 (240506-240510)');
    for (const s of ['中文摘要一。', 'English abstract one.', '只有中文摘要。', 'Only an English abstract.', '这周的编者按']) expect(m.html).toContain(s);
    expect(m.html).not.toContain('not available');
    expect(m.html).not.toContain('暂无');
    expect(m.html).toContain('退订 / <span lang="en">Unsubscribe</span>');
    expect(m.text).toContain('这封邮件发送至 reader@example.com，因为你订阅了 每周AI论文速递 · Sudi。');
    expect(m.text).toContain('This email was sent to reader@example.com because you subscribed to Weekly AI Papers · Sudi.');
  });
});

describe('settings and the issue file', () => {
  it('SITE_TITLE_EN: set, else an English SITE_TITLE, else the English default', () => {
    const title = (env: Record<string, string>) => parseConfig(env, ROOT).siteTitleEn;
    expect(title({})).toBe('Weekly AI Papers · Sudi');
    expect(title({ SITE_TITLE: '论文周报' })).toBe('Weekly AI Papers · Sudi');
    expect(title({ SITE_TITLE: 'Paper Weekly' })).toBe('Paper Weekly');
    expect(title({ SITE_TITLE: '论文周报', SITE_TITLE_EN: 'Paper Weekly' })).toBe('Paper Weekly');
    let err: unknown;
    try {
      parseConfig({ SITE_TITLE_EN: 'a\nBcc: x@example.org' }, ROOT);
    } catch (e) {
      err = e;
    }
    expect(isSudiError(err) && JSON.stringify(err).includes('SITE_TITLE_EN')).toBe(true);
  });

  it('title_en is optional; an empty one is refused with the field and its line', () => {
    expect(parseIssue('2024-05-06.md', issueText('')).title_en).toBeUndefined();
    let err: unknown;
    try {
      parseIssue('2024-05-06.md', issueText('title_en: ""\n'));
    } catch (e) {
      err = e;
    }
    expect(isSudiError(err)).toBe(true);
    expect(String((err as Error).message) + JSON.stringify(err)).toMatch(/2024-05-06\.md:3.*title_en.*is empty \(expected the English issue title\)/s);
  });
});
