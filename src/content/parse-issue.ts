/**
 * Issue file text → Issue. Pure: no I/O, so every rule is testable on strings. Every problem is
 * reported (not only the first), each as `FILE:LINE: field.path: what is wrong (expected …)`.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { readyPlaceholders } from './placeholders.ts';
import { readiness } from './readiness.ts';
import { SudiError } from '../errors.ts';
import { describeCodePoint } from '../invisible-chars.ts';
import { IssueFrontMatterSchema, type Issue } from '../model.ts';
import { stripInvisible, stripInvisibleLines } from './strip-invisible.ts';
import { glossaryMismatches, type Glossary } from './glossary-check.ts';
import { unknownTagMessage, type TagVocabulary } from './tags.ts';

export interface Problem {
  line: number;
  path: string;
  message: string;
}

export const ISSUE_FILE_NAME = /^(\d{4}-\d{2}-\d{2})\.md$/;

/** The front matter block between its `---` lines; group 1 is its YAML. */
export const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

export function formatProblem(file: string, p: Problem): string {
  return `${file}:${p.line}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export function formatWarning(file: string, p: Problem): string {
  return `${file}:${p.line}: warning: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/**
 * `warnings`: what was repaired rather than refused (invisible characters removed from text), each
 * with its line; the Issue holds the repaired text.
 */
export type ValidationResult = { issue: Issue; warnings: Problem[] } | { problems: Problem[]; warnings?: Problem[] };

/**
 * Parse and validate; returns the problems instead of throwing (for `check`, which reports all files).
 * `glossary`: also warn where a Glossary term is in a paper's English but its Chinese is not used.
 * `tags`: the Tag vocabulary; a tag outside it is refused (none: any tag is allowed).
 */
export function validateIssue(fileName: string, text: string, options: { glossary?: Glossary; tags?: TagVocabulary | null } = {}): ValidationResult {
  const baseName = fileName.split(/[\\/]/).pop() ?? fileName;
  const problems: Problem[] = [];
  const nameMatch = ISSUE_FILE_NAME.exec(baseName);
  if (!nameMatch) {
    problems.push({ line: 1, path: '', message: `file name "${baseName}" is not a week start (expected YYYY-MM-DD.md, e.g. 2024-04-15.md)` });
  }

  const fm = FRONT_MATTER.exec(text);
  if (!fm) {
    problems.push({ line: 1, path: '', message: 'no YAML front matter (expected the file to start with a line "---", the fields, then "---")' });
    return { problems };
  }
  const yamlText = fm[1] ?? '';
  const lineOffset = 1; // the opening `---` line
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  for (const err of doc.errors) {
    const pos = lineCounter.linePos(err.pos[0]);
    const problem = { line: pos.line + lineOffset, path: '', message: `YAML syntax: ${err.message.split('\n')[0]} (expected valid YAML front matter)` };
    // The yaml parser can report one mistake twice at the same spot; say it once.
    if (!problems.some((p) => p.line === problem.line && p.message === problem.message)) problems.push(problem);
  }
  if (doc.errors.length > 0) return { problems };

  const raw: unknown = doc.toJS();
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ line: 1 + lineOffset, path: '', message: 'front matter is not a mapping (expected title:, week:, publish_at:, status:, papers:)' });
    return { problems };
  }
  const warnings: Problem[] = [];
  const data = stripInvisible(raw, (p, removed) =>
    warnings.push({ line: lineOf(doc, lineCounter, p) + lineOffset, path: p.map(String).join('.'), message: removedMessage(removed) }),
  );

  const result = IssueFrontMatterSchema.safeParse(data);
  if (!result.success) {
    for (const zi of result.error.issues) {
      if (zi.code === 'unrecognized_keys') {
        // One problem per unknown key, on the key's own line, naming the fields that are allowed there.
        const allowed = fieldsAt(zi.path);
        for (const key of zi.keys) {
          problems.push({
            line: lineOf(doc, lineCounter, [...zi.path, key]) + lineOffset,
            path: [...zi.path, key].map(String).join('.'),
            message: `is not a known field (expected only ${allowed.join(', ')}; check the spelling)`,
          });
        }
        continue;
      }
      problems.push({
        line: lineOf(doc, lineCounter, zi.path) + lineOffset,
        path: zi.path.map(String).join('.'),
        message: describe(zi, valueAt(data, zi.path)),
      });
    }
  }
  // Checked on the raw value so a misnamed file is reported together with every other problem.
  const start = valueAt(data, ['week', 'start']);
  if (nameMatch && typeof start === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(start) && start !== nameMatch[1]) {
    problems.push({
      line: lineOf(doc, lineCounter, ['week', 'start']) + lineOffset,
      path: 'week.start',
      message: `is ${start} but the file is named ${baseName} (expected ${nameMatch[1]}, or rename the file to ${start}.md)`,
    });
  }
  const noteFirstLine = (fm[0].match(/\n/g) ?? []).length + 1;
  const body = stripInvisibleLines(text.slice(fm[0].length).replace(/\r\n/g, '\n'), (i, removed) =>
    warnings.push({ line: noteFirstLine + i, path: 'note', message: removedMessage(removed) }),
  ).trim();
  // The note's first non-blank line, where a placeholder note is reported.
  const noteLine = noteFirstLine + (/^\s*/.exec(text.slice(fm[0].length))![0].split('\n').length - 1);
  for (const p of readyPlaceholders(data as Record<string, unknown>, body)) {
    problems.push({ line: p.path ? lineOf(doc, lineCounter, p.path) + lineOffset : noteLine, path: p.path?.join('.') ?? 'note', message: p.message });
  }
  const at = (item: { path: (string | number)[]; message: string }): Problem => ({ line: lineOf(doc, lineCounter, item.path) + lineOffset, path: item.path.join('.'), message: item.message });
  const ready = readiness(data as Record<string, unknown>);
  problems.push(...ready.problems.map(at));
  warnings.push(...ready.todo.map(at));
  if (options.glossary) warnings.push(...glossaryMismatches(data, options.glossary).map(at));
  if (options.tags) problems.push(...unknownTags(data, options.tags).map((p) => ({ ...p, line: lineOf(doc, lineCounter, p.at) + lineOffset })));
  warnings.sort((a, b) => a.line - b.line);
  if (problems.length > 0 || !result.success || !nameMatch) {
    problems.sort((a, b) => a.line - b.line);
    return { problems, warnings };
  }
  return { issue: { ...result.data, id: nameMatch[1] as string, note: body, source: fileName }, warnings };
}

