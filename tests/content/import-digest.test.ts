import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { load as loadYamlIndependently } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { importDigest } from '../../src/content/import-digest.ts';
import { parseIssue } from '../../src/content/parse-issue.ts';
import { SudiError } from '../../src/errors.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
// A copy of ../shared/seed/weekly-ai-papers-240415-240419.txt, so a clean clone has it.
const SEED_PATH = path.join(ROOT, 'tests/fixtures/digests/weekly-ai-papers-240415-240419.txt');
const SEED = readFileSync(SEED_PATH, 'utf8');
const TZ = 'Asia/Shanghai';

/** The seed read by hand, independently of the importer: header, 9 × (en, zh, abstract), chrome. */
function seedByHand() {
  const lines = SEED.split('\n');
  const chromeStart = lines.indexOf('暂无评论');
  const items = lines.slice(1, chromeStart).filter((l) => l !== '');
  const papers = [];
  for (let i = 0; i < items.length; i += 3) papers.push({ en: items[i], zh: items[i + 1], abstract: items[i + 2] });
  const chrome = lines.slice(chromeStart).map((l) => l.trim()).filter((l) => l !== '');
  return { header: lines[0], papers, chrome };
}

/** The front matter of an issue file, read by a second YAML implementation. */
function frontMatterByJsYaml(text: string): { papers: Array<{ title: { en: string; zh: string }; abstract: { zh: string }; links?: Record<string, string> }> } {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!m) throw new Error('no front matter');
  return loadYamlIndependently(m[1] as string) as ReturnType<typeof frontMatterByJsYaml>;
}

interface TestPaper {
  en: string;
  zh: string;
  abs: string;
}
const PAPERS: TestPaper[] = [
  { en: 'Alpha Nets: Learning Fast', zh: '阿尔法网络：快速学习', abs: '我们提出阿尔法网络。代码：https://github.com/example/alpha' },
  { en: 'Beta Scaling Laws for Tiny Models', zh: '微型模型的贝塔缩放定律', abs: '本文研究了微型模型的缩放定律，并给出了新的结论。' },
  { en: 'Gamma: A Benchmark', zh: 'Gamma：一个基准', abs: '我们发布了 Gamma 基准，覆盖 12 个任务。' },
];

function digest(papers: TestPaper[], opts: { header?: string; sep?: string; eol?: string; trailer?: string } = {}): string {
  const sep = opts.sep ?? '\n\n';
  const blocks = papers.map((p) => [p.en, p.zh, p.abs].join(sep));
  const text = [opts.header ?? '每周AI论文速递(240415-240419)', ...blocks].join(sep) + (opts.trailer ?? '\n\n暂无评论\n\n上一篇\n下一篇\n');
  return opts.eol ? text.replace(/\n/g, opts.eol) : text;
}

function importError(input: string): SudiError {
  try {
    importDigest(input, { tz: TZ, source: 'test.txt' });
  } catch (e) {
    if (e instanceof SudiError) return e;
    throw e;
  }
  throw new Error('expected importDigest to throw');
}

