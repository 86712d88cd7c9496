/**
 * The pure parts: ISO weeks and the digest's title, what fills a Paper (never replacing the
 * editor's text), Hugging Face's list and its cut, and the new schema fields in and out of a file.
 */
import { describe, expect, it } from 'vitest';
import { parseIssue, validateIssue } from '../../src/content/parse-issue.ts';
import { serializeIssue } from '../../src/content/serialize-issue.ts';
import { digestTitle, isoWeekOf, mondayOfIsoWeek } from '../../src/content/week.ts';
import { cutPapers, parseDailyPapers } from '../../src/sources/hugging-face.ts';
import { fillMissing, type PaperData } from '../../src/sources/paper-fields.ts';

describe('weeks', () => {
  it('ISO weeks across year ends, and back to their Monday', () => {
    expect(isoWeekOf('2024-04-15')).toBe('2024-W16');
    expect(isoWeekOf('2024-04-21')).toBe('2024-W16'); // Sunday
    expect(isoWeekOf('2021-01-03')).toBe('2020-W53');
    expect(isoWeekOf('2024-12-30')).toBe('2025-W01');
    expect(isoWeekOf('2026-01-22')).toBe('2026-W04');
    expect(mondayOfIsoWeek('2024-W16')).toBe('2024-04-15');
    expect(mondayOfIsoWeek('2020-W53')).toBe('2020-12-28');
    expect(mondayOfIsoWeek('2025-W01')).toBe('2024-12-30');
    for (const bad of ['2021-W53', '2024-W00', '2024-W54', '2024-16', '2024-w16']) expect(mondayOfIsoWeek(bad), bad).toBeNull();
  });

  it("the digest's title: Monday to Friday, full-width brackets", () => {
    expect(digestTitle('2024-04-15')).toBe('每周AI论文速递（240415-240419）');
    expect(digestTitle('2024-12-30')).toBe('每周AI论文速递（241230-250103）');
  });
});

const editors: PaperData = {
  title: { en: 'Megalodon', zh: '大白鲨' },
  abstract: { zh: '编辑写的摘要' },
  links: { code: 'https://github.com/XuezheMax/megalodon/', paper: 'https://example.org/p' },
  tags: ['LLM'],
  comment: "the editor's comment",
};
const fetched: PaperData = {
  id: 'arxiv:2404.08801',
  title: { en: 'Megalodon: Efficient LLM Pretraining', zh: '机器标题' },
  abstract: { en: 'English', zh: '机器摘要' },
  authors: ['Xuezhe Ma'],
  categories: ['cs.LG'],
  published: '2024-04-12',
  comment: '9 pages',
  links: { code: 'http://github.com/XuezheMax/megalodon', paper: 'https://arxiv.org/abs/2404.08801', abs: 'https://arxiv.org/abs/2404.08801' },
  popularity: { upvotes: 63, read_at: '2024-04-17' },
  tags: ['long context'],
};

describe('fillMissing', () => {
  it("fills only what is missing; the editor's titles, abstract, links, tags and comment stay", () => {
    const { paper, filled } = fillMissing(editors, fetched);
    expect(paper).toEqual({
      id: 'arxiv:2404.08801',
      title: { en: 'Megalodon', zh: '大白鲨' },
      abstract: { zh: '编辑写的摘要', en: 'English' },
      authors: ['Xuezhe Ma'],
      categories: ['cs.LG'],
      published: '2024-04-12',
      comment: "the editor's comment",
      // code: that place is already linked; paper: the editor's name is taken; abs: new.
      links: { code: 'https://github.com/XuezheMax/megalodon/', paper: 'https://example.org/p', abs: 'https://arxiv.org/abs/2404.08801' },
      popularity: { upvotes: 63, read_at: '2024-04-17' },
      tags: ['LLM'],
    });
    expect(filled).toEqual(['id', 'published', 'abstract.en', 'authors', 'categories', 'popularity', 'links.abs']);
    expect(editors.abstract.en).toBeUndefined(); // the input is not changed
  });

  it('an empty Chinese title counts as missing', () => {
    expect(fillMissing({ ...fetched, title: { en: 'x', zh: '' } }, { title: { en: 'y', zh: '标题' }, abstract: {} }).paper.title).toEqual({ en: 'x', zh: '标题' });
  });
});

