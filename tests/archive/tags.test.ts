/**
 * The Tag vocabulary (`issues/tags.yml`) through the real `sudi check` and `sudi build`: an unknown
 * tag is refused with the file, line and the nearest known tag; without the file any tag is allowed;
 * a broken vocabulary is reported by line.
 */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nearestTag, parseTagVocabulary, tagSlug } from '../../src/content/tags.ts';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';

const VOCABULARY = `# slug → names
llm: { zh: 大语言模型, en: Large language models }
segmentation: { zh: 分割, en: Segmentation }
long-context: { zh: 长上下文, en: Long context }
`;

function issue(tags: string): string {
  return `---
title: "每周AI论文速递 (240415-240419)"
week: { start: 2024-04-15, end: 2024-04-19 }
publish_at: 2024-04-20T09:00:00+08:00
status: ready
papers:
  - id: arxiv:2404.08634
    title: { en: "Pre-training Small Base LMs with Fewer Tokens", zh: "使用更少的 Token 对小型基础 LMs 进行预训练" }
    abstract: { zh: "我们研究了一种简单方法。" }
    tags: [llm]
  - id: arxiv:2404.08639
    title: { en: "COCONut: Modernizing COCO Segmentation", zh: "COCONut:现代化 COCO 分割" }
    abstract: { zh: "在近几十年中。" }
    tags: ${tags}
---
`;
}

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('sudi-tags-')));
afterEach(async () => cleanup());

async function write(files: Record<string, string>) {
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
}

