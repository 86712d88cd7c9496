/**
 * The arXiv API (https://info.arxiv.org/help/api/): query URLs and its Atom answers. Pure: text in,
 * entries out; the requests go through polite-http.ts.
 *
 * The XML is read with saxes: a strict, namespace-aware XML 1.0 parser (jsdom's) that never fetches
 * anything and never expands entities declared in a DTD. Sudi refuses any DOCTYPE outright, so an
 * answer cannot smuggle in entity expansion (billion laughs) or external entities; an undeclared
 * entity is a well-formedness error. Elements are matched by namespace URI, never by prefix.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { SudiError } from '../errors.ts';

const ATOM = 'http://www.w3.org/2005/Atom';
const ARXIV = 'http://arxiv.org/schemas/atom';
const OPENSEARCH = 'http://a9.com/-/spec/opensearch/1.1/';

export interface ArxivEntry {
  /** Without version: `2404.08634`. */
  id: string;
  /** The version this entry describes (the latest, for a bare id). */
  version: number | null;
  title: string;
  abstract: string;
  authors: string[];
  /** Primary first. */
  categories: string[];
  /** First version's date and the latest version's date (YYYY-MM-DD, UTC). */
  published: string;
  updated: string;
  doi?: string;
  journalRef?: string;
  comment?: string;
}

export interface ArxivFeed {
  totalResults: number | null;
  entries: ArxivEntry[];
  /** Error entries: the id the API names (when it names one) and its message. */
  errors: { id: string | null; message: string }[];
}

/** `arxiv:2404.08634v2`, `2404.08634`, `https://arxiv.org/abs/2404.08634` → base id and version; null: not an arXiv id. */
export function parseArxivRef(ref: string): { id: string; version: number | null } | null {
  const m = /^(?:arxiv:|https?:\/\/(?:export\.)?arxiv\.org\/(?:abs|pdf)\/)?(\d{4}\.\d{4,5})(?:v(\d+))?(?:\.pdf)?$/i.exec(ref.trim());
  return m ? { id: m[1]!, version: m[2] ? Number(m[2]) : null } : null;
}

/** One request for many ids: max_results = their count (the API's default would cut at 10). */
export function idListUrl(base: string, ids: readonly string[]): string {
  const u = new URL(base);
  u.searchParams.set('id_list', ids.join(','));
  u.searchParams.set('start', '0');
  u.searchParams.set('max_results', String(ids.length));
  return u.href;
}

/**
 * A title search: `ti:"…"` as a phrase. Punctuation is dropped from the phrase (the API's query
 * parser reads `:`, `(` and quotes as syntax); the exact comparison happens on the answers.
 */
export function titleSearchUrl(base: string, title: string, maxResults = 10): string {
  const phrase = title.replace(/[^\p{L}\p{N}\s-]/gu, ' ').replace(/\s+/g, ' ').trim();
  const u = new URL(base);
  u.searchParams.set('search_query', `ti:"${phrase}"`);
  u.searchParams.set('start', '0');
  u.searchParams.set('max_results', String(maxResults));
  return u.href;
}

/** Titles and abstracts as one line: arXiv hard-wraps both and indents the continuation lines. */
export function normalizeSpace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** The same title, whatever the case, spacing, punctuation, or a TeX brace: the exact-title rule of --enrich. */
export function titleKey(title: string): string {
  return title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

interface El {
  uri: string;
  local: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

/** Atom text → feed. Throws E_SOURCE (naming `source`) for anything that is not a well-formed Atom feed. */
export function parseArxivFeed(xml: string, source: string): ArxivFeed {
  const root = parseXml(xml, source);
  if (root.uri !== ATOM || root.local !== 'feed') {
    throw new SudiError('E_SOURCE', `${source}: not an Atom feed (root element {${root.uri}}${root.local}, expected {${ATOM}}feed)`);
  }
  const total = child(root, OPENSEARCH, 'totalResults');
  const feed: ArxivFeed = { totalResults: total ? Number(total.text.trim()) : null, entries: [], errors: [] };
  for (const e of root.children.filter((c) => c.uri === ATOM && c.local === 'entry')) {
    const idText = textOf(e, ATOM, 'id');
    if (/\/api\/errors/.test(idText)) {
      const message = normalizeSpace(textOf(e, ATOM, 'summary')) || normalizeSpace(textOf(e, ATOM, 'title')) || 'error';
      feed.errors.push({ id: /\bfor (\S+)$/.exec(message)?.[1] ?? /errors#\w+?_for_(\S+)$/.exec(idText)?.[1] ?? null, message });
      continue;
    }
    const m = /arxiv\.org\/abs\/(\d{4}\.\d{4,5})(?:v(\d+))?$/.exec(idText.trim());
    if (!m) continue; // old-style ids (hep-th/9901001) are not ids an issue can hold
    const primary = child(e, ARXIV, 'primary_category')?.attrs.term;
    const cats = e.children.filter((c) => c.uri === ATOM && c.local === 'category').map((c) => c.attrs.term ?? '').filter(Boolean);
    const categories = [...new Set([...(primary ? [primary] : []), ...cats])];
    const optional = (local: string) => normalizeSpace(textOf(e, ARXIV, local)) || undefined;
    feed.entries.push({
      id: m[1]!,
      version: m[2] ? Number(m[2]) : null,
      title: normalizeSpace(textOf(e, ATOM, 'title')),
      abstract: normalizeSpace(textOf(e, ATOM, 'summary')),
      authors: e.children
        .filter((c) => c.uri === ATOM && c.local === 'author')
        .map((a) => normalizeSpace(textOf(a, ATOM, 'name')))
        .filter(Boolean),
      categories,
      published: textOf(e, ATOM, 'published').trim().slice(0, 10),
      updated: textOf(e, ATOM, 'updated').trim().slice(0, 10),
      doi: optional('doi'),
      journalRef: optional('journal_ref'),
      comment: optional('comment'),
    });
  }
  return feed;
}

function child(el: El, uri: string, local: string): El | undefined {
  return el.children.find((c) => c.uri === uri && c.local === local);
}

function textOf(el: El, uri: string, local: string): string {
  return child(el, uri, local)?.text ?? '';
}

function parseXml(xml: string, source: string): El {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: El[] = [];
  let root: El | null = null;
  const fail = (why: string): never => {
    throw new SudiError('E_SOURCE', `${source}:${parser.line}:${parser.column}: ${why} (expected an Atom feed from the arXiv API)`);
  };
  parser.on('doctype', () => fail('has a DOCTYPE; refused (entity declarations are never read)'));
  parser.on('error', (e) => fail(`not well-formed XML: ${e.message.replace(/^.*?:\d+:\d+: /, '')}`));
  parser.on('opentag', (tag: SaxesTagNS) => {
    const attrs: Record<string, string> = {};
    // Unprefixed attributes only (term, href, rel): those are the ones Atom and arXiv use.
    for (const a of Object.values(tag.attributes)) if (a.uri === '') attrs[a.local] = a.value;
    const el: El = { uri: tag.uri, local: tag.local, attrs, children: [], text: '' };
    stack.at(-1)?.children.push(el);
    root ??= el;
    stack.push(el);
  });
  parser.on('text', (t) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  });
  parser.on('cdata', (t) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  });
  parser.on('closetag', () => void stack.pop());
  parser.write(xml).close();
  return root ?? fail('is empty');
}
