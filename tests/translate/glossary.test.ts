import { describe, expect, it } from 'vitest';
import { DEFAULT_GLOSSARY, parseGlossary } from '../../src/content/glossary.ts';
import { glossaryMismatches, termPattern } from '../../src/content/glossary-check.ts';
import { systemPrompt } from '../../src/translate/prompt.ts';

describe('the glossary file', () => {
  it('reads English term → Chinese term, or keep', () => {
    const g = parseGlossary('# house terms\nLLM: 大语言模型\nTransformer: keep\nToken: Token\n"Zero-shot": 零样本\n', 'issues/glossary.yml');
    expect(g).toEqual({
      source: 'issues/glossary.yml',
      entries: [
        { en: 'LLM', zh: '大语言模型', keep: false },
        { en: 'Transformer', zh: 'Transformer', keep: true },
        { en: 'Token', zh: 'Token', keep: true },
        { en: 'Zero-shot', zh: '零样本', keep: false },
      ],
    });
    expect(parseGlossary('', 'g.yml').entries).toEqual([]);
  });

  it.each([
    ['not a mapping', '- LLM\n- Token\n', 'g.yml:1: is not a mapping of terms'],
    ['a term without its Chinese', 'LLM: 大语言模型\nAGI:\n', 'g.yml:2: AGI: has no Chinese term'],
    ['an empty Chinese term', 'LLM: "  "\n', 'g.yml:1: LLM: the Chinese term is empty'],
    ['a list as the Chinese term', 'LLM: [大语言模型, 大模型]\n', 'g.yml:1: LLM: has no Chinese term'],
    ['the same term twice', 'LLM: 大语言模型\nLLM: 大模型\n', 'g.yml:2: YAML syntax: Map keys must be unique'],
    ['the same term in another case', 'LLM: 大语言模型\nllm: 大模型\n', 'g.yml:2: llm: is already on line 1'],
    ['broken YAML', 'LLM: "大语言模型\n', 'YAML syntax: Missing closing "quote'],
  ])('refuses %s, naming the line', (_what, text, says) => {
    let problems: readonly string[] = [];
    try {
      parseGlossary(text, 'g.yml');
    } catch (e) {
      problems = (e as { problems: readonly string[] }).problems;
    }
    expect(problems.join('\n')).toContain(says);
    expect(problems.join('\n')).toContain('expected');
  });

  it('the default is the digest generator\'s glossary, and the system prompt lists it', () => {
    expect(DEFAULT_GLOSSARY.entries.map((e) => `${e.en}→${e.zh}`)).toEqual([
      'Transformer→Transformer',
      'Token→Token',
      'LLM→大语言模型',
      'Zero-shot→零样本',
      'Few-shot→少样本',
      'AI Agent→AI 智能体',
      'AGI→通用人工智能',
    ]);
    const prompt = systemPrompt(DEFAULT_GLOSSARY);
    expect(prompt).toContain('  - Transformer → Transformer (keep it in English)\n');
    expect(prompt).toContain('  - AGI → 通用人工智能\n');
  });
});

describe('glossary terms in the English and the Chinese', () => {
  it.each([
    ['LLM', 'Efficient LLMs for all', true],
    ['Few-shot', 'strong few shot learners', true],
    ['Few-shot', 'few-shots', true],
    ['Token', 'tokenizer-free models', false],
    ['Transformer', 'TransformerFAM: Feedback attention', false],
    ['AI Agent', 'building AI agents', true],
    ['AGI', 'magic', false],
  ])('%s in %j: %s', (term, text, found) => {
    expect(termPattern(term).test(text)).toBe(found);
  });

  const paper = (en: string, zh: string) => ({ papers: [{ title: { en, zh }, abstract: { en, zh } }] });
  it('names each field whose Chinese misses the glossary term, and only those', () => {
    const g = DEFAULT_GLOSSARY;
    expect(glossaryMismatches(paper('Zero-shot LLM agents', '零样本大语言模型智能体'), g)).toEqual([]);
    expect(glossaryMismatches(paper('A Transformer with 1B tokens', '一个使用 1B token 的 Transformer'), g)).toEqual([]);
    const found = glossaryMismatches(paper('Zero-shot LLM agents', '零样本 LLM 智能体'), g);
    expect(found.map((m) => m.path.join('.'))).toEqual(['papers.0.title.zh', 'papers.0.abstract.zh']);
    expect(found[0]!.message).toBe(
      'the English title has "LLM" but this text does not use "大语言模型" (glossary: LLM → 大语言模型, from the default glossary; expected the glossary\'s term, or change the glossary)',
    );
    expect(glossaryMismatches(paper('A Transformer', '一个变换器'), g)[0]!.message).toContain('glossary: Transformer → keep (the English term)');
    // Only where both languages are there.
    expect(glossaryMismatches({ papers: [{ title: { en: 'LLM' }, abstract: { zh: '无' } }] }, g)).toEqual([]);
  });
});