describe('importDigest on the seed', () => {
  const byHand = seedByHand();
  const result = importDigest(SEED, { tz: TZ, source: 'seed.txt' });

  const shared = path.resolve(ROOT, '../shared/seed/weekly-ai-papers-240415-240419.txt');
  it.runIf(existsSync(shared))('uses an exact copy of the shared seed', () => {
    expect(readFileSync(shared, 'utf8')).toBe(SEED);
  });

  it('finds the 9 papers the seed has, with titles and abstracts exactly as written', () => {
    expect(byHand.header).toBe('每周AI论文速递(240415-240419)');
    expect(byHand.papers).toHaveLength(9);
    const issue = parseIssue('2024-04-15.md', result.text);
    const independent = frontMatterByJsYaml(result.text);
    for (const papers of [result.data.papers, issue.papers, independent.papers]) {
      expect(papers.map((p) => ({ en: p.title.en, zh: p.title.zh, abstract: p.abstract.zh }))).toEqual(byHand.papers);
    }
  });

  it('takes the week from the header and publishes the day after it ends, 09:00 in TZ', () => {
    expect(result.id).toBe('2024-04-15');
    expect(result.data.week).toEqual({ start: '2024-04-15', end: '2024-04-19' });
    expect(result.data.publish_at).toBe('2024-04-20T09:00:00+08:00');
    expect(result.data.status).toBe('draft');
    expect(result.data.title).toBe('每周AI论文速递 (240415-240419)');
    const ny = importDigest(SEED, { tz: 'America/New_York', ready: true });
    expect(ny.data.publish_at).toBe('2024-04-20T09:00:00-04:00');
    expect(ny.data.status).toBe('ready');
  });

  it('turns URLs in abstracts into links without touching the text', () => {
    const [first] = result.data.papers;
    expect(first?.links).toEqual({ code: 'https://github.com/sanyalsunny111/LLM-Inheritune' });
    expect(frontMatterByJsYaml(result.text).papers[0]?.links?.code).toBe('https://github.com/sanyalsunny111/LLM-Inheritune');
    expect(result.data.papers[4]?.links).toEqual({ code: 'https://github.com/XuezheMax/megalodon' });
    // "我们的代码可在以下链接获取:https://animate-your-word.github.io/demo/。" — introduced by 代码, full stop not part of the URL.
    expect(result.data.papers[7]?.links).toEqual({ code: 'https://animate-your-word.github.io/demo/' });
    expect(result.data.papers.filter((p) => Object.keys(p.links ?? {}).length > 0)).toHaveLength(3);
  });

  it('drops the page chrome: nothing after the last abstract appears in the output', () => {
    expect(byHand.chrome.length).toBeGreaterThan(50);
    for (const line of byHand.chrome) expect(result.text, line).not.toContain(line);
    expect(result.text).not.toContain('k4yt3x');
    expect(result.warnings).toEqual([]);
  });

  it('drops the chrome even when the page has none of the known chrome markers', () => {
    const markers = new Set(['暂无评论', '发送评论 编辑评论', '颜文字', 'Emoji', '上一篇', '下一篇']);
    const unmarked = SEED.split('\n').filter((l) => !markers.has(l)).join('\n');
    const r = importDigest(unmarked, { tz: TZ, source: 'seed.txt' });
    expect(r.text).toBe(result.text);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^seed\.txt:\d+-\d+: ignored as page chrome after the last paper/);
  });

  it('is deterministic, and the committed issues/2024-04-15.md is exactly its output with --ready', () => {
    expect(importDigest(SEED, { tz: TZ, source: 'elsewhere.txt' }).text).toBe(result.text);
    const committed = readFileSync(path.join(ROOT, 'issues/2024-04-15.md'), 'utf8');
    expect(committed).toBe(importDigest(SEED, { tz: TZ, ready: true }).text);
  });
});

