/**
 * Links found inside a digest abstract. Pure. The abstract text itself is never changed: links are
 * copied out of it into `links`, named by what introduces them (代码 / code → `code`, …).
 */

/** `https://…`, or a bare `github.com/…` / `www.…` that a digest writer typed without a scheme. */
const URL_IN_TEXT = /(?:https?:\/\/|(?<![\w./-])(?:www\.|github\.com\/))[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+/g;

/** Words that introduce a link, checked in the clause before the URL; the nearest one wins. */
const INTRODUCERS: ReadonlyArray<{ name: string; words: RegExp }> = [
  { name: 'code', words: /代码|源码|源代码|\bcode\b|\brepo(?:sitory)?\b/gi },
  { name: 'project', words: /项目主页|项目页面|项目网站|主页|\bproject\b|\bhomepage\b|\bwebsite\b/gi },
  { name: 'data', words: /数据集|\bdataset\b|\bdata\b/gi },
  { name: 'demo', words: /演示|\bdemo\b/gi },
  { name: 'model', words: /模型权重|\bweights\b|\bcheckpoints?\b/gi },
];

/** New-style arXiv ids (2404.08634, optional version) in abs/pdf URLs. */
const ARXIV_URL = /^https?:\/\/(?:www\.)?arxiv\.org\/(abs|pdf)\/(\d{4}\.\d{4,5})(v\d+)?(?:\.pdf)?\/?$/i;

export interface FoundLinks {
  /** Link name → absolute URL, in order of first appearance. */
  links: Record<string, string>;
  /** `arxiv:2404.08634` when the text links an arXiv abstract or PDF. */
  arxivId?: string;
}

/** Trailing punctuation belongs to the sentence, not the URL, unless it closes a bracket the URL opened. */
function trimUrl(raw: string): string {
  let url = raw;
  for (;;) {
    const last = url.at(-1);
    if (last === undefined) return url;
    if (".,;:!?'*".includes(last)) url = url.slice(0, -1);
    else if (last === ')' && count(url, '(') < count(url, ')')) url = url.slice(0, -1);
    else if (last === ']' && count(url, '[') < count(url, ']')) url = url.slice(0, -1);
    else return url;
  }
}

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

/** The name a URL gets from its host (github.com is code) or from the words just before it. */
function nameFor(url: string, before: string): string {
  const arxiv = ARXIV_URL.exec(url);
  if (arxiv) return arxiv[1] === 'pdf' ? 'pdf' : 'paper';
  const host = new URL(url).hostname.toLowerCase();
  if (host === 'github.com' || host === 'www.github.com' || host === 'gitlab.com') return 'code';
  // Only the current sentence counts: "…见主页。代码：URL" is a code link.
  const clause = before.split(/[。！？；;!?\n]/).at(-1) ?? '';
  let best: { name: string; at: number } | undefined;
  for (const { name, words } of INTRODUCERS) {
    for (const m of clause.matchAll(words)) {
      if (!best || m.index > best.at) best = { name, at: m.index };
    }
  }
  return best?.name ?? 'link';
}

export function findLinks(text: string): FoundLinks {
  const links: Record<string, string> = {};
  const seen = new Set<string>();
  let arxivId: string | undefined;
  let previousEnd = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    // The words that introduce this URL are those after the previous one.
    const before = text.slice(previousEnd, m.index);
    previousEnd = m.index + m[0].length;
    const written = trimUrl(m[0]);
    const url = /^https?:\/\//i.test(written) ? written : `https://${written}`;
    try {
      if (!new URL(url).hostname.includes('.')) continue;
    } catch {
      continue; // not a URL after all; the text stays as written either way
    }
    if (seen.has(url)) continue;
    seen.add(url);
    const arxiv = ARXIV_URL.exec(url);
    if (arxiv && arxivId === undefined) arxivId = `arxiv:${arxiv[2]}`;
    const base = nameFor(url, before);
    let name = base;
    for (let n = 2; name in links; n++) name = `${base}${n}`;
    links[name] = url;
  }
  return arxivId === undefined ? { links } : { links, arxivId };
}
