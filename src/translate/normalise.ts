/**
 * What a model gets wrong mechanically, put right after it answers. Pure: answer text in, text for
 * the issue file out. The house style is the digest's (see the seed issue): half-width parentheses
 * with a space outside them, `语言模型 (LM)，`, Chinese punctuation otherwise left as it is.
 *
 * - bidi and zero-width characters removed (invisible-chars.ts), control characters too: the issue
 *   file would refuse them, and they are never part of a translation;
 * - a whole answer wrapped in a code fence, or in quotes the English did not have, unwrapped;
 * - full-width parentheses （…） → half-width, a space outside unless punctuation or a line edge is
 *   there, none inside; half-width ones touching a Chinese character get the same space (only
 *   those: `O(n)` and `f(x)` stay as written);
 * - full-width Latin letters and digits (ＬＬＭ, ２０２４) → ASCII;
 * - a title on one line; an abstract's lines trimmed, at most one blank line between paragraphs;
 *   runs of spaces collapsed; the whole trimmed.
 */
import { removeInvisible } from '../invisible-chars.ts';

export type TranslatedKind = 'title' | 'abstract';

const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;
const QUOTES: ReadonlyArray<readonly [string, string]> = [
  ['"', '"'],
  ['“', '”'],
  ['「', '」'],
  ['『', '』'],
  ["'", "'"],
];
/** A letter (Han included), digit, % or closing parenthesis: a space goes between it and a `(`. */
const WORDLIKE_BEFORE = /[\p{L}\p{N}%)\]]/u;
/** A letter or digit after a `)`: a space goes between them. */
const WORDLIKE_AFTER = /[\p{L}\p{N}([]/u;

export function normaliseTranslation(answer: string, kind: TranslatedKind, source = ''): string {
  let text = removeInvisible(answer).text.replace(/\r\n?/g, '\n').replace(/\t/g, ' ').replace(CONTROLS, '');
  text = unwrap(text.trim(), source.trim());
  text = halfWidthParentheses(text);
  text = text.replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  if (kind === 'title') return text.replace(/\s+/g, ' ').trim();
  return text
    .split('\n')
    .map((line) => line.replace(/ {2,}/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function unwrap(text: string, source: string): string {
  const fence = /^```[^\n]*\n([\s\S]*?)\n?```$/.exec(text);
  if (fence) text = (fence[1] ?? '').trim();
  const quotes = (s: string) => QUOTES.find(([open, close]) => s.length >= 2 && s.startsWith(open) && s.endsWith(close) && !s.slice(1, -1).includes(close));
  const q = quotes(text);
  return q && !quotes(source) ? text.slice(q[0].length, -q[1].length).trim() : text;
}

function halfWidthParentheses(text: string): string {
  return text
    .replace(/ *（ */g, (_m, at: number, whole: string) => `${WORDLIKE_BEFORE.test(whole[at - 1] ?? '') ? ' ' : ''}(`)
    .replace(/ *） */g, (m: string, at: number, whole: string) => `)${WORDLIKE_AFTER.test(whole[at + m.length] ?? '') ? ' ' : ''}`)
    .replace(/(?<=\p{Script=Han})\(/gu, ' (')
    .replace(/\)(?=\p{Script=Han})/gu, ') ');
}