function removedMessage(removed: number[]): string {
  const names = [...new Set(removed)].map(describeCodePoint).join(', ');
  return `removed ${names}: invisible characters that reorder or hide text (kept the text without them; expected plain text)`;
}

/** Parse and validate, throwing one SudiError (code E_ISSUE_INVALID) that lists every problem. */
export function parseIssue(fileName: string, text: string): Issue {
  const r = validateIssue(fileName, text);
  if ('issue' in r) return r.issue;
  throw new SudiError('E_ISSUE_INVALID', `${fileName}: ${r.problems.length} problem(s)`, {
    problems: r.problems.map((p) => formatProblem(fileName, p)),
  });
}

/** Every tag not in the vocabulary, with where it is (read from the raw value: reported alongside any other problem). */
function unknownTags(data: unknown, vocabulary: TagVocabulary): { at: (string | number)[]; path: string; message: string }[] {
  const papers = valueAt(data, ['papers']);
  if (!Array.isArray(papers)) return [];
  return papers.flatMap((_p: unknown, i) => {
    const tags = valueAt(data, ['papers', i, 'tags']);
    if (!Array.isArray(tags)) return [];
    return tags.flatMap((t: unknown, j) => {
      const message = typeof t === 'string' ? unknownTagMessage(vocabulary, t) : null;
      return message ? [{ at: ['papers', i, 'tags', j], path: `papers.${i}.tags.${j}`, message }] : [];
    });
  });
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function describe(zi: z.core.$ZodIssue, value: unknown): string {
  if (zi.code === 'invalid_key') {
    // A record key failed its own schema (e.g. a link name): the useful text is in the nested issue.
    const inner = zi.issues[0]?.message ?? 'is not a valid name';
    return `key ${JSON.stringify(zi.path.at(-1))} ${inner}`;
  }
  if (zi.code === 'invalid_type') {
    const expected = zi.message.replace(/^Invalid input: /, '');
    return value === undefined ? `is missing (${expected})` : `is ${JSON.stringify(value)} (${expected})`;
  }
  return zi.message.startsWith('expected') ? `is invalid (${zi.message})` : zi.message;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  innerType?: unknown;
}

/** The field names the schema allows at `path` (for "unknown field" messages), read from the schema itself. */
function fieldsAt(path: readonly PropertyKey[]): string[] {
  let schema: unknown = IssueFrontMatterSchema;
  const def = (s: unknown) => (s as { _zod: { def: SchemaDef } })._zod.def;
  const unwrap = (s: unknown) => {
    while (def(s).innerType !== undefined) s = def(s).innerType;
    return s;
  };
  for (const key of path) {
    const d = def(unwrap(schema));
    if (d.type === 'object' && typeof key === 'string' && d.shape) schema = d.shape[key];
    else if (d.type === 'array' && typeof key === 'number') schema = d.element;
    else return [];
  }
  const d = def(unwrap(schema));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

/** The 1-based line of the deepest node along `path` that exists in the document. */
function lineOf(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): number {
  let node: unknown = doc.contents;
  let best = (doc.contents)?.range?.[0] ?? 0;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      const keyNode = pair.key as YamlNode | null;
      if (keyNode?.range) best = keyNode.range[0];
      node = pair.value;
      const valueNode = node as YamlNode | null;
      if (valueNode?.range && !isMap(valueNode) && !isSeq(valueNode)) best = valueNode.range[0];
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as YamlNode | undefined;
      if (!item) break;
      if (item.range) best = item.range[0];
      node = item;
    } else break;
  }
  return lc.linePos(best).line;
}
