import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';

/** A valid issue; each broken fixture below changes one thing in it. */
const VALID = `---
title: 每周AI论文速递 (240415-240419)
week: { start: 2024-04-15, end: 2024-04-19 }
publish_at: 2024-04-20T09:00:00+08:00
status: ready
papers:
  - id: arxiv:2404.08634
    title:
      en: "Pre-training Small Base LMs with Fewer Tokens"
      zh: "使用更少的 Token 对小型基础 LMs 进行预训练"
    abstract:
      zh: "我们研究了一种简单方法。"
    links:
      code: "https://github.com/sanyalsunny111/LLM-Inheritune"
  - id: arxiv:2404.08639
    title:
      en: "COCONut: Modernizing COCO Segmentation"
      zh: "COCONut:现代化 COCO 分割"
    abstract:
      zh: "在近几十年中。"
---
An editor's note.
`;

/** 1-based line of the first line containing `needle` (the line a message must name). */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`fixture has no line with ${needle}`);
  return i + 1;
}

function lastLineOf(text: string, needle: string): number {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]?.includes(needle)) return i + 1;
  throw new Error(`fixture has no line with ${needle}`);
}

function edit(from: string, to: string, text = VALID): string {
  if (!text.includes(from)) throw new Error(`fixture has no ${from}`);
  return text.replace(from, to);
}

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('sudi-check-')));
afterEach(async () => cleanup());

async function check(files: Record<string, string>, ...args: string[]) {
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return runCliCaptured(['check', '--issues', dir, ...args]);
}

