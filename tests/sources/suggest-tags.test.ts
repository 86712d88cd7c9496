/**
 * suggestTags: a paper's Hugging Face keywords and arXiv categories → vocabulary tags and the
 * keywords no tag matched. Table tests on a small vocabulary, then the repository's own
 * issues/tags.yml on the seed week's recorded keywords and categories.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTagVocabulary, parseTagVocabulary, type TagVocabulary } from '../../src/content/tags.ts';
import { parseArxivFeed } from '../../src/sources/arxiv.ts';
import { matchKey, suggestTags, type TagInputs } from '../../src/sources/suggest-tags.ts';

function vocabulary(text: string): TagVocabulary {
  const r = parseTagVocabulary('tags.yml', text);
  if (!('vocabulary' in r)) throw new Error(JSON.stringify(r.problems));
  return r.vocabulary;
}

const V = vocabulary(`llm: { zh: 大语言模型, en: Large language models, match: [cs.CL, LLMs] }
pre-training: { zh: 预训练, en: Pre-training }
long-context: { zh: 长上下文, en: Long context }
segmentation: { zh: 分割, en: Segmentation, match: [panoptic segmentation, cs.CV] }
dataset: { zh: 数据集, en: Datasets, match: [benchmark] }
efficiency: { zh: 高效模型, en: Efficient models, match: [small LM] }
small-models: { zh: 小模型, en: Small models, match: [small LM] }
3d-vision: { zh: 三维视觉, en: 3D vision, match: [NeRF] }
`);

describe('matchKey', () => {
  it('ignores case, spacing, punctuation and width', () => {
    for (const s of ['Long Context', 'long-context', 'longcontext', ' LONG_CONTEXT ', 'Ｌｏｎｇ　Ｃｏｎｔｅｘｔ']) expect(matchKey(s)).toBe('longcontext');
    expect(matchKey('cs.CV')).toBe('cscv');
    expect(matchKey('长上下文')).toBe('长上下文');
    expect(matchKey('—')).toBe('');
  });
});

describe('suggestTags with a vocabulary', () => {
  const cases: [string, TagInputs, { tags: string[]; unmatched: string[] }][] = [
    ['nothing to go on', { keywords: [], categories: [] }, { tags: [], unmatched: [] }],
    ['the slug, whatever the spelling', { keywords: ['Long Context', 'pretraining'], categories: [] }, { tags: ['long-context', 'pre-training'], unmatched: [] }],
    ['the English name', { keywords: ['Large Language Models', 'Efficient models'], categories: [] }, { tags: ['llm', 'efficiency'], unmatched: [] }],
    ['the Chinese name', { keywords: ['分割'], categories: [] }, { tags: ['segmentation'], unmatched: [] }],
    ['a match: keyword', { keywords: ['Panoptic-Segmentation', 'NeRF'], categories: [] }, { tags: ['segmentation', '3d-vision'], unmatched: [] }],
    ['a match: category', { keywords: [], categories: ['cs.CL', 'cs.LG'] }, { tags: ['llm'], unmatched: [] }],
    [
      'keywords first, then categories; each tag once',
      { keywords: ['benchmark', 'LLMs'], categories: ['cs.CL', 'cs.CV'] },
      { tags: ['dataset', 'llm', 'segmentation'], unmatched: [] },
    ],
    ['one keyword in two tags\' match: both', { keywords: ['small LM'], categories: [] }, { tags: ['efficiency', 'small-models'], unmatched: [] }],
    [
      'unmatched keywords are returned once each, as spelled; unmatched categories are not',
      { keywords: ['Megalodon', 'long context', 'CEMA', 'megalodon', ' ', '—'], categories: ['cs.LG', 'stat.ML'] },
      { tags: ['long-context'], unmatched: ['Megalodon', 'CEMA'] },
    ],
    ['whole keywords only, never a part', { keywords: ['context', 'long context window', 'segmentation masks'], categories: [] }, { tags: [], unmatched: ['context', 'long context window', 'segmentation masks'] }],
    [
      'at most five tags',
      { keywords: ['llm', 'pre-training', 'long-context', 'segmentation', 'dataset', 'NeRF'], categories: [] },
      { tags: ['llm', 'pre-training', 'long-context', 'segmentation', 'dataset'], unmatched: [] },
    ],
  ];
  for (const [name, inputs, expected] of cases) it(name, () => expect(suggestTags(inputs, V)).toEqual(expected));

  it('an empty vocabulary suggests nothing and reports every keyword', () => {
    expect(suggestTags({ keywords: ['LLM', 'NeRF'], categories: ['cs.CL'] }, vocabulary(''))).toEqual({ tags: [], unmatched: ['LLM', 'NeRF'] });
  });
});

describe('suggestTags without a vocabulary', () => {
  it('the keywords themselves (trimmed, each once whatever the case, first five); categories are not tags', () => {
    expect(suggestTags({ keywords: [' Megalodon ', 'CEMA', 'cema', '', 'long context', 'pretraining', 'A', 'B'], categories: ['cs.LG'] }, null)).toEqual({
      tags: ['Megalodon', 'CEMA', 'long context', 'pretraining', 'A'],
      unmatched: [],
    });
    expect(suggestTags({ keywords: [], categories: ['cs.CL'] }, null)).toEqual({ tags: [], unmatched: [] });
  });
});

describe("the repository's issues/tags.yml", () => {
  it("suggests a sensible tag for each paper of the seed week's recorded keywords and categories", async () => {
    const root = path.join(import.meta.dirname, '..', '..');
    const repo = await loadTagVocabulary(path.join(root, 'issues'));
    expect(repo).not.toBeNull();
    const hf = JSON.parse(await readFile(path.join(root, 'tests', 'fixtures', 'sources', 'hf', 'daily_papers-week-2024-W16.json'), 'utf8')) as { paper: { id: string; ai_keywords: string[] } }[];
    const atom = await readFile(path.join(root, 'tests', 'fixtures', 'sources', 'arxiv', 'ids-hf-week-2024-W16.xml'), 'utf8');
    // Categories per id from the recorded answer (the parser itself is tested in arxiv.test.ts).
    const categories = new Map(parseArxivFeed(atom, 'fixture').entries.map((e) => [e.id, e.categories]));
    const got = Object.fromEntries(hf.map(({ paper: p }) => [p.id, suggestTags({ keywords: p.ai_keywords, categories: categories.get(p.id) ?? [] }, repo).tags]));
    expect(got).toEqual({
      '2404.08634': ['llm', 'efficiency'], // Inheritune: small LM
      '2404.08639': ['segmentation', 'dataset'], // COCONut
      '2404.08197': ['multimodal', 'architecture'], // CLIP, ViT
      '2404.08801': ['long-context', 'pre-training', 'llm'], // Megalodon
      '2404.09656': ['alignment', 'llm'], // TR-DPO: DPO, RLHF
      '2404.09173': ['long-context', 'llm'], // TransformerFAM
      '2404.09833': ['3d-vision'], // Video2Game: NeRF
      '2404.07143': ['long-context'], // Infini-attention (not in the arXiv answer of the cut week)
      '2404.10667': ['generation'], // VASA-1: diffusion
      '2404.11614': ['generation'], // Dynamic Typography: video diffusion
      '2404.12253': ['reasoning', 'llm'], // AlphaLLM: MCTS
    });
  });
});
