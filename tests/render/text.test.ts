/** Plain-text and link helpers: readable text, URLs on their own lines, only http(s) links. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, linkedHtml, noteHtml } from '../../src/render/html-text.ts';
import { splitLinks } from '../../src/render/links.ts';
import { displayWidth, noteText, paragraphsText, tidyText, underline } from '../../src/render/text.ts';

describe('links', () => {
  it('only http(s) URLs with a scheme are links', () => {
    const pieces = splitLinks('a https://x.org/p b http://y.org c javascript:alert(1) mailto:a@b.org ftp://f.org //g.org www.h.org');
    expect(pieces.filter((p) => 'url' in p)).toEqual([{ url: 'https://x.org/p' }, { url: 'http://y.org' }]);
  });

  it('a URL ends at CJK punctuation', () => {
    expect(splitLinks('获取：https://animate-your-word.github.io/demo/。下一句')).toEqual([
      { text: '获取：' },
      { url: 'https://animate-your-word.github.io/demo/' },
      { text: '。下一句' },
    ]);
  });

  it('linkedHtml escapes everything and links only http(s)', () => {
    expect(linkedHtml('<b>x</b> {{y}} https://x.org/?a=1&b=2 javascript:alert(1)')).toBe(
      '&lt;b&gt;x&lt;/b&gt; &#123;&#123;y&#125;&#125; <a href="https://x.org/?a&#61;1&amp;b&#61;2">https://x.org/?a&#61;1&amp;b&#61;2</a> javascript:alert(1)',
    );
    expect(escapeHtml(`&<>"'\`={}`)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;&#61;&#123;&#125;');
  });

  it('the note: raw HTML is text, unsafe links stay literal, braces are encoded', () => {
    const html = noteHtml('<script>x</script> [a](javascript:alert(1)) [b](https://ok.org) ![i](data:image/png;base64,AA) {{z}}');
    expect(html).toBe(
      '<p>&lt;script&gt;x&lt;/script&gt; [a](javascript:alert(1)) <a href="https://ok.org">b</a> ![i](data:image/png;base64,AA) &#123;&#123;z&#125;&#125;</p>',
    );
    expect(noteHtml('  \n ')).toBe('');
  });
});

describe('plain text', () => {
  it('keeps a Chinese paragraph on one line and puts URLs on their own', () => {
    const zh = '我们研究了一种简单方法来开发一个小型基础语言模型，然后在这个较小的模型上使用一个非常小的子集进行训练。我们的代码可在 https://github.com/a/b 上获得。';
    expect(paragraphsText(zh)).toBe(
      '我们研究了一种简单方法来开发一个小型基础语言模型，然后在这个较小的模型上使用一个非常小的子集进行训练。我们的代码可在\nhttps://github.com/a/b\n上获得。',
    );
    expect(paragraphsText('第一段。\n第二段。')).toBe('第一段。\n\n第二段。');
  });

  it('turns the note into text: headings underlined to their width, lists, numbered link references', () => {
    const text = noteText('# 本周导读\n\nRead [our post](https://x.org/post) and https://y.org/raw now.\n\n- one\n- two [ref](https://z.org)\n\n> quoted [bad](javascript:alert(1))');
    expect(text).toBe(
      [
        '本周导读',
        '========',
        '',
        'Read our post [1] and',
        'https://y.org/raw',
        'now.',
        '',
        '[1] https://x.org/post',
        '',
        '- one',
        '- two ref [2]',
        '',
        '[2] https://z.org',
        '',
        '> quoted [bad](javascript:alert(1))',
      ].join('\n'),
    );
  });

  it('keeps tables and code blocks readable', () => {
    expect(noteText('| a | b |\n|---|---|\n| 1 | [x](https://x.org) |\n\n```\n  code  here\n```')).toBe(
      'a | b\n1 | x [1]\n\n[1] https://x.org\n\n      code  here',
    );
  });

  it('measures display width for underlines (CJK and full-width count double)', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('速递')).toBe(4);
    expect(displayWidth('ＡＢ')).toBe(4);
    expect(underline('每周AI论文速递')).toBe('='.repeat(14));
  });

  it('tidies blank lines and trailing spaces but keeps the signature separator', () => {
    expect(tidyText('a  \n\n\n\nb\n-- \nc\n\n')).toBe('a\n\nb\n-- \nc\n');
  });
});
