import { describe, expect, it } from 'vitest';
import { normaliseTranslation } from '../../src/translate/normalise.ts';

describe('normaliseTranslation: what a model gets wrong mechanically', () => {
  // The expected forms are the seed digest's own: `语言模型 (LM),从`, `子集 (0.1%) 进行`, `组件:(i) 一个`.
  const abstracts: Array<[string, string, string]> = [
    ['full-width parentheses: space outside, before Chinese punctuation none', '一个小型基础语言模型（LM），从一个现有的大型基础 LM 开始', '一个小型基础语言模型 (LM)，从一个现有的大型基础 LM 开始'],
    ['a percentage in parentheses between Chinese words', '使用一个非常小的子集（0.1%）进行训练', '使用一个非常小的子集 (0.1%) 进行训练'],
    ['after a colon no space, after the parenthesis one', '系统核心包括三大组件：（i）一个', '系统核心包括三大组件：(i) 一个'],
    ['term and its English, as the house style gives them', '直接偏好优化（Direct Preference Optimization, DPO）方法', '直接偏好优化 (Direct Preference Optimization, DPO) 方法'],
    ['spaces inside full-width parentheses dropped', '模型（ LM ）的', '模型 (LM) 的'],
    ['spaces the model put outside kept single', '模型 （LM） 的', '模型 (LM) 的'],
    ['after a Latin name', 'GPT2-medium（355M）和 GPT-2-large（770M）的一些层', 'GPT2-medium (355M) 和 GPT-2-large (770M) 的一些层'],
    ['half-width parentheses touching Chinese get the space', '语言模型(LM)从', '语言模型 (LM) 从'],
    ['half-width parentheses inside Latin text stay as written', '复杂度为 O(n log n)，而 f(x) 不变', '复杂度为 O(n log n)，而 f(x) 不变'],
    ['parentheses at the start and end of the text', '（注）见下文（完）', '(注) 见下文 (完)'],
    ['full-width ASCII letters and digits', '在 ＭＭＬＵ 上提升了 １９%', '在 MMLU 上提升了 19%'],
    ['Chinese punctuation otherwise kept', '我们提出了方法，它有效；结果：好。', '我们提出了方法，它有效；结果：好。'],
    ['invisible characters removed', '反馈\u200b注意力\u202e记忆\ufeff', '反馈注意力记忆'],
    ['control characters removed, tabs become spaces', '第一句\u0007。\t第二句\u0000。', '第一句。 第二句。'],
    ['whitespace around trimmed, runs of spaces collapsed', '  \n 我们研究了   一种方法。 \n', '我们研究了 一种方法。'],
    ['paragraphs kept, at most one blank line between them', '第一段。\r\n\r\n\r\n\r\n第二段。  \n  第三行。', '第一段。\n\n第二段。\n第三行。'],
    ['a whole answer in a code fence unwrapped', '```text\n我们研究了一种方法。\n```', '我们研究了一种方法。'],
    ['a whole answer in Chinese quotes unwrapped', '“我们研究了一种方法。”', '我们研究了一种方法。'],
    ['quotes inside the text kept', '我们称之为“继承”，并且“有效”', '我们称之为“继承”，并且“有效”'],
  ];
  it.each(abstracts)('abstract: %s', (_rule, answer, expected) => {
    expect(normaliseTranslation(answer, 'abstract')).toBe(expected);
  });

  const titles: Array<[string, string, string, string]> = [
    ['a title on one line', 'Megalodon：支持无限上下文长度的\n高效大语言模型预训练', 'Megalodon: Efficient LLM Pretraining', 'Megalodon：支持无限上下文长度的 高效大语言模型预训练'],
    ['a title in quotes the English did not have', '"缩小 (Down) CLIP：综合分析"', 'Scaling (Down) CLIP: A Comprehensive Analysis', '缩小 (Down) CLIP：综合分析'],
    ['quotes the English had are kept', '“意识”', '"Consciousness"', '“意识”'],
    ['full-width parentheses in a title', '缩小（Down）CLIP', 'Scaling (Down) CLIP', '缩小 (Down) CLIP'],
  ];
  it.each(titles)('title: %s', (_rule, answer, english, expected) => {
    expect(normaliseTranslation(answer, 'title', english)).toBe(expected);
  });

  it('an answer of only invisible characters and quotes becomes empty (the caller counts it as a failure)', () => {
    expect(normaliseTranslation(' “\u200b” ', 'title')).toBe('');
  });
});
