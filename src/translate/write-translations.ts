/**
 * Puts translated fields and their `machine:` marks into an issue file's text, changing nothing
 * else: the editor's comments, spacing, quoting, key order and note stay byte for byte. Each change
 * is a small text edit at the place the YAML parser says the field is (re-serialising the document
 * would re-space comments and move them). Pure: text in, text out; the result is parsed again and
 * must hold exactly the new values, or nothing is returned.
 */
import { isMap, isScalar, parseDocument, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { FRONT_MATTER } from '../content/parse-issue.ts';
import type { IssueFrontMatter } from '../model.ts';
import type { FieldRef } from './translate-issue.ts';

interface Edit {
  at: number;
  end: number;
  text: string;
}

export function writeTranslations(fileText: string, front: IssueFrontMatter, translated: readonly FieldRef[]): string {
  const fm = new RegExp(FRONT_MATTER.source, 'd').exec(fileText);
  const span = fm?.indices?.[1];
  if (!fm || !span) throw new Error('writeTranslations: the file has no front matter (validate it first)');
  const crlf = fm[0].includes('\r\n');
  const yaml = fileText.slice(span[0], span[1]).replace(/\r\n/g, '\n');
  const doc = parseDocument(yaml);
  const edits: Edit[] = [];
  const papers = new Set<number>();
  for (const t of translated) {
    const [group, lang] = t.field.split('.') as ['title' | 'abstract', 'zh'];
    const value = front.papers[t.paper]?.[group][lang];
    if (value === undefined) throw new Error(`writeTranslations: papers.${t.paper}.${t.field} has no text`);
    edits.push(setKey(yaml, mapAt(doc, ['papers', t.paper, group]), lang, JSON.stringify(value)));
    papers.add(t.paper);
  }
  for (const i of papers) {
    // After the abstract: where the reviewer has just read what the marks are about.
    edits.push(setKey(yaml, mapAt(doc, ['papers', i]), 'machine', `[ ${(front.papers[i]?.machine ?? []).join(', ')} ]`, 'abstract'));
  }
  // From the end backwards, so earlier offsets stay valid; at one spot the later edit goes first,
  // which leaves the earlier one (abstract.zh) before it (machine:) in the text.
  let out = yaml;
  edits
    .map((e, seq) => ({ ...e, seq }))
    .sort((a, b) => b.at - a.at || b.seq - a.seq)
    .forEach((e) => (out = out.slice(0, e.at) + e.text + out.slice(e.end)));
  if (crlf) out = out.replace(/\n/g, '\r\n');
  const result = fileText.slice(0, span[0]) + out + fileText.slice(span[1]);
  verify(result, front, translated);
  return result;
}

function mapAt(doc: Document, path: (string | number)[]): YAMLMap {
  const node = doc.getIn(path, true);
  if (!isMap(node)) throw new Error(`writeTranslations: ${path.join('.')} is not a mapping`);
  return node;
}

const keyOf = (p: Pair) => (isScalar(p.key) ? p.key.value : undefined);
const rangeOf = (n: unknown): [number, number, number] => {
  const r = (n as YamlNode | null)?.range;
  if (!r) throw new Error('writeTranslations: a node without a position');
  return r;
};

/** Replace `key`'s value, or add `key: value` after `after` (or the last key) in the map's own style. */
function setKey(yaml: string, map: YAMLMap, key: string, value: string, after?: string): Edit {
  const existing = map.items.find((p) => keyOf(p) === key);
  if (existing) {
    const [start, end] = rangeOf(existing.value);
    return { at: start, end, text: value };
  }
  const anchor = map.items.find((p) => keyOf(p) === after) ?? map.items.at(-1);
  if (!anchor) throw new Error(`writeTranslations: an empty mapping has no place for ${key}`);
  const anchorEnd = rangeOf(anchor.value ?? anchor.key)[1];
  if (map.flow) return { at: anchorEnd, end: anchorEnd, text: `, ${key}: ${value}` };
  // Block map: a new line at the map's key column, after the anchor's last line (its comment too).
  const keyStart = rangeOf(map.items[0]!.key)[0];
  const indent = keyStart - (yaml.lastIndexOf('\n', keyStart - 1) + 1);
  const at = yaml[anchorEnd - 1] === '\n' ? anchorEnd - 1 : lineEnd(yaml, anchorEnd);
  return { at, end: at, text: `\n${' '.repeat(indent)}${key}: ${value}` };
}

function lineEnd(text: string, from: number): number {
  const i = text.indexOf('\n', from);
  return i < 0 ? text.length : i;
}

/**
 * The edited file must parse to the new values; anything else is a bug, and nothing is written. (Its
 * YAML, not the whole issue: a ready issue with new machine text is rightly refused by `check`.)
 */
function verify(text: string, front: IssueFrontMatter, translated: readonly FieldRef[]): void {
  const yaml = FRONT_MATTER.exec(text)?.[1];
  const doc = yaml === undefined ? undefined : parseDocument(yaml);
  if (!doc || doc.errors.length > 0) throw new Error(`writeTranslations: the edited file does not parse: ${doc?.errors[0]?.message ?? 'no front matter'}`);
  const parsed = doc.toJS() as { papers?: { title?: { zh?: unknown }; abstract?: { zh?: unknown }; machine?: unknown }[] };
  for (const t of translated) {
    const [group, lang] = t.field.split('.') as ['title' | 'abstract', 'zh'];
    const want = front.papers[t.paper];
    const got = parsed.papers?.[t.paper];
    if (!want || got?.[group]?.[lang] !== want[group][lang] || JSON.stringify(got?.machine) !== JSON.stringify(want.machine)) {
      throw new Error(`writeTranslations: the edited file does not hold the new papers.${t.paper}.${t.field}`);
    }
  }
}
