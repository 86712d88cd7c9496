/**
 * Where a paper's Chinese does not use the Glossary: a term in the English title (or abstract)
 * whose Chinese term is not in the Chinese title (or abstract). Pure, over the parsed front matter
 * (read defensively); `check` shows each as a warning, since only a person can say whether the
 * sentence really needed another word.
 *
 * English terms match as whole words, case-insensitively, with a plural s and with a hyphen or a
 * space between their words (`Few-shot` matches "few shot"); a kept term must appear in the Chinese
 * the same way, a translated one as written.
 */
import type { Glossary, GlossaryEntry } from './glossary.ts';

export type { Glossary } from './glossary.ts';

export interface GlossaryMismatch {
  path: (string | number)[];
  message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The English term as a whole word: case, plural, and hyphen/space between its words do not matter. */
export function termPattern(term: string): RegExp {
  const words = term.trim().split(/[\s-]+/).map(escapeRegExp);
  return new RegExp(`(?<![\\p{L}\\p{N}])${words.join('[\\s-]+')}(?:e?s)?(?![\\p{L}\\p{N}])`, 'iu');
}

/** Whether the Chinese text uses the entry's Chinese term (a kept term: the English term itself). */
export function usesTerm(zh: string, entry: GlossaryEntry): boolean {
  return entry.keep ? termPattern(entry.en).test(zh) : zh.toLowerCase().includes(entry.zh.toLowerCase());
}

export function glossaryMismatches(frontMatter: unknown, glossary: Glossary): GlossaryMismatch[] {
  if (!isRecord(frontMatter) || !Array.isArray(frontMatter.papers)) return [];
  const out: GlossaryMismatch[] = [];
  const patterns = glossary.entries.map((entry) => ({ entry, pattern: termPattern(entry.en) }));
  frontMatter.papers.forEach((paper: unknown, i) => {
    if (!isRecord(paper)) return;
    for (const field of ['title', 'abstract'] as const) {
      const group = paper[field];
      if (!isRecord(group) || typeof group.en !== 'string' || typeof group.zh !== 'string') continue;
      for (const { entry, pattern } of patterns) {
        const found = pattern.exec(group.en);
        if (!found || usesTerm(group.zh, entry)) continue;
        const rule = entry.keep ? `${entry.en} → keep (the English term)` : `${entry.en} → ${entry.zh}`;
        out.push({
          path: ['papers', i, field, 'zh'],
          message: `the English ${field} has "${found[0]}" but this text does not use "${entry.zh}" (glossary: ${rule}, from ${glossary.source}; expected the glossary's term, or change the glossary)`,
        });
      }
    }
  });
  return out;
}
