/**
 * Puts translated fields and their `machine:` marks into an issue file's text, changing nothing
 * else: the editor's comments, quoting, key order and note stay as they were (the YAML document is
 * edited in place, not re-serialised from data). Pure: text in, text out.
 */
import { Document, isMap, isSeq, parseDocument, Scalar } from 'yaml';
import { FRONT_MATTER } from '../content/parse-issue.ts';
import type { IssueFrontMatter } from '../model.ts';
import type { FieldRef } from './translate-issue.ts';

export function writeTranslations(fileText: string, front: IssueFrontMatter, translated: readonly FieldRef[]): string {
  const fm = new RegExp(FRONT_MATTER.source, 'd').exec(fileText);
  const span = fm?.indices?.[1];
  if (!fm || !span) throw new Error('writeTranslations: the file has no front matter (validate it first)');
  const crlf = fm[0].includes('\r\n');
  const doc = parseDocument(fileText.slice(span[0], span[1]).replace(/\r\n/g, '\n'));
  const papers = new Set<number>();
  for (const t of translated) {
    const [group, lang] = t.field.split('.') as ['title' | 'abstract', 'zh'];
    const value = front.papers[t.paper]?.[group][lang];
    if (value === undefined) throw new Error(`writeTranslations: papers.${t.paper}.${t.field} has no text`);
    doc.setIn(['papers', t.paper, group, lang], quoted(value));
    papers.add(t.paper);
  }
  for (const i of papers) setMachine(doc, i, front.papers[i]?.machine ?? []);
  let yaml = doc.toString({ lineWidth: 0, minContentWidth: 0, indentSeq: true, flowCollectionPadding: true }).replace(/\n$/, '');
  if (crlf) yaml = yaml.replace(/\n/g, '\r\n');
  return fileText.slice(0, span[0]) + yaml + fileText.slice(span[1]);
}

/** Double-quoted, as serialize-issue.ts writes text: safe for any content, CJK left readable. */
function quoted(text: string): Scalar {
  const s = new Scalar(text);
  s.type = Scalar.QUOTE_DOUBLE;
  return s;
}

/** `machine: [title.zh, abstract.zh]` right after the paper's abstract (where the reviewer looks). */
function setMachine(doc: Document, paper: number, fields: readonly string[]): void {
  const node = doc.getIn(['papers', paper]);
  if (!isMap(node)) throw new Error(`writeTranslations: papers.${paper} is not a mapping`);
  const seq = doc.createNode([...fields]);
  if (isSeq(seq)) seq.flow = true;
  const map = node;
  const existing = map.items.findIndex((p) => (p.key as Scalar | null)?.value === 'machine');
  if (existing >= 0) {
    map.items[existing]!.value = seq;
    return;
  }
  const after = map.items.findIndex((p) => (p.key as Scalar | null)?.value === 'abstract');
  map.items.splice(after >= 0 ? after + 1 : map.items.length, 0, doc.createPair('machine', seq));
}
