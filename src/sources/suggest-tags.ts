/**
 * Suggested tags: the Tags `sudi fetch` and the draft schedule write on a fetched Paper. Pure.
 *
 * With a Tag vocabulary only its tags are suggested (`check` refuses any other): each of the paper's
 * Hugging Face keywords and arXiv categories is compared with every tag's slug, Chinese and English
 * names and `match:` entries, case, spacing and punctuation aside (`Long Context`, `long-context`
 * and `longcontext` are one key). Whole keys only, never parts: `attention` does not match
 * `Feedback Attention Memory`, so a suggestion is never a surprise; the editor widens a tag with
 * `match:` instead. A keyword that matches no tag is returned as unmatched, for the editor to add
 * to the vocabulary; a category that matches none is not, since every paper has several and most
 * name a field, not a topic.
 *
 * Without a vocabulary any tag is allowed, so the keywords themselves are the suggestion, as before
 * the vocabulary existed.
 */
import type { TagVocabulary } from '../content/tags.ts';

/** At most this many suggested tags per paper: a starting point for the editor, not an index. */
export const SUGGESTED_TAGS = 5;

export interface TagInputs {
  /** Hugging Face's `ai_keywords`, in its order. */
  keywords: readonly string[];
  /** arXiv categories, primary first. */
  categories: readonly string[];
}

export interface TagSuggestion {
  /** Vocabulary slugs (or, without a vocabulary, the keywords), at most SUGGESTED_TAGS. */
  tags: string[];
  /** Keywords no vocabulary tag matched, each once, as the source spelled them. */
  unmatched: string[];
}

/** What two spellings of one keyword have in common: letters and digits, lower-cased (NFKC). */
export function matchKey(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

export function suggestTags(paper: TagInputs, vocabulary: TagVocabulary | null): TagSuggestion {
  if (!vocabulary) {
    const raw = new Map<string, string>();
    for (const k of paper.keywords) {
      const t = k.trim();
      if (t && !raw.has(t.toLowerCase())) raw.set(t.toLowerCase(), t);
    }
    return { tags: [...raw.values()].slice(0, SUGGESTED_TAGS), unmatched: [] };
  }
  const index = matchIndex(vocabulary);
  const tags = new Set<string>();
  const unmatched = new Map<string, string>();
  const add = (text: string, isKeyword: boolean) => {
    const key = matchKey(text);
    if (key === '') return;
    const slugs = index.get(key);
    if (slugs) for (const s of slugs) tags.add(s);
    else if (isKeyword && !unmatched.has(key)) unmatched.set(key, text.trim());
  };
  // Keywords first: they name the paper's topic; categories only its field.
  for (const k of paper.keywords) add(k, true);
  for (const c of paper.categories) add(c, false);
  return { tags: [...tags].slice(0, SUGGESTED_TAGS), unmatched: [...unmatched.values()] };
}

/**
 * Key → the slugs it matches, in vocabulary order. One key may match several tags (a `match:` entry
 * the editor gave two tags): each is suggested. Built per call: a vocabulary is tens of tags.
 */
function matchIndex(vocabulary: TagVocabulary): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const [slug, t] of vocabulary.tags) {
    for (const text of [slug, t.zh, t.en, ...t.match]) {
      const key = matchKey(text);
      if (key === '') continue;
      const slugs = index.get(key) ?? [];
      if (!slugs.includes(slug)) slugs.push(slug);
      index.set(key, slugs);
    }
  }
  return index;
}
