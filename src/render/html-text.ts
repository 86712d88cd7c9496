/**
 * Issue text → HTML fragments for the email. Issue content is data: everything is escaped here,
 * before it reaches a template, and handed over as Handlebars SafeStrings, so even a template
 * that uses `{{{triple}}}` cannot open a hole.
 *
 * Besides HTML's five, `{`, `}`, `` ` `` and `=` are encoded: the compiled MJML then never holds a
 * `{`-sequence from content, which keeps MJML's template-syntax handling away from it and makes
 * the personalization placeholders (`{%…%}`) impossible to forge from an issue file.
 */
import MarkdownIt from 'markdown-it';
import { restrictToHttp, splitLinks } from './links.ts';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '=': '&#61;',
  '{': '&#123;',
  '}': '&#125;',
};
const NEEDS_ESCAPE = /[&<>"'`={}]/g;

/** Safe in HTML text and in a double- or single-quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(NEEDS_ESCAPE, (c) => ESCAPES[c] as string);
}

/** Plain text with its http(s) URLs turned into links; everything else escaped. */
export function linkedHtml(text: string): string {
  return splitLinks(text)
    .map((p) => ('url' in p ? `<a href="${escapeHtml(p.url)}">${escapeHtml(p.url)}</a>` : escapeHtml(p.text)))
    .join('');
}

/** A multi-line text (an abstract) as `<p>` paragraphs, one per non-empty line. */
export function paragraphsHtml(text: string, attrs = ''): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => `<p${attrs}>${linkedHtml(l)}</p>`)
    .join('');
}

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
restrictToHttp(md.linkify);
// Only absolute http(s) links and images; `[x](javascript:…)` stays literal text.
md.validateLink = (url: string) => /^https?:\/\//i.test(url.trim());

/** The editor's note (Markdown, raw HTML shown as text) as HTML; '' when empty. */
export function noteHtml(markdown: string): string {
  if (markdown.trim() === '') return '';
  // markdown-it leaves `{` `}` and `=` as they are in text; our markup never contains braces, so
  // encoding every brace in its output is safe and keeps the placeholders unforgeable.
  return md.render(markdown).trim().replace(/[{}]/g, (c) => ESCAPES[c] as string);
}
