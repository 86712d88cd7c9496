/**
 * Finding links in issue text. Only absolute http(s) URLs ever become links; `javascript:`,
 * `mailto:`, `ftp:`, protocol-relative `//host` and schemeless `example.com` stay plain text.
 *
 * linkify-it (markdown-it's linkifier) counts CJK punctuation as part of a URL, so
 * `获取：https://x.io/demo/。` would link `…/demo/。`; we end a URL at the first CJK or full-width
 * punctuation mark, which no real URL in this digest contains unencoded.
 */
import MarkdownIt from 'markdown-it';

type LinkifyIt = MarkdownIt['linkify'];
type Match = NonNullable<ReturnType<LinkifyIt['match']>>[number];

const CJK_PUNCT = /[\u3000-\u303F\uFF00-\uFFEF\u2018-\u201F\u2026]/;
export const HTTP_URL = /^https?:\/\/[^\s]+$/i;

/** Restricts a linkify-it instance to http(s) URLs with a scheme, ending at CJK punctuation. */
export function restrictToHttp(linkify: LinkifyIt): LinkifyIt {
  linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  for (const schema of ['mailto:', 'ftp:', '//']) linkify.add(schema, null);
  const match = linkify.match.bind(linkify);
  const matchAtStart = linkify.matchAtStart.bind(linkify);
  linkify.match = (text: string) => {
    const found = (match(text) ?? []).map(trimCjkTail).filter(isHttp);
    return found.length > 0 ? found : null;
  };
  linkify.matchAtStart = (text: string) => {
    const m = matchAtStart(text);
    if (!m) return null;
    const t = trimCjkTail(m);
    return isHttp(t) ? t : null;
  };
  return linkify;
}

function isHttp(m: Match): boolean {
  return /^https?:$/i.test(m.schema) && HTTP_URL.test(m.url);
}

function trimCjkTail(m: Match): Match {
  const k = m.raw.search(CJK_PUNCT);
  if (k <= 0) return m;
  const raw = m.raw.slice(0, k);
  return Object.assign(Object.create(Object.getPrototypeOf(m) as object) as Match, m, {
    raw,
    text: raw,
    url: raw,
    lastIndex: m.index + k,
  });
}

const linkifier = restrictToHttp(new MarkdownIt().linkify);

export type Piece = { text: string } | { url: string };

/** Splits text into plain runs and http(s) URLs, in order. */
export function splitLinks(text: string): Piece[] {
  const matches = linkifier.test(text) ? (linkifier.match(text) ?? []) : [];
  const out: Piece[] = [];
  let at = 0;
  for (const m of matches) {
    if (m.index > at) out.push({ text: text.slice(at, m.index) });
    out.push({ url: m.url });
    at = m.lastIndex;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}
