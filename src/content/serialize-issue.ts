/**
 * Issue front matter → issue file text. Pure and deterministic: the same data always gives the same
 * bytes (the importer relies on it to make re-imports byte-identical).
 *
 * Style choices, and why:
 * - Text (titles, abstracts, URLs, tags) is double-quoted: safe for any content (`: `, `#`, `{{`,
 *   leading `-`…), and CJK stays readable because yaml escapes only non-printable characters.
 * - lineWidth 0: no folding, so a long abstract stays one line and means exactly what was written.
 * - Dates, publish_at, status, ids and machine marks are plain scalars, as a person would type them.
 */
import { Document, isMap, isPair, isScalar, isSeq, Scalar, visit } from 'yaml';
import type { IssueStatus, MachineField } from '../model.ts';

export interface IssueData {
  title: string;
  week: { start: string; end: string };
  publish_at: string;
  status: IssueStatus;
  papers: Array<{
    id?: string;
    title: { en: string; zh?: string };
    abstract: { zh?: string; en?: string };
    /** Machine Text not yet reviewed; written as `machine: [ title.zh, abstract.zh ]`, left out when empty. */
    machine?: readonly MachineField[];
    links?: Record<string, string>;
    tags?: string[];
    authors?: string[];
    categories?: string[];
    published?: string;
    updated?: string;
    doi?: string;
    journal_ref?: string;
    comment?: string;
    popularity?: { upvotes: number; github_stars?: number; read_at: string };
  }>;
}

const PLAIN_KEYS = new Set(['start', 'end', 'publish_at', 'status', 'id', 'machine', 'published', 'updated', 'upvotes', 'github_stars', 'read_at']);
/** Short lists written on one line: `categories: [ "cs.CV", "cs.LG" ]`, `machine: [ title.zh ]`. */
const FLOW_KEYS = new Set(['week', 'categories', 'popularity', 'machine']);

export function serializeIssue(data: IssueData, options: { comment?: string; note?: string } = {}): string {
  // Fixed key order, and empty links/tags left out (both default to empty).
  const papers = data.papers.map((p) => ({
    ...(p.id === undefined ? {} : { id: p.id }),
    title: { en: p.title.en, ...(p.title.zh === undefined ? {} : { zh: p.title.zh }) },
    abstract: { ...(p.abstract.zh === undefined ? {} : { zh: p.abstract.zh }), ...(p.abstract.en === undefined ? {} : { en: p.abstract.en }) },
    ...(p.machine && p.machine.length > 0 ? { machine: [...p.machine] } : {}),
    ...(p.authors && p.authors.length > 0 ? { authors: [...p.authors] } : {}),
    ...(p.categories && p.categories.length > 0 ? { categories: [...p.categories] } : {}),
    ...pick(p, ['published', 'updated', 'doi', 'journal_ref', 'comment']),
    ...(p.links && Object.keys(p.links).length > 0 ? { links: { ...p.links } } : {}),
    ...(p.popularity ? { popularity: { upvotes: p.popularity.upvotes, ...pick(p.popularity, ['github_stars']), read_at: p.popularity.read_at } } : {}),
    ...(p.tags && p.tags.length > 0 ? { tags: [...p.tags] } : {}),
  }));
  const doc = new Document({
    title: data.title,
    week: { start: data.week.start, end: data.week.end },
    publish_at: data.publish_at,
    status: data.status,
    papers,
  });
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && FLOW_KEYS.has(String(pair.key.value)) && (isMap(pair.value) || isSeq(pair.value))) pair.value.flow = true;
    },
    Scalar(key, node, path) {
      if (key === 'key') return; // map keys stay plain
      // A list's items belong to the pair that holds the list (`machine: [ title.zh ]`).
      const parent = isSeq(path.at(-1)) ? path.at(-2) : path.at(-1);
      const owner = isPair(parent) && isScalar(parent.key) ? String(parent.key.value) : '';
      node.type = PLAIN_KEYS.has(owner) ? Scalar.PLAIN : Scalar.QUOTE_DOUBLE;
    },
  });
  if (isMap(doc.contents)) {
    const first = doc.contents.items[0];
    if (first && options.comment) (first.key as Scalar).commentBefore = ` ${options.comment}`;
  }
  const yaml = doc.toString({ lineWidth: 0, minContentWidth: 0, indentSeq: true, flowCollectionPadding: true });
  const note = options.note?.trim();
  return `---\n${yaml}---\n${note ? `${note}\n` : ''}`;
}

/** The keys of `o` that are set, in the order given (undefined ones left out). */
function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