describe('sudi check with a Tag vocabulary', () => {
  it('accepts tags from the vocabulary', async () => {
    await write({ 'tags.yml': VOCABULARY, '2024-04-15.md': issue('[segmentation, long-context]') });
    const r = await runCliCaptured(['check', '--issues', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('refuses an unknown tag with file, line and field, and suggests the nearest (edit distance, case ignored)', async () => {
    await write({ 'tags.yml': VOCABULARY, '2024-04-15.md': issue('[segmentaion, LLM, quantum-chemistry]') });
    const r = await runCliCaptured(['check', '--issues', dir]);
    expect(r.code).toBe(2);
    const file = path.join(dir, '2024-04-15.md');
    const line = issue('[segmentaion, LLM, quantum-chemistry]').split('\n').findIndex((l) => l.includes('segmentaion')) + 1;
    const vocabulary = path.join(dir, 'tags.yml');
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:${line}: papers.1.tags.0: "segmentaion" is not in the tag vocabulary (expected a tag from ${vocabulary}; did you mean "segmentation"?)`,
      `${file}:${line}: papers.1.tags.1: "LLM" is not in the tag vocabulary (expected a tag from ${vocabulary}; did you mean "llm"?)`,
      `${file}:${line}: papers.1.tags.2: "quantum-chemistry" is not in the tag vocabulary (expected a tag from ${vocabulary}, or add it there)`,
    ]);
  });

  it('sudi build refuses it too and publishes nothing', async () => {
    await write({ 'tags.yml': VOCABULARY, '2024-04-15.md': issue('[segmentaion]') });
    const r = await runCliCaptured(['build', '--issues', dir, '--out', path.join(dir, 'public')], { cwd: dir, now: new Date('2024-06-01T00:00:00Z') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('papers.1.tags.0: "segmentaion" is not in the tag vocabulary');
    expect(r.stderr).toContain('nothing was published');
    expect((await readdir(dir)).includes('public')).toBe(false);
  });

  it('without tags.yml any tag is allowed, as before the vocabulary existed', async () => {
    await write({ '2024-04-15.md': issue('[Anything Goes, 分割]') });
    const r = await runCliCaptured(['check', '--issues', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a broken vocabulary is reported by file and line, with exit 2', async () => {
    const broken = `llm: { zh: 大语言模型, en: Large language models }\nBad Tag: { zh: 坏, en: Bad }\nsegmentation: { zh: 分割 }\nvision: { zh: 视觉, en: Vision, fr: Vision }\n`;
    await write({ 'tags.yml': broken, '2024-04-15.md': issue('[llm]') });
    const r = await runCliCaptured(['check', '--issues', dir]);
    expect(r.code).toBe(2);
    const file = path.join(dir, 'tags.yml');
    expect(r.stderr).toContain(`${file}:2: Bad Tag: is not a tag slug (expected lower-case letters, digits and single hyphens, e.g. image-segmentation)`);
    expect(r.stderr).toContain(`${file}:3: segmentation: needs a Chinese and an English name (expected { zh: 分割, en: Segmentation }, both non-empty text)`);
    expect(r.stderr).toContain(`${file}:4: vision: has unknown field(s) fr`);
  });

  it('a match: that is not a list of keywords is reported at its line; a valid one passes check', async () => {
    const broken = [
      'llm: { zh: 大语言模型, en: Large language models, match: [cs.CL, LLMs] }',
      'segmentation:',
      '  zh: 分割',
      '  en: Segmentation',
      '  match: cs.CV',
      'dataset: { zh: 数据集, en: Datasets, match: [benchmark, 2024] }',
      'alignment: { zh: 对齐, en: Alignment, match: [DPO, "--"] }',
      '',
    ].join('\n');
    await write({ 'tags.yml': broken, '2024-04-15.md': issue('[llm]') });
    const r = await runCliCaptured(['check', '--issues', dir]);
    expect(r.code).toBe(2);
    const file = path.join(dir, 'tags.yml');
    const expected = '(expected e.g. match: [cs.CV, panoptic segmentation]: each a text with a letter or digit)';
    expect(r.stderr).toContain(`${file}:5: segmentation.match: is not a list of keywords ${expected}`);
    expect(r.stderr).toContain(`${file}:6: dataset.match: is not a list of keywords`);
    expect(r.stderr).toContain(`${file}:7: alignment.match: is not a list of keywords`);
    expect(r.stderr).not.toContain('llm');

    await write({ 'tags.yml': `${broken.split('\n')[0]}\nsegmentation: { zh: 分割, en: Segmentation, match: [] }\n`, '2024-04-15.md': issue('[segmentation]') });
    const ok = await runCliCaptured(['check', '--issues', dir]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});

describe('tag helpers', () => {
  it('parses match: lists (trimmed, each once); a file without them is read as before, with empty lists', () => {
    const r = parseTagVocabulary('tags.yml', `${VOCABULARY}3d-vision: { zh: 三维视觉, en: 3D vision, match: [" NeRF ", NeRF, cs.GR] }\n`);
    if (!('vocabulary' in r)) throw new Error(JSON.stringify(r.problems));
    expect([...r.vocabulary.tags]).toEqual([
      ['llm', { zh: '大语言模型', en: 'Large language models', match: [] }],
      ['segmentation', { zh: '分割', en: 'Segmentation', match: [] }],
      ['long-context', { zh: '长上下文', en: 'Long context', match: [] }],
      ['3d-vision', { zh: '三维视觉', en: '3D vision', match: ['NeRF', 'cs.GR'] }],
    ]);
  });

  it('nearestTag only suggests what is close enough to be a slip', () => {
    const r = parseTagVocabulary('tags.yml', VOCABULARY);
    if (!('vocabulary' in r)) throw new Error('vocabulary expected');
    expect(nearestTag(r.vocabulary, 'long-contex')).toBe('long-context');
    expect(nearestTag(r.vocabulary, 'Segmentation')).toBe('segmentation');
    expect(nearestTag(r.vocabulary, 'reinforcement-learning')).toBeNull();
  });

  it('a free tag\'s slug keeps letters and digits of any script and nothing that could leave its folder', () => {
    expect(tagSlug('LLM')).toBe('llm');
    expect(tagSlug('Long Context')).toBe('long-context');
    expect(tagSlug('分割')).toBe('分割');
    expect(tagSlug('../../etc/passwd')).toBe('etc-passwd');
    expect(tagSlug('<svg onload=alert(8)>')).toBe('svg-onload-alert-8');
    expect(tagSlug('...')).toBe('tag');
  });
});
