/**
 * The plain-text part: helpers that turn issue text and the editor's note into readable text.
 *
 * Prose is never hard-wrapped. A Chinese paragraph has no spaces to wrap at, and wrapping English
 * without format=flowed leaves ragged lines on phones; every client wraps to its own width, and the
 * transfer encoding (base64 / quoted-printable) takes care of SMTP's 998-octet line limit.
 * URLs always stand on their own line, so no client glues a neighbouring `。` or word onto a link.
 */
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';
import { stripXmlIllegal } from '../xml-chars.ts';
import { restrictToHttp, splitLinks } from './links.ts';

/** Issue text for the text part: no control characters (they also cannot forge a placeholder). */
export function cleanText(s: string): string {
  return stripXmlIllegal(s).replace(/\r\n?/g, '\n');
}

/** A multi-line text (an abstract): one paragraph per line, blank line between, URLs on their own lines. */
export function paragraphsText(text: string): string {
  return cleanText(text)
    .split('\n')
    .map(urlsOnOwnLines)
    .filter(Boolean)
    .join('\n\n');
}

/** Puts every http(s) URL of one line of text on a line of its own. */
export function urlsOnOwnLines(line: string): string {
  return dropEmptyLines(splitLinks(line).map((p) => ('url' in p ? `\n${p.url}\n` : p.text)).join(''));
}

function dropEmptyLines(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}

/** Columns a string takes in a monospaced font: East Asian wide and full-width characters count 2. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x300 && cp <= 0x36f)) continue;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** A line of `ch` as wide as `s` (a Setext-style underline that also fits Chinese headings). */
export function underline(s: string, ch = '='): string {
  return ch.repeat(Math.max(3, displayWidth(s)));
}

/** Normalises blank lines and trailing spaces; exactly one newline at the end. */
export function tidyText(text: string): string {
  return `${text
    .replace(/\r\n?/g, '\n')
    // Trailing blanks go, except in the signature separator `-- ` (RFC 3676), which keeps its space.
    .replace(/[ \t]+$/gm, (m, offset: number, all: string) => (m === ' ' && all.slice(offset - 2, offset) === '--' && (offset === 2 || all[offset - 3] === '\n') ? m : ''))
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
restrictToHttp(md.linkify);
md.validateLink = (url: string) => /^https?:\/\//i.test(url.trim());

/**
 * The editor's note (Markdown) as plain text. Links become numbered references listed after
 * their block (`our post [1]` … `[1] https://…`); a bare URL stays where it is, on its own line.
 */
export function noteText(markdown: string): string {
  if (markdown.trim() === '') return '';
  const tokens = md.parse(cleanText(markdown), {});
  /** Each block with the separator before it: tight list items follow each other line by line. */
  const blocks: { sep: string; text: string }[] = [];
  let prevTight = false;
  let refs: string[] = [];
  let counter = 0;
  const prefixes: string[] = [];
  const listStack: { ordered: boolean; n: number }[] = [];
  let pendingItem = '';

  const flushRefs = () => {
    if (refs.length === 0) return;
    blocks.push({ sep: '\n\n', text: refs.join('\n') });
    refs = [];
    prevTight = false;
  };
  const emit = (body: string, tight = false) => {
    const prefix = prefixes.join('');
    const lines = body.split('\n').map((l, i) => (i === 0 ? pendingItem : ' '.repeat(pendingItem.length)) + l);
    pendingItem = '';
    blocks.push({ sep: tight && prevTight ? '\n' : '\n\n', text: lines.map((l) => (prefix + l).trimEnd()).join('\n') });
    prevTight = tight;
    if (listStack.length === 0 && prefixes.length === 0) flushRefs();
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    switch (t.type) {
      case 'heading_open': {
        const text = inlineText(tokens[i + 1] as Token);
        emit(`${text}\n${underline(text, t.tag === 'h1' || t.tag === 'h2' ? '=' : '-')}`);
        i += 2;
        break;
      }
      case 'paragraph_open':
        // markdown-it hides the paragraphs of a tight list.
        emit(inlineText(tokens[i + 1] as Token), t.hidden);
        i += 2;
        break;
      case 'fence':
      case 'code_block':
        emit(t.content.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n'));
        break;
      case 'hr':
        emit('----');
        break;
      case 'table_open': {
        // A table becomes one line per row, cells separated by " | ".
        const rows: string[] = [];
        let cells: string[] = [];
        for (i += 1; i < tokens.length && (tokens[i] as Token).type !== 'table_close'; i++) {
          const c = tokens[i] as Token;
          if (c.type === 'tr_open') cells = [];
          else if (c.type === 'inline') cells.push(inlineText(c).replace(/\n/g, ' '));
          else if (c.type === 'tr_close') rows.push(cells.join(' | '));
        }
        emit(rows.join('\n'));
        break;
      }
      case 'blockquote_open':
        prefixes.push('> ');
        break;
      case 'blockquote_close':
        prefixes.pop();
        break;
      case 'bullet_list_open':
      case 'ordered_list_open':
        listStack.push({ ordered: t.type === 'ordered_list_open', n: Number(t.attrGet('start') ?? 1) });
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        listStack.pop();
        if (listStack.length === 0 && prefixes.length === 0) flushRefs();
        break;
      case 'list_item_open': {
        const top = listStack.at(-1);
        const depth = '  '.repeat(Math.max(0, listStack.length - 1));
        pendingItem = depth + (top?.ordered ? `${top.n++}. ` : '- ');
        break;
      }
      default:
        break;
    }
  }
  flushRefs();
  return blocks.map((b, i) => (i === 0 ? '' : b.sep) + b.text).join('');

  function inlineText(inline: Token): string {
    let out = '';
    let linkHref: string | null = null;
    let linkText = '';
    for (const c of inline.children ?? []) {
      let piece = '';
      if (c.type === 'text') piece = c.content;
      else if (c.type === 'code_inline') piece = `\`${c.content}\``;
      else if (c.type === 'softbreak' || c.type === 'hardbreak') piece = '\n';
      else if (c.type === 'image') {
        counter += 1;
        refs.push(`[${counter}] ${c.attrGet('src') ?? ''}`);
        piece = `${c.content || 'image'} [${counter}]`;
      } else if (c.type === 'link_open') {
        linkHref = c.attrGet('href');
        linkText = '';
        continue;
      } else if (c.type === 'link_close') {
        const href = linkHref ?? '';
        if (linkText === href || c.markup === 'linkify' || linkText.trim() === '') {
          out += `\n${href}\n`;
        } else {
          counter += 1;
          refs.push(`[${counter}] ${href}`);
          out += `${linkText} [${counter}]`;
        }
        linkHref = null;
        continue;
      }
      if (linkHref !== null) linkText += piece;
      else out += piece;
    }
    return dropEmptyLines(out);
  }
}