describe("Hugging Face's list", () => {
  it('keeps the fields it uses, ignores the rest, names a bad item; duplicates keep their most upvotes', () => {
    const json = JSON.stringify([
      { paper: { id: '2404.00001', title: 'A', upvotes: 3, authors: [{ name: 'X', hidden: true }, { name: 'Y' }], extra: 1 }, numComments: 2 },
      { paper: { id: '2404.00002', title: 'B', upvotes: 50, githubRepo: '', ai_keywords: null } },
      { paper: { id: '2404.00001', title: 'A', upvotes: 7 } },
    ]);
    const papers = parseDailyPapers(json, 'src');
    expect(papers.map((p) => [p.id, p.upvotes, p.authors])).toEqual([
      ['2404.00001', 7, []],
      ['2404.00002', 50, []],
    ]);
    expect(papers[1]!.githubRepo).toBeNull();
    expect(() => parseDailyPapers(JSON.stringify([{ paper: { id: '2404.00003', title: 'C', upvotes: 'many' } }]), 'src')).toThrow(/^src: item 0 \(2404\.00003\): paper\.upvotes: /);
    expect(() => parseDailyPapers('{"error":"Invalid date"}', 'src')).toThrow(/src: not a list/);
    expect(() => parseDailyPapers('<html>', 'src')).toThrow(/src: not JSON/);
  });

  it('cuts by threshold (inclusive) and/or count, most upvoted first, ties by id', () => {
    const p = (id: string, upvotes: number) => ({ id, title: id, summary: null, authors: [], upvotes, githubRepo: null, githubStars: null, projectPage: null, keywords: [] });
    const list = [p('b', 45), p('a', 45), p('c', 44), p('d', 90)];
    expect(cutPapers(list, { minUpvotes: 45 }).map((x) => x.id)).toEqual(['d', 'a', 'b']);
    expect(cutPapers(list, { top: 2 }).map((x) => x.id)).toEqual(['d', 'a']);
    expect(cutPapers(list, { minUpvotes: 45, top: 5 }).map((x) => x.id)).toEqual(['d', 'a', 'b']);
  });
});

describe('the new Paper fields in an issue file', () => {
  const data = {
    title: 't',
    week: { start: '2024-04-15', end: '2024-04-19' },
    publish_at: '2024-04-20T09:00:00+08:00',
    status: 'draft' as const,
    papers: [{ ...fetched, doi: '10.1145/3658146', journal_ref: 'CVPR 2024', updated: '2024-04-16', popularity: { upvotes: 63, github_stars: 521, read_at: '2024-04-17' } }],
  };

  it('are written and read back unchanged', () => {
    const text = serializeIssue(data);
    expect(text).toContain('    categories: [ "cs.LG" ]\n');
    expect(text).toContain('    published: 2024-04-12\n');
    expect(text).toContain('    popularity: { upvotes: 63, github_stars: 521, read_at: 2024-04-17 }\n');
    const { id: _i, note: _n, source: _s, ...back } = parseIssue('2024-04-15.md', text);
    expect(back).toEqual({ ...data, papers: [{ ...data.papers[0] }] });
    expect(serializeIssue(back)).toBe(text);
  });

  it('are checked, each problem naming its line and what a valid value looks like', () => {
    const text = serializeIssue(data)
      .replace('published: 2024-04-12', 'published: 2024-04-31')
      .replace('"cs.LG"', '"Machine Learning"')
      .replace('upvotes: 63', 'upvotes: -1')
      .replace('read_at: 2024-04-17', 'read_on: 2024-04-17');
    const r = validateIssue('2024-04-15.md', text);
    expect('problems' in r && r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'papers.0.categories.0: is not an arXiv category (expected e.g. cs.CV or stat.ML)',
      'papers.0.published: is not a real calendar date (expected YYYY-MM-DD, e.g. 2024-04-15)',
      'papers.0.popularity.upvotes: is negative (expected a whole number of upvotes, 0 or more)',
      'papers.0.popularity.read_at: is missing (expected a date like 2024-04-15)',
      'papers.0.popularity.read_on: is not a known field (expected only upvotes, github_stars, read_at; check the spelling)',
    ]);
  });
});