describe('importDigest on variants', () => {
  const plain = importDigest(digest(PAPERS), { tz: TZ });

  it('reads a small digest', () => {
    expect(plain.data.papers.map((p) => p.title.en)).toEqual(PAPERS.map((p) => p.en));
    expect(plain.data.papers[0]?.links).toEqual({ code: 'https://github.com/example/alpha' });
  });

  it.each([
    ['CRLF line endings', digest(PAPERS, { eol: '\r\n' })],
    ['a BOM and CRLF', `\uFEFF${digest(PAPERS, { eol: '\r\n' })}`],
    ['full-width parentheses', digest(PAPERS, { header: '每周AI论文速递（240415-240419）' })],
    ['runs of blank and whitespace-only lines', digest(PAPERS, { sep: '\n\n \n\t\n\n' })],
    ['trailing spaces and tabs', digest(PAPERS, { sep: '  \n\t\n' }).replace(/\n/g, ' \t\n')],
    ['no chrome at all', digest(PAPERS, { trailer: '\n' })],
    [
      'a Markdown heading and no blank lines inside a paper',
      ['## 每周AI论文速递 (240415-240419)', ...PAPERS.map((p) => `${p.en}\n${p.zh}\n${p.abs}`)].join('\n\n') + '\n',
    ],
    ['chrome directly after the last abstract', digest(PAPERS, { trailer: '\n暂无评论\n发送评论 编辑评论\n' })],
  ])('gives the same file for %s', (_, input) => {
    const r = importDigest(input, { tz: TZ });
    expect(r.text).toBe(plain.text);
    expect(r.warnings).toEqual([]);
  });

  it('strips characters XML forbids, with a warning naming the line', () => {
    const input = digest([{ ...PAPERS[0]!, zh: '阿尔法\u0007网络：快速学习' }, PAPERS[1]!, { ...PAPERS[2]!, abs: 'Gamma\u000B 基准\uFFFF。' }]);
    const r = importDigest(input, { tz: TZ, source: 'ctl.txt' });
    expect(r.data.papers[0]?.title.zh).toBe('阿尔法网络：快速学习');
    expect(r.data.papers[2]?.abstract.zh).toBe('Gamma 基准。');
    expect(r.text).not.toMatch(/[\u0007\u000B\uFFFF]/);
    expect(r.warnings).toEqual([
      'ctl.txt:5: removed U+0007, a control character XML forbids',
      'ctl.txt:19: removed U+000B, a control character XML forbids',
      'ctl.txt:19: removed U+FFFF, a control character XML forbids',
    ]);
  });

  it('keeps YAML-hostile text intact', () => {
    const hostile = { en: '- "Quoted": #1 {{x}} & <b>', zh: '标题: #井号 {{模板}}', abs: "摘要：'单引号' \"双引号\" \\ 反斜杠 --- ... ]]> 结束。" };
    const r = importDigest(digest([hostile]), { tz: TZ });
    const p = frontMatterByJsYaml(r.text).papers[0];
    expect(p?.title).toEqual({ en: hostile.en, zh: hostile.zh });
    expect(p?.abstract.zh).toBe(hostile.abs);
  });

  it('keeps a wrapped abstract as written and attaches a link-only paragraph after it', () => {
    const input = digest([{ ...PAPERS[1]!, abs: '第一行摘要，\n第二行摘要。\n\n代码：https://gitlab.com/x/beta' }, PAPERS[2]!]);
    const r = importDigest(input, { tz: TZ });
    expect(r.data.papers[0]?.abstract.zh).toBe('第一行摘要，\n第二行摘要。\n\n代码：https://gitlab.com/x/beta');
    expect(r.data.papers[0]?.links).toEqual({ code: 'https://gitlab.com/x/beta' });
    expect(r.data.papers).toHaveLength(2);
  });

  it('names links by what introduces them and takes the arXiv id from an arxiv.org URL', () => {
    const abs =
      '论文：https://arxiv.org/abs/2404.08634v2，项目主页：https://alpha.example.org/p，代码见 https://github.com/a/b。' +
      '数据集：https://huggingface.co/datasets/a/b.（另见 https://en.wikipedia.org/wiki/Foo_(bar)）。';
    const r = importDigest(digest([{ ...PAPERS[0]!, abs }, { ...PAPERS[1]!, abs: `同一篇：https://arxiv.org/pdf/2404.08634.pdf 。` }]), { tz: TZ, source: 'a.txt' });
    const [p1, p2] = r.data.papers;
    expect(p1?.abstract.zh).toBe(abs);
    expect(p1?.id).toBe('arxiv:2404.08634');
    expect(p1?.links).toEqual({
      paper: 'https://arxiv.org/abs/2404.08634v2',
      project: 'https://alpha.example.org/p',
      code: 'https://github.com/a/b',
      data: 'https://huggingface.co/datasets/a/b',
      link: 'https://en.wikipedia.org/wiki/Foo_(bar)',
    });
    // Ids are unique within an issue: the second paper keeps its link but not the id.
    expect(p2?.id).toBeUndefined();
    expect(p2?.links).toEqual({ pdf: 'https://arxiv.org/pdf/2404.08634.pdf' });
    expect(r.warnings).toEqual(['a.txt:13: arxiv:2404.08634 is already the id of paper 1; this paper gets no id']);
  });

  it('drops unknown chrome after the last paper with a warning naming its lines', () => {
    const r = importDigest(digest(PAPERS, { trailer: '\n\n登录以发表看法\n\n(☆ω☆)\n' }), { tz: TZ, source: 'u.txt' });
    expect(r.data.papers).toHaveLength(3);
    expect(r.text).not.toContain('登录以发表看法');
    expect(r.warnings).toEqual(['u.txt:21-23: ignored as page chrome after the last paper (starts "登录以发表看法")']);
  });

  it('skips site navigation before the header, with a warning', () => {
    const r = importDigest(`首页 | 归档\n\n${digest(PAPERS)}`, { tz: TZ, source: 'n.txt' });
    expect(r.text).toBe(plain.text);
    expect(r.warnings).toEqual(['n.txt:1: ignored 1 line(s) before the header']);
  });
});

