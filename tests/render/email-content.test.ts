/**
 * What the email says: language variants, lang attributes, links, the plain-text twin, determinism,
 * and the size budget measured the way the message will travel (checked against nodemailer's output).
 */
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { describe, expect, it } from 'vitest';
import { parseIssue } from '../../src/content/parse-issue.ts';
import type { Issue, Lang } from '../../src/model.ts';
import { chooseTransferEncoding, emailSizes, personalize, renderEmail } from '../../src/render/email.ts';
import { mixedIssueText, NOW, seedIssue, testConfig } from './fixtures.ts';

const render = (issue: Issue, lang?: Lang) => renderEmail(issue, { config: testConfig(), now: NOW, lang });
const filled = { unsubscribeUrl: 'https://news.example.org/digest/unsubscribe/T', preferencesUrl: 'https://news.example.org/digest/preferences/T', recipient: 'reader@example.org' };

/** Three papers covering the abstract cases: both, only Chinese, only English. */
const mixed = parseIssue(
  '2024-05-06.md',
  mixedIssueText({
    title: 'Mixed abstracts',
    note: 'A note with **bold**, [a link](https://example.org/post), [bad](javascript:alert(1)), mailto:a@example.org and ftp://example.org/f.',
  }),
);

describe('language variants', () => {
  it('both: English title linked to the paper, Chinese title, every abstract', async () => {
    const { html, text } = await render(mixed, 'both');
    expect(html).toMatch(/^<!doctype html><html lang="zh-CN"/);
    expect(html).toContain('<h2 lang="en"><a href="https://arxiv.org/abs/2405.00001">Both Abstracts</a></h2>');
    expect(html).toContain('<h2 lang="en"><a href="https://github.com/example/zh">Chinese Only</a></h2>');
    expect(html).toContain('<h2 lang="en">English Only</h2>');
    expect(html).toContain('<p class="s" lang="zh-CN">两种摘要</p>');
    expect(html).toContain('<div class="a" lang="zh-CN"><p>中文摘要一。</p></div><div class="a" lang="en"><p>English abstract one.</p></div>');
    for (const s of ['Both Abstracts', '两种摘要', '中文摘要一。', 'English abstract one.', '只有中文摘要。', 'Only an English abstract.']) expect(text).toContain(s);
  });

  it('zh: Chinese title leads, English title under it; no Chinese abstract is said in one Chinese line', async () => {
    const { html, text } = await render(mixed, 'zh');
    expect(html).toMatch(/<html lang="zh-CN"/);
    expect(html).toMatch(/<h2 lang="zh-CN"><a href="https:\/\/arxiv.org\/abs\/2405.00001">两种摘要<\/a><\/h2>\s?<p class="s" lang="en">Both Abstracts<\/p>/);
    expect(html).not.toContain('English abstract one.');
    expect(html).not.toContain('Only an English abstract.');
    expect(html).toContain('<p class="n">暂无中文摘要。</p>');
    expect(text).toContain('1. 两种摘要\nBoth Abstracts');
    expect(text).toContain('(暂无中文摘要。)');
    expect(html).toContain('退订');
    expect(html).not.toContain('Unsubscribe');
  });

  it('en: English only; no English abstract is said in one English line instead of the Chinese one', async () => {
    const { html, text } = await render(mixed, 'en');
    expect(html).toMatch(/<html lang="en"/);
    expect(html).not.toContain('两种摘要');
    expect(html).not.toContain('中文摘要一。');
    expect(html).not.toContain('只有中文摘要。');
    expect(html).toContain('<p class="n">English abstract not available.</p>');
    expect(text).toContain('(English abstract not available.)');
    expect(html).toContain('Unsubscribe');
    expect(html).not.toContain('退订');
  });
});