describe('sudi check', () => {
  it('is silent and exits 0 when every file is valid; --verbose lists what it checked', async () => {
    const quiet = await check({ '2024-04-15.md': VALID });
    expect(quiet).toEqual({ code: 0, stdout: '', stderr: '' });
    const verbose = await runCliCaptured(['check', '--issues', dir, '--verbose']);
    expect(verbose.code).toBe(0);
    expect(verbose.stdout).toContain(`ok ${path.join(dir, '2024-04-15.md')}: ready, 2 paper(s)`);
    expect(verbose.stdout).toContain('checked 1 file(s)');
  });

  const ZH_ABSTRACT = '      zh: "我们研究了一种简单方法。"\n';
  const cases: Array<{ rule: string; name?: string; text: string; line: number | ((t: string) => number); field: string; says: RegExp }> = [
    {
      rule: 'at least one paper',
      text: VALID.replace(/papers:[\s\S]*?---\n/, 'papers: []\n---\n'),
      line: (t) => lineOf(t, 'papers: []'),
      field: 'papers',
      says: /is empty \(expected at least one paper\)/,
    },
    {
      rule: 'an English title',
      text: edit('      en: "Pre-training Small Base LMs with Fewer Tokens"\n', ''),
      line: (t) => lineOf(t, '    title:'),
      field: 'papers.0.title.en',
      says: /is missing \(expected the English title as text\)/,
    },
    {
      rule: 'a Chinese title',
      text: edit('"COCONut:现代化 COCO 分割"', '"  "'),
      line: (t) => lineOf(t, 'zh: "  "'),
      field: 'papers.1.title.zh',
      says: /is empty \(expected the Chinese title\)/,
    },
    {
      rule: 'at least one abstract',
      text: edit(`    abstract:\n${ZH_ABSTRACT}`, '    abstract: {}\n'),
      line: (t) => lineOf(t, 'abstract: {}'),
      field: 'papers.0.abstract',
      says: /has neither zh nor en \(expected at least one abstract\)/,
    },
    {
      rule: 'links are absolute http(s) URLs',
      text: edit('"https://github.com/sanyalsunny111/LLM-Inheritune"', '"github.com/sanyalsunny111/LLM-Inheritune"'),
      line: (t) => lineOf(t, 'code: "github.com'),
      field: 'papers.0.links.code',
      says: /is not an absolute http\(s\) URL \(expected e\.g\. https:/,
    },
    {
      rule: 'links are http(s), not ftp',
      text: edit('"https://github.com/sanyalsunny111/LLM-Inheritune"', '"ftp://example.org/x"'),
      line: (t) => lineOf(t, 'ftp://'),
      field: 'papers.0.links.code',
      says: /is not an absolute http\(s\) URL/,
    },
    {
      rule: 'arXiv ids are well-formed',
      text: edit('arxiv:2404.08634', 'arxiv:2404.8634'),
      line: (t) => lineOf(t, 'arxiv:2404.8634'),
      field: 'papers.0.id',
      says: /is not a real arXiv id \(expected arxiv:YYMM\.NNNNN/,
    },
    {
      rule: 'arXiv ids have the arxiv:NNNN.NNNNN shape',
      text: edit('arxiv:2404.08634', 'arxiv:240408634'),
      line: (t) => lineOf(t, 'arxiv:240408634'),
      field: 'papers.0.id',
      says: /is not a well-formed id \(expected arxiv:NNNN\.NNNNN, e\.g\. arxiv:2404\.08634\)/,
    },
    {
      rule: 'arXiv ids are unique',
      text: edit('arxiv:2404.08639', 'arxiv:2404.08634'),
      line: (t) => lastLineOf(t, 'arxiv:2404.08634'),
      field: 'papers.1.id',
      says: /duplicates papers\.0\.id \(expected ids unique within the issue\)/,
    },
    {
      rule: 'week end ≥ start',
      text: edit('end: 2024-04-19', 'end: 2024-04-12'),
      line: (t) => lineOf(t, 'week:'),
      field: 'week.end',
      says: /is before week\.start 2024-04-15 \(expected a date on or after it\)/,
    },
    {
      rule: 'the file name matches the week start',
      name: '2024-04-22.md',
      text: VALID,
      line: (t) => lineOf(t, 'week:'),
      field: 'week.start',
      says: /is 2024-04-15 but the file is named 2024-04-22\.md \(expected 2024-04-22, or rename the file to 2024-04-15\.md\)/,
    },
    {
      rule: 'no control characters XML forbids (raw)',
      text: edit('一种简单方法', '一种\u0007简单方法'),
      line: (t) => lineOf(t, '\u0007'),
      field: 'papers.0.abstract.zh',
      says: /contains a control character XML forbids \(U\+0007/,
    },
    {
      rule: 'no control characters XML forbids (YAML escape)',
      text: edit('"COCONut: Modernizing COCO Segmentation"', '"COCONut:\\x1B Modernizing"'),
      line: (t) => lineOf(t, 'COCONut:\\x1B'),
      field: 'papers.1.title.en',
      says: /contains a control character XML forbids \(U\+001B/,
    },
    {
      rule: 'valid YAML',
      text: edit('      zh: "在近几十年中。"', '      zh: "在近几十年中。'),
      line: (t) => lineOf(t, '"在近几十年中。'),
      field: '',
      says: /YAML syntax: .*\(expected valid YAML front matter\)/,
    },
    {
      rule: 'no unknown fields',
      text: edit('    links:\n', '    summary: "x"\n    links:\n'),
      line: (t) => lineOf(t, 'summary:'),
      field: 'papers.0.summary',
      says: /is not a known field \(expected only id, title, abstract, links, tags, authors, published; check the spelling\)/,
    },
    {
      rule: 'status is draft or ready',
      text: edit('status: ready', 'status: done'),
      line: (t) => lineOf(t, 'status:'),
      field: 'status',
      says: /expected draft or ready/,
    },
    {
      rule: 'publish_at has a time zone',
      text: edit('2024-04-20T09:00:00+08:00', '2024-04-20 09:00'),
      line: (t) => lineOf(t, 'publish_at:'),
      field: 'publish_at',
      says: /is not a date-time with a time zone/,
    },
  ];

  it.each(cases)('reports a broken rule: $rule', async ({ name = '2024-04-15.md', text, line, field, says }) => {
    const r = await check({ [name]: text });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const expectedLine = typeof line === 'number' ? line : line(text);
    const prefix = `${path.join(dir, name)}:${expectedLine}: ${field ? `${field}: ` : ''}`;
    expect(lines[0]?.startsWith(prefix), `${lines[0]} should start with ${prefix}`).toBe(true);
    expect(lines[0]?.slice(prefix.length)).toMatch(says);
  });

  it('reports a file name that is not a week start, and a file without front matter', async () => {
    const r = await check({ 'notes.md': VALID, '2024-04-22.md': 'just text\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(dir, '2024-04-22.md')}:1: no YAML front matter`);
    expect(r.stderr).toContain(`${path.join(dir, 'notes.md')}:1: file name "notes.md" is not a week start (expected YYYY-MM-DD.md`);
  });

  it('reports every problem of a file at once, and problems in every file', async () => {
    let text = edit('end: 2024-04-19', 'end: 2024-04-01');
    text = edit('"https://github.com/sanyalsunny111/LLM-Inheritune"', '"/relative"', text);
    text = edit('    links:\n', '    summary: "x"\n    links:\n', text);
    text = edit('arxiv:2404.08639', 'arxiv:2404.08634', text);
    text = edit('      zh: "在近几十年中。"\n', '', text);
    const r = await check({ '2024-04-22.md': text, '2024-04-15.md': edit('status: ready', 'status: sent') });
    expect(r.code).toBe(2);
    const file = path.join(dir, '2024-04-22.md');
    const got = r.stderr.trim().split('\n');
    expect(got).toEqual([
      // Files in name order, each file's problems in line order.
      expect.stringMatching(new RegExp(`^${escape(path.join(dir, '2024-04-15.md'))}:5: status: is invalid \\(expected draft or ready\\)$`)),
      `${file}:${lineOf(text, 'week:')}: week.end: is before week.start 2024-04-15 (expected a date on or after it)`,
      `${file}:${lineOf(text, 'week:')}: week.start: is 2024-04-15 but the file is named 2024-04-22.md (expected 2024-04-22, or rename the file to 2024-04-15.md)`,
      expect.stringMatching(new RegExp(`^${escape(file)}:${lineOf(text, 'summary:')}: papers\\.0\\.summary: is not a known field`)),
      expect.stringMatching(new RegExp(`^${escape(file)}:${lineOf(text, '"/relative"')}: papers\\.0\\.links\\.code: is not an absolute http\\(s\\) URL`)),
      `${file}:${lastLineOf(text, 'arxiv:2404.08634')}: papers.1.id: duplicates papers.0.id (expected ids unique within the issue)`,
      `${file}:${lastLineOf(text, 'abstract:')}: papers.1.abstract: is null (expected { zh: …, en: … } with at least one of them)`,
    ]);
  });

  it('fails with exit 2 when the issues directory does not exist', async () => {
    const r = await runCliCaptured(['check', '--issues', path.join(dir, 'missing')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/issues directory .*missing does not exist/);
  });

  it('reads --issues relative to the working directory', async () => {
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', '2024-04-15.md'), VALID);
    const r = await runCliCaptured(['check', '--issues', 'sub', '--verbose'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(path.join(dir, 'sub', '2024-04-15.md'));
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