describe('importDigest on malformed input', () => {
  it.each([
    ['no header', digest(PAPERS).replace('每周AI论文速递(240415-240419)', 'Weekly papers'), /^test\.txt:1: "Weekly papers" is not a digest header \(expected a line like 每周AI论文速递\(240415-240419\)\)$/],
    ['an empty file', '', /^test\.txt:1: the digest is empty/],
    ['a header and no papers', '每周AI论文速递(240415-240419)\n\n暂无评论\n', /^test\.txt:1: no papers after the header/],
    ['an impossible date', digest(PAPERS, { header: '每周AI论文速递(240230-240304)' }), /^test\.txt:1: 240230 is not a real date/],
    ['a week that ends before it starts', digest(PAPERS, { header: '每周AI论文速递(240419-240415)' }), /^test\.txt:1: the week ends \(2024-04-15\) before it starts/],
    [
      'a middle block without its Chinese title',
      digest([PAPERS[0]!, { ...PAPERS[1]!, zh: '' }, PAPERS[2]!], { sep: '\n\n' }).replace('\n\n\n\n', '\n\n'),
      /^test\.txt:11: the paper "Beta Scaling Laws for Tiny Models" \(line 9\) has no Chinese title: this line looks like its abstract/,
    ],
    [
      'the last block without its Chinese title',
      digest([PAPERS[0]!, { ...PAPERS[1]!, zh: '' }]).replace('\n\n\n\n', '\n\n'),
      /^test\.txt:11: the paper "Beta Scaling Laws for Tiny Models" \(line 9\) has no Chinese title/,
    ],
    [
      'a block without its abstract',
      digest([PAPERS[0]!, { ...PAPERS[1]!, abs: '' }, PAPERS[2]!]).replace('\n\n\n\n', '\n\n'),
      /^test\.txt:11: the paper "Beta Scaling Laws for Tiny Models" \(line 9\) has no abstract after its Chinese title, before the next English title on line 13/,
    ],
    [
      'a block without its English title',
      digest([PAPERS[0]!, { ...PAPERS[1]!, en: '' }, PAPERS[2]!]).replace('\n\n\n\n', '\n\n'),
      /^test\.txt:9: "微型模型的贝塔缩放定律" is not an English title/,
    ],
    [
      'an English line where the Chinese title belongs',
      digest([{ ...PAPERS[0]!, zh: 'Alpha Nets again' }, PAPERS[1]!]),
      /^test\.txt:5: expected the Chinese title of "Alpha Nets: Learning Fast" \(line 3\), got "Alpha Nets again"/,
    ],
    ['a first block that starts with Chinese', digest([{ ...PAPERS[0]!, en: '阿尔法' }]), /^test\.txt:3: "阿尔法" is not an English title/],
  ])('rejects %s with E_IMPORT naming the line', (_, input, message) => {
    const e = importError(input);
    expect(e.code).toBe('E_IMPORT');
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(message);
  });
});