describe('the issue email', () => {
  it('has colour-scheme metas, the preheader, and a footer with archive, feed, unsubscribe and preferences links', async () => {
    const r = await render(seedIssue());
    const { html, text } = personalize(r, filled);
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain('<meta name="supported-color-schemes" content="light dark">');
    expect(html).toContain(`<title>${r.subject}</title>`);
    expect(r.subject).toBe(seedIssue().title);
    expect(r.preheader).toMatch(/^本期 9 篇论文：/);
    expect(html).toContain(r.preheader);
    // The preheader is hidden without a colour: white text is what spam filters look for.
    expect(html).toMatch(/<div style="display:none;[^"]*">本期 9 篇论文：/);
    expect(html).not.toMatch(/(^|[^-])color:#fff/i);
    // "View in browser" comes first, before the heading, in both parts.
    expect(html.indexOf('在浏览器中查看 / <span lang="en">View in browser</span>')).toBeLessThan(html.indexOf('<h1>'));
    expect(text.startsWith('在浏览器中查看 / View in browser:\nhttps://news.example.org/digest/issues/2024-04-15/\n')).toBe(true);
    for (const url of [
      'https://news.example.org/digest/issues/2024-04-15/',
      'https://news.example.org/digest/feed.xml',
      'https://news.example.org/digest/atom.xml',
      'https://news.example.org/digest/feed.json',
      filled.unsubscribeUrl,
      filled.preferencesUrl,
    ]) {
      expect(html).toContain(`href="${url}"`);
      expect(text.split('\n')).toContain(url);
    }
  });

  it('plain text: present, every title, URLs on their own lines, Chinese paragraphs not broken', async () => {
    const issue = seedIssue();
    const { text } = await render(issue);
    const lines = text.split('\n');
    for (const p of issue.papers) {
      expect(text).toContain(p.title.en);
      expect(text).toContain(p.title.zh);
      for (const url of Object.values(p.links)) expect(lines).toContain(url);
    }
    // The second abstract has no URL: it is one line, exactly as written.
    expect(lines).toContain(issue.papers[1]!.abstract.zh);
    for (const l of lines) if (/https?:\/\//.test(l)) expect(l).toMatch(/^(\[\d+\] )?https?:\/\/\S+$/);
    expect(text).toContain('\n-- \n');
  });

  it('the editor\'s note: Markdown rendered, only http(s) links live', async () => {
    const { html, text } = personalize(await render(mixed), filled);
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<a href="https://example.org/post">a link</a>');
    expect(html).toContain('[bad](javascript:alert(1))');
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    for (const h of hrefs) expect(h).toMatch(/^https?:\/\//);
    expect(text).toContain('a link [1]');
    expect(text.split('\n')).toContain('[1] https://example.org/post');
  });

  it('is deterministic: same input and now, same bytes', async () => {
    const a = await render(seedIssue());
    const b = await render(seedIssue());
    expect(b).toEqual(a);
    const later = await renderEmail(seedIssue(), { config: testConfig(), now: new Date('2031-01-01T00:00:00Z') });
    expect(later.html).toContain('© 2031');
  });
});

describe('size as sent', () => {
  it('the seed issue is under 90 KB as sent in every language (goal: 60 KB)', async () => {
    for (const lang of ['both', 'zh', 'en'] as const) {
      const r = await render(seedIssue(), lang);
      const sizes = emailSizes(personalize(r, filled).html);
      // The seed week has no English abstracts, so its en edition is (nearly) all ASCII.
      expect(sizes.encoding).toBe(lang === 'en' ? 'quoted-printable' : 'base64');
      expect(sizes.sent).toBeLessThan(90 * 1024);
      expect(sizes.raw).toBe(Buffer.byteLength(personalize(r, filled).html));
      expect(r.htmlBytes).toBe(Buffer.byteLength(r.html));
    }
  });

  it('chooses the smaller encoding: base64 for Chinese, quoted-printable for ASCII', () => {
    expect(chooseTransferEncoding('速递'.repeat(500))).toBe('base64');
    expect(chooseTransferEncoding('<p>plain ascii text</p>'.repeat(200))).toBe('quoted-printable');
    const cjk = emailSizes('中'.repeat(3000));
    // 12000 base64 characters in 76-character lines: 157 CRLFs.
    expect(cjk).toEqual({ raw: 9000, sent: 12314, encoding: 'base64' });
  });

  it('the sent size is what nodemailer writes with that encoding, and smaller than nodemailer\'s own pick', async () => {
    const r = await render(seedIssue());
    const { html, text } = personalize(r, filled);
    const sizes = emailSizes(html);
    const htmlPartBody = async (contentTransferEncoding?: string) => {
      const raw = (await new MailComposer({
        from: 'a@example.org',
        to: 'b@example.org',
        subject: r.subject,
        text,
        html: contentTransferEncoding ? { content: html, contentTransferEncoding } : html,
      })
        .compile()
        .build()).toString('latin1');
      // Split at the message's own boundary: a quoted-printable line may start with "--" too.
      const boundary = /boundary="([^"]+)"/.exec(raw)![1]!;
      const part = raw.split(`\r\n--${boundary}`).find((p) => /^\r\nContent-Type: text\/html/i.test(p));
      if (!part) throw new Error('no text/html part');
      const [headers, ...body] = part.slice(2).split('\r\n\r\n');
      return { headers: headers ?? '', body: body.join('\r\n\r\n').replace(/\r\n$/, '') };
    };
    const ours = await htmlPartBody(chooseTransferEncoding(html));
    expect(ours.headers).toContain(`Content-Transfer-Encoding: ${sizes.encoding}`);
    expect(Math.abs(ours.body.length - sizes.sent)).toBeLessThanOrEqual(2);
    const theirs = await htmlPartBody();
    expect(theirs.headers).toContain('Content-Transfer-Encoding: quoted-printable');
    expect(theirs.body.length).toBeGreaterThan(sizes.sent);
  });
});
