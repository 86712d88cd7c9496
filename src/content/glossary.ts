/**
 * The Glossary: the house style's fixed term translations, kept by the editor in
 * `issues/glossary.yml` (English term → Chinese term, or `keep` to leave the term in English).
 * Without that file, the digest's own glossary applies. It goes into every translation prompt, and
 * `check` warns where a paper's Chinese does not use it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { SudiError } from '../errors.ts';

export interface GlossaryEntry {
  en: string;
  /** The Chinese term; the English term itself when the glossary says `keep`. */
  zh: string;
  keep: boolean;
}

export interface Glossary {
  /** Where it came from, for messages: the file, or "the default glossary". */
  source: string;
  entries: readonly GlossaryEntry[];
}

export const GLOSSARY_FILE = 'glossary.yml';

/** The digest's own glossary (its generator's house style), used when `issues/glossary.yml` is absent. */
export const DEFAULT_GLOSSARY: Glossary = {
  source: 'the default glossary',
  entries: [
    { en: 'Transformer', zh: 'Transformer', keep: true },
    { en: 'Token', zh: 'Token', keep: true },
    { en: 'LLM', zh: '大语言模型', keep: false },
    { en: 'Zero-shot', zh: '零样本', keep: false },
    { en: 'Few-shot', zh: '少样本', keep: false },
    { en: 'AI Agent', zh: 'AI 智能体', keep: false },
    { en: 'AGI', zh: '通用人工智能', keep: false },
  ],
};

const EXPECTED = 'expected one line per term, `English term: 中文术语` or `English term: keep`, e.g. `LLM: 大语言模型`';

/** Glossary file text → Glossary. Pure; a bad file is an error naming its line (nothing is guessed). */
export function parseGlossary(text: string, file: string): Glossary {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const problems: string[] = [];
  for (const err of doc.errors) problems.push(`${file}:${lineCounter.linePos(err.pos[0]).line}: YAML syntax: ${err.message.split('\n')[0]} (${EXPECTED})`);
  if (problems.length === 0 && doc.contents !== null && !isMap(doc.contents)) {
    problems.push(`${file}:1: is not a mapping of terms (${EXPECTED})`);
  }
  const entries: GlossaryEntry[] = [];
  const seen = new Map<string, number>();
  if (problems.length === 0 && isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      const key = isScalar(pair.key) ? pair.key : null;
      const line = lineCounter.linePos(key?.range?.[0] ?? 0).line;
      const en = typeof key?.value === 'string' || typeof key?.value === 'number' ? String(key.value).trim() : '';
      const value = isScalar(pair.value) ? pair.value.value : undefined;
      if (en === '') {
        problems.push(`${file}:${line}: a term is empty or not text (${EXPECTED})`);
        continue;
      }
      if (typeof value !== 'string' && typeof value !== 'number') {
        problems.push(`${file}:${line}: ${en}: has no Chinese term (${EXPECTED})`);
        continue;
      }
      const zh = String(value).trim();
      if (zh === '') {
        problems.push(`${file}:${line}: ${en}: the Chinese term is empty (${EXPECTED})`);
        continue;
      }
      const first = seen.get(en.toLowerCase());
      if (first !== undefined) {
        problems.push(`${file}:${line}: ${en}: is already on line ${first} (terms are matched regardless of case; expected each term once)`);
        continue;
      }
      seen.set(en.toLowerCase(), line);
      const keep = zh.toLowerCase() === 'keep';
      entries.push({ en, zh: keep ? en : zh, keep: keep || zh === en });
    }
  }
  if (problems.length > 0) throw new SudiError('E_CONFIG', `${file}: ${problems.length} problem(s) in the glossary`, { problems });
  return { source: file, entries };
}

/** `DIR/glossary.yml`, or the default glossary when there is no such file. */
export async function loadGlossary(issuesDir: string): Promise<Glossary> {
  const file = path.join(issuesDir, GLOSSARY_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_GLOSSARY;
    throw e;
  }
  return parseGlossary(text, file);
}
