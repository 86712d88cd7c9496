import { describe, expect, it } from 'vitest';
import { parseIssue } from '../../src/content/parse-issue.ts';
import { issueSkeleton } from '../../src/content/new-issue.ts';
import { serializeIssue } from '../../src/content/serialize-issue.ts';
import type { IssueFrontMatter } from '../../src/model.ts';
import { writeTranslations } from '../../src/translate/write-translations.ts';

describe('writeTranslations: translated fields into the file, nothing else changed', () => {
  it('in the `sudi new` skeleton: comments, layout and the note stay; machine: goes after the abstract', () => {
    const skeleton = issueSkeleton('2024-04-22', 'Asia/Shanghai').replace('TODO English title', 'Real English title');
    const issue = parseIssue('2024-04-22.md', skeleton);
    const front: IssueFrontMatter = {
      ...issue,
      papers: [{ ...issue.papers[0]!, title: { en: 'Real English title', zh: '真正的中文标题' }, machine: ['title.zh'] }],
    };
    const out = writeTranslations(skeleton, front, [{ paper: 0, field: 'title.zh', name: 'paper 1' }]);
    expect(out).toBe(
      skeleton
        .replace('zh: "TODO 中文标题"', 'zh: "真正的中文标题"')
        .replace('      zh: "TODO 中文摘要"\n', '      zh: "TODO 中文摘要"\n    machine: [ title.zh ]\n'),
    );
    expect(parseIssue('2024-04-22.md', out).papers[0]!.machine).toEqual(['title.zh']);
  });

  it('keeps CRLF line ends and a BOM, quotes any text safely, adds a missing key in a flow map', () => {
    const text =
      '\uFEFF---\r\ntitle: t\r\nweek: { start: 2024-04-15, end: 2024-04-19 }\r\npublish_at: 2024-04-20T09:00:00+08:00\r\nstatus: draft\r\npapers:\r\n  - title: { en: "A: B" }\r\n    abstract: { en: "x" }\r\n---\r\nnote\r\n';
    const issue = parseIssue('2024-04-15.md', text);
    const zh = '标题: "引号" #不是注释 {{x}}';
    const front: IssueFrontMatter = { ...issue, papers: [{ ...issue.papers[0]!, title: { en: 'A: B', zh }, abstract: { en: 'x', zh: '摘要' }, machine: ['title.zh', 'abstract.zh'] }] };
    const out = writeTranslations(text, front, [
      { paper: 0, field: 'title.zh', name: 'paper 1' },
      { paper: 0, field: 'abstract.zh', name: 'paper 1' },
    ]);
    expect(out.startsWith('\uFEFF---\r\n')).toBe(true);
    expect(out.endsWith('---\r\nnote\r\n')).toBe(true);
    expect(out.replace(/\r\n/g, '')).not.toContain('\n');
    const back = parseIssue('2024-04-15.md', out).papers[0]!;
    expect(back).toMatchObject({ title: { en: 'A: B', zh }, abstract: { en: 'x', zh: '摘要' }, machine: ['title.zh', 'abstract.zh'] });
  });
});

describe('serializeIssue writes machine marks and papers without a Chinese title', () => {
  it('round-trips', () => {
    const text = serializeIssue({
      title: 't',
      week: { start: '2024-04-15', end: '2024-04-19' },
      publish_at: '2024-04-20T09:00:00+08:00',
      status: 'draft',
      papers: [
        { title: { en: 'English only' }, abstract: { en: 'Abstract.' } },
        { title: { en: 'Both', zh: '两者' }, abstract: { en: 'Abstract.', zh: '摘要。' }, machine: ['title.zh', 'abstract.zh'] },
      ],
    });
    expect(text).toContain('    machine: [ title.zh, abstract.zh ]\n');
    expect(text).toContain('  - title:\n      en: "English only"\n    abstract:\n');
    const issue = parseIssue('2024-04-15.md', text);
    expect(issue.papers[0]!.title.zh).toBeUndefined();
    expect(issue.papers[0]!.machine).toBeUndefined();
    expect(issue.papers[1]!.machine).toEqual(['title.zh', 'abstract.zh']);
  });
});
