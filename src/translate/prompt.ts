/**
 * The translation prompt: the house style and the Glossary as the system message, the English
 * text as the user message. Pure, so a test can read exactly what a model is told. The English is
 * sent as data after a fixed instruction; the answer is expected to be the translation alone.
 */
import type { Glossary } from '../content/glossary.ts';
import type { TranslatedKind } from './normalise.ts';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export function glossaryLines(glossary: Glossary): string[] {
  return glossary.entries.map((e) => (e.keep ? `- ${e.en} → ${e.en} (keep it in English)` : `- ${e.en} → ${e.zh}`));
}

export function systemPrompt(glossary: Glossary): string {
  const terms = glossaryLines(glossary);
  return [
    'You translate the titles and abstracts of AI research papers from English into Simplified Chinese for a weekly digest of papers (每周AI论文速递).',
    'House style:',
    '- Translate faithfully and fluently: nothing added, nothing left out, no summary.',
    '- Keep every number, unit, version, model name, dataset and benchmark name, code identifier and URL exactly as written.',
    "- Keep people's names and company and organisation names in English, untranslated.",
    '- Give a technical term as 中文 (English) the first time it appears, e.g. 直接偏好优化 (Direct Preference Optimization, DPO); after that, the Chinese or the abbreviation alone.',
    '- Use half-width parentheses with a space outside them, as in: 语言模型 (LM)，',
    ...(terms.length > 0 ? ['- Translate these terms exactly so (glossary):', ...terms.map((t) => `  ${t}`)] : []),
    'Answer with the Chinese translation only: no quotation marks around it, no notes, no explanation.',
  ].join('\n');
}

export function translationMessages(kind: TranslatedKind, english: string, glossary: Glossary): ChatMessage[] {
  const what = kind === 'title' ? 'the title of a paper (answer on one line)' : "a paper's abstract (keep its paragraphs)";
  return [
    { role: 'system', content: systemPrompt(glossary) },
    { role: 'user', content: `Translate ${what} into Simplified Chinese:\n\n${english}` },
  ];
}
