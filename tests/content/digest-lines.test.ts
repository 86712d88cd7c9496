import { describe, expect, it } from 'vitest';
import { classifyLine, isEnglishTitle, isLinkLine, looksLikeAbstract } from '../../src/content/digest-lines.ts';

describe('digest line rules', () => {
  it('an English title is one line of mostly Latin letters without CJK or URLs', () => {
    expect(isEnglishTitle('Scaling (Down) CLIP: A Comprehensive Analysis of Data, Architecture, and Training Strategies')).toBe(true);
    expect(isEnglishTitle('α-Geometry: Solving Olympiad Problems')).toBe(true);
    // Mixed titles with more Latin than Han letters are still Chinese titles.
    expect(isEnglishTitle('TransformerFAM: 反馈注意力即工作记忆')).toBe(false);
    expect(isEnglishTitle('COCONut：modern')).toBe(false); // full-width colon
    expect(isEnglishTitle('o(*////▽////*)q')).toBe(false);
    expect(isEnglishTitle('(☆ω☆)')).toBe(false);
    expect(isEnglishTitle('Code: https://github.com/a/b')).toBe(false);
    expect(isEnglishTitle('')).toBe(false);
  });

  it('chrome markers match whole lines only', () => {
    for (const l of ['暂无评论', '发送评论 编辑评论', '上一篇', '下一篇', '上一篇：每周AI论文速递(240408-240412)', '3 条评论', 'Leave a Reply', 'Source: github.com/k4yt3x/flowerhd']) {
      expect(classifyLine(l), l).toBe('chrome');
    }
    for (const l of ['Next-Token Prediction Is All You Need', '三个评论模型', 'Comments on Scaling Laws', 'Source: Free Domain Adaptation', '']) {
      expect(classifyLine(l), l).not.toBe('chrome');
    }
  });

  it('tells link-only lines and abstract-like lines apart', () => {
    expect(isLinkLine('代码：https://github.com/a/b')).toBe(true);
    expect(isLinkLine('https://github.com/a/b')).toBe(true);
    expect(isLinkLine('我们的代码可在 https://github.com/a/b 上获得。')).toBe(false);
    expect(looksLikeAbstract('我们研究了一种简单方法。')).toBe(true);
    expect(looksLikeAbstract('动态排版:让文字动起来')).toBe(false);
  });
});
