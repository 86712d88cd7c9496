/**
 * The Tag vocabulary: `issues/tags.yml`, one entry per tag, its slug (what issue files write and
 * what `/tags/<slug>/` is named by) mapped to its Chinese and English names:
 *
 *   segmentation: { zh: 分割, en: Segmentation }
 *   3d-vision: { zh: 三维视觉, en: 3D vision, match: [NeRF, Gaussian splatting] }
 *
 * `match:` (optional) lists further Hugging Face keywords and arXiv categories `sudi fetch`
 * suggests the tag for, beside its slug and names (sources/suggest-tags.ts).
 *
 * With the file present, every tag an issue uses must be in it (`sudi check` refuses any other and
 * suggests the nearest by edit distance). Without the file, any tag is allowed, as before the
 * vocabulary existed: an archive that never opted in keeps building, and its tags are named by
 * themselves. Parsing is pure; `loadTagVocabulary` is the I/O edge.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import { isMap, isScalar, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { SudiError } from '../errors.ts';
import { findXmlIllegal } from '../xml-chars.ts';

export const TAGS_FILE = 'tags.yml';

/** A vocabulary slug: lower-case letters and digits in words joined by single hyphens. */
export const TAG_SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface TagNames {
  zh: string;
  en: string;
}

export interface TagEntry extends TagNames {
  /** Further keywords and arXiv categories the tag is suggested for (its `match:`; empty without one). */
  match: readonly string[];
}

export interface TagVocabulary {
  /** Where it was read from, for messages. */
  file: string;
  /** slug → names and match list, in the file's order. */
  tags: ReadonlyMap<string, TagEntry>;
}

export interface TagProblem {
  line: number;
  path: string;
  message: string;
}

/** tags.yml text → the vocabulary, or every problem with its line. */
export function parseTagVocabulary(file: string, text: string): { vocabulary: TagVocabulary } | { problems: TagProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: TagProblem[] = doc.errors.map((e) => ({
    line: lineCounter.linePos(e.pos[0]).line,
    path: '',
    message: `YAML syntax: ${e.message.split('\n')[0]} (expected valid YAML)`,
  }));
  if (problems.length > 0) return { problems };
  const tags = new Map<string, TagEntry>();
  const root = doc.contents;
  if (root === null) return { vocabulary: { file, tags } };
  if (!isMap(root)) return { problems: [{ line: 1, path: '', message: 'is not a mapping (expected lines like `segmentation: { zh: 分割, en: Segmentation }`)' }] };
  for (const pair of root.items) {
    const keyNode = pair.key;
    const line = lineCounter.linePos(isScalar(keyNode) && keyNode.range ? keyNode.range[0] : 0).line;
    const slug = isScalar(keyNode) ? String(keyNode.value) : '';
    if (!TAG_SLUG.test(slug)) {
      problems.push({ line, path: slug, message: `is not a tag slug (expected lower-case letters, digits and single hyphens, e.g. image-segmentation)` });
      continue;
    }
    const value: unknown = isMap(pair.value) ? pair.value.toJSON() : undefined;
    const names = value as Partial<Record<string, unknown>> | undefined;
    const bad = (k: string) => typeof names?.[k] !== 'string' || (names[k]).trim() === '' || findXmlIllegal(names[k]) !== null;
    const extra = names ? Object.keys(names).filter((k) => k !== 'zh' && k !== 'en' && k !== 'match') : [];
    if (!names || bad('zh') || bad('en') || extra.length > 0) {
      problems.push({
        line,
        path: slug,
        message:
          extra.length > 0
            ? `has unknown field(s) ${extra.join(', ')} (expected zh, en and optionally match, e.g. { zh: 分割, en: Segmentation, match: [cs.CV] })`
            : 'needs a Chinese and an English name (expected { zh: 分割, en: Segmentation }, both non-empty text)',
      });
      continue;
    }
    const match = matchList(names.match);
    if (match === null) {
      const node = (pair.value as YAMLMap).get('match', true) as { range?: [number, number, number] } | undefined;
      problems.push({
        line: node?.range ? lineCounter.linePos(node.range[0]).line : line,
        path: `${slug}.match`,
        message: 'is not a list of keywords (expected e.g. match: [cs.CV, panoptic segmentation]: each a text with a letter or digit)',
      });
      continue;
    }
    tags.set(slug, { zh: (names.zh as string).trim(), en: (names.en as string).trim(), match });
  }
  return problems.length > 0 ? { problems } : { vocabulary: { file, tags } };
}

/** A `match:` value → its entries (trimmed, each once), [] when absent, null when it is not a list of texts. */
function matchList(v: unknown): string[] | null {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return null;
  const out: string[] = [];
  for (const item of v) {
    // A number (match: [2024]) is refused rather than guessed at: keywords and categories are text.
    if (typeof item !== 'string' || !/[\p{L}\p{N}]/u.test(item) || findXmlIllegal(item) !== null) return null;
    if (!out.includes(item.trim())) out.push(item.trim());
  }
  return out;
}

/**
 * `<dir>/tags.yml`, or null when there is none (any tag allowed). A file that cannot be read as a
 * vocabulary stops the caller, naming the file and lines: exit 2, like an invalid issue.
 */
export async function loadTagVocabulary(dir: string): Promise<TagVocabulary | null> {
  const file = path.join(dir, TAGS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const r = parseTagVocabulary(file, text);
  if ('vocabulary' in r) return r.vocabulary;
  throw new SudiError('E_ISSUE_INVALID', `${r.problems.length} problem(s) in ${file}`, {
    problems: r.problems.map((p) => `${file}:${p.line}: ${p.path ? `${p.path}: ` : ''}${p.message}`),
  });
}

/** The vocabulary's tag closest to `tag` by edit distance (case ignored), if any is close enough to be a slip. */
export function nearestTag(vocabulary: TagVocabulary, tag: string): string | null {
  const wanted = tag.trim().toLowerCase();
  let best: { slug: string; d: number } | null = null;
  for (const slug of vocabulary.tags.keys()) {
    const d = distance(wanted, slug);
    if (!best || d < best.d) best = { slug, d };
  }
  // Further than half the word away is not a typo but another word.
  return best && best.d <= Math.max(2, Math.ceil(wanted.length / 2)) ? best.slug : null;
}

/** The problem with `tag` under `vocabulary`, or null when it is known. */
export function unknownTagMessage(vocabulary: TagVocabulary, tag: string): string | null {
  if (vocabulary.tags.has(tag)) return null;
  const near = nearestTag(vocabulary, tag);
  return `${JSON.stringify(tag)} is not in the tag vocabulary (expected a tag from ${vocabulary.file}${near ? `; did you mean "${near}"?` : ', or add it there'})`;
}

/**
 * The tag's URL and folder name. A vocabulary tag is its own slug; a free tag (no vocabulary) is
 * lower-cased with every run of characters other than letters and digits turned into one hyphen,
 * so `LLM` and `llm` share one page and nothing in a tag can leave its folder.
 */
export function tagSlug(tag: string): string {
  const slug = tag
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'tag' : slug;
}

/** The names a tag is shown by: the vocabulary's, or the tag itself in both languages. */
export function tagNames(vocabulary: TagVocabulary | null, tag: string): TagNames {
  const entry = vocabulary?.tags.get(tag);
  return entry ? { zh: entry.zh, en: entry.en } : { zh: tag, en: tag };
}
