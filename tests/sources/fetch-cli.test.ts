/**
 * `sudi fetch` through the real CLI, against a local server replaying recorded-shape arXiv and
 * Hugging Face answers. Each file written is read back by the real issue parser (what `check` uses).
 */
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseIssue } from '../../src/content/parse-issue.ts';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';
import { startSourceServer, type SourceServer } from '../helpers/source-server.ts';

const SEED = path.join(import.meta.dirname, '..', '..', 'issues', '2024-04-15.md');

let src: SourceServer;
let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  src = await startSourceServer();
  ({ dir, cleanup } = await tempDir('sudi-fetch-'));
});
afterEach(async () => {
  await src.close();
  await cleanup();
});

const fetchCli = (args: string[], env: Record<string, string> = {}) =>
  runCliCaptured(['fetch', ...args], { cwd: dir, env: { ...src.env, ARXIV_DELAY_MS: '0', ...env }, now: new Date('2024-04-17T10:00:00+08:00') });
const readIssue = async (file: string) => parseIssue(file, await readFile(file, 'utf8'));

describe('sudi fetch --arxiv', () => {
  it('asks once for many ids, matches entries back by id, stores a bare id without its version', async () => {
    const r = await fetchCli(['--arxiv', '2404.08634,2404.08197']);
    expect(r.stderr).not.toMatch(/unexpected/);
    expect(r.code).toBe(0);
    const file = path.join(dir, 'issues', '2024-04-15.md'); // this week in TZ (the 17th is a Wednesday)
    expect(r.stdout.trim()).toBe(file);
    expect(src.requests).toHaveLength(1);
    expect(src.requests[0]!.url).toMatch(/max_results=2/);
    expect(src.requests[0]!.userAgent).toMatch(/^Sudi\//);

    const issue = await readIssue(file);
    expect(issue.status).toBe('draft');
    expect(issue.title).toBe('每周AI论文速递（240415-240419）');
    expect(issue.week).toEqual({ start: '2024-04-15', end: '2024-04-19' });
    // The order asked in, although arXiv answered the other way round.
    expect(issue.papers.map((p) => p.id)).toEqual(['arxiv:2404.08634', 'arxiv:2404.08197']);
    const [a, b] = issue.papers;
    expect(a!.title.en).toBe('Pre-training Small Base LMs with Fewer Tokens');
    expect(b!.title.en).toBe('Scaling (Down) CLIP: A Comprehensive Analysis of Data, Architecture, and Training Strategies');
    expect(a!.abstract.en).toMatch(/^We study the effectiveness of a simple approach to develop a small base language model \(LM\) starting/);
    expect(a!.abstract.en).not.toMatch(/\n| {2}/);
    expect(a!.authors).toEqual(['Sunny Sanyal', 'Sujay Sanghavi', 'Alexandros G. Dimakis']);
    expect(a!.categories).toEqual(['cs.CL', 'cs.AI', 'cs.LG']);
    expect(a!.published).toBe('2024-04-12');
    expect(a!.updated).toBe('2024-05-08');
    expect(a!.comment).toBe('Preprint, 15 pages, 4 figures');
    expect(a!.links).toEqual({ abs: 'https://arxiv.org/abs/2404.08634', pdf: 'https://arxiv.org/pdf/2404.08634' });
    // No source gave a Chinese title: the placeholder a ready issue refuses.
    expect(a!.title.zh).toBe('TODO 中文标题');
    expect(r.stderr).toMatch(/still needs a person \(2 paper\(s\)\)/);
    expect(r.stderr).toMatch(/papers\.0 arxiv:2404\.08634 "Pre-training Small Base LMs with Fewer Tokens": the Chinese title; the Chinese abstract/);

    const check = await runCliCaptured(['check'], { cwd: dir });
    expect(check.code).toBe(0);
  });

  it('a version asked for is kept', async () => {
    const r = await fetchCli(['--arxiv', 'arxiv:2404.08634v1', '--week', '2024-04-15']);
    expect(r.code).toBe(0);
    const issue = await readIssue(path.join(dir, 'issues', '2024-04-15.md'));
    expect(issue.papers[0]!.id).toBe('arxiv:2404.08634v1');
    expect(issue.papers[0]!.links.abs).toBe('https://arxiv.org/abs/2404.08634v1');
    expect(issue.papers[0]!.updated).toBe('2024-04-12');
  });

  it('an unknown id (200, no entry) is named, and nothing is written', async () => {
    const r = await fetchCli(['--arxiv', '2404.08634,2404.99999', '--week', '2024-04-15']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2404\.99999: arXiv has no such paper/);
    expect(r.stderr).toMatch(/nothing was written/);
    await expect(readdir(path.join(dir, 'issues'))).rejects.toThrow(/ENOENT/);
  });

  it('a malformed id (400 with an error entry) is named; the others are asked for again', async () => {
    const r = await fetchCli(['--arxiv', '2404.0863,2404.08197', '--week', '2024-04-15']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2404\.0863: arXiv refused it as malformed \(incorrect id format for 2404\.0863\)/);
    expect(src.requests.map((q) => new URL(q.url, src.url).searchParams.get('id_list'))).toEqual(['2404.0863,2404.08197', '2404.08197']);
  });

  it('a source that keeps failing, or answers something that is not Atom, is exit 1 naming the URL; nothing is written', async () => {
    const busy = { status: 503, headers: { 'retry-after': '0' } };
    src.failNext('/api/query', busy, busy, busy);
    const r = await fetchCli(['--arxiv', '2404.08634', '--week', '2024-04-15']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sudi: http:\/\/127\.0\.0\.1:\d+\/api\/query\?id_list=2404\.08634&start=0&max_results=1: HTTP 503 after 3 tries/);
    src.failNext('/api/query', { status: 200, headers: { 'content-type': 'text/html' }, body: '<!DOCTYPE html><html><body>Rate exceeded.</body></html>' });
    const html = await fetchCli(['--arxiv', '2404.08634', '--week', '2024-04-15']);
    expect(html.code).toBe(1);
    expect(html.stderr).toMatch(/max_results=1:1:\d+: has a DOCTYPE; refused/);
    await expect(readdir(path.join(dir, 'issues'))).rejects.toThrow(/ENOENT/);
  });

  it('bad input is exit 2 with a clear message, before any request', async () => {
    const cases: [string[], RegExp][] = [
      [['--arxiv', '2404.08634,hello'], /"hello" is not an arXiv id \(expected e\.g\. 2404\.08634/],
      [['--arxiv', '2404.08634', '--week', '2024-04-17'], /2024-04-17 is a Wednesday, not a Monday/],
      [['--arxiv', '2404.08634', '--into', 'issues/notes.md'], /--into issues\/notes\.md: "notes\.md" is not an issue file name/],
      [['--hf-date', '2024-02-30'], /--hf-date 2024-02-30 is not a calendar date/],
      [['--hf-date', '2024-13-45'], /--hf-date 2024-13-45 is not a calendar date/],
      [['--hf-week', '2024-W54'], /--hf-week 2024-W54 is not an ISO week \(expected YYYY-Www, e\.g\. 2024-W16\)/],
      [['--hf-date', '2024-04-15', '--top', '0'], /--top 0 is not a whole number of at least 1/],
      [['--hf-date', '2024-04-15', '--top', '3', '--min-upvotes', '4'], /give one of them/],
      [['--arxiv', '2404.08634', '--hf-date', '2024-04-15'], /expected exactly one of/],
      [[], /expected exactly one of/],
    ];
    for (const [args, message] of cases) {
      const r = await fetchCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const setting = await fetchCli(['--arxiv', '2404.08634'], { ARXIV_DELAY_MS: 'soon' });
    expect(setting.code).toBe(2);
    expect(setting.stderr).toMatch(/ARXIV_DELAY_MS: /);
    expect(src.requests).toHaveLength(0);
  });
});

describe('sudi fetch --hf-date / --hf-week', () => {
  it("the day's papers with at least 45 upvotes, most upvoted first, completed from arXiv in one request", async () => {
    const r = await fetchCli(['--hf-date', '2024-04-15']);
    expect(r.code).toBe(0);
    const issue = await readIssue(path.join(dir, 'issues', '2024-04-15.md'));
    expect(issue.papers.map((p) => [p.id, p.popularity?.upvotes])).toEqual([
      ['arxiv:2404.09656', 81],
      ['arxiv:2404.08801', 63],
      ['arxiv:2404.09833', 47],
    ]);
    const megalodon = issue.papers[1]!;
    expect(megalodon.popularity).toEqual({ upvotes: 63, github_stars: 521, read_at: '2024-04-17' });
    expect(megalodon.links).toEqual({
      abs: 'https://arxiv.org/abs/2404.08801',
      pdf: 'https://arxiv.org/pdf/2404.08801',
      code: 'https://github.com/XuezheMax/megalodon',
      hf: 'https://huggingface.co/papers/2404.08801',
    });
    expect(megalodon.tags).toEqual(['Megalodon', 'CEMA', 'long context', 'pretraining']);
    expect(megalodon.categories).toEqual(['cs.LG', 'cs.CL']); // from arXiv, not Hugging Face
    expect(issue.papers[2]!.links.project).toBe('https://video2game.github.io/');
    expect(issue.papers[2]!.journal_ref).toMatch(/^Proceedings of the IEEE\/CVF/);
    expect(src.requests.map((q) => new URL(q.url, src.url).pathname)).toEqual(['/api/daily_papers', '/api/query']);
    expect(src.unmatched()).toEqual([]);
  });

  it('--top N keeps the N most upvoted; the week goes into its Monday; rerunning asks only what may have changed and adds nothing twice', async () => {
    const r = await fetchCli(['--hf-week', '2024-W16', '--top', '5']);
    expect(r.code).toBe(0);
    const file = path.join(dir, 'issues', '2024-04-15.md');
    const first = await readFile(file, 'utf8');
    expect((await readIssue(file)).papers.map((p) => p.popularity?.upvotes)).toEqual([120, 81, 68, 63, 58]);
    expect(src.requests).toHaveLength(2);

    // The week is not over (it is Wednesday): its list may still grow, so it is asked again; the
    // arXiv entries, all found, come from DATA_DIR/cache/sources.
    const again = await fetchCli(['--hf-week', '2024-W16', '--top', '5']);
    expect(again.code).toBe(0);
    expect(src.requests.map((q) => new URL(q.url, src.url).pathname)).toEqual(['/api/daily_papers', '/api/query', '/api/daily_papers']);
    // Once the week is over its list is final: asked once more, then remembered.
    const later = { cwd: dir, env: { ...src.env, ARXIV_DELAY_MS: '0' }, now: new Date('2024-04-24T10:00:00+08:00') };
    expect((await runCliCaptured(['fetch', '--hf-week', '2024-W16', '--top', '5', '--into', file], later)).code).toBe(0);
    expect((await runCliCaptured(['fetch', '--hf-week', '2024-W16', '--top', '5', '--into', file], later)).code).toBe(0);
    expect(src.requests).toHaveLength(4);
    expect(await readFile(file, 'utf8')).toBe(first);
    expect(again.stderr).toMatch(/papers\.0 arxiv:2404\.10667 was already there: nothing was missing/);

    // The whole week (≥ 45, the boundary included) extends the same draft; what the editor wrote stays.
    const edited = first.replace('zh: "TODO 中文标题"', 'zh: "VASA-1：实时生成逼真的音频驱动说话人脸"');
    await writeFile(file, edited);
    const week = await fetchCli(['--hf-week', '2024-W16']);
    expect(week.code).toBe(0);
    const issue = await readIssue(file);
    expect(issue.papers.map((p) => p.popularity?.upvotes)).toEqual([120, 81, 68, 63, 58, 52, 49, 47, 45]);
    expect(issue.papers[0]!.title.zh).toBe('VASA-1：实时生成逼真的音频驱动说话人脸');
  });

  it('a week with no paper past the cut writes nothing', async () => {
    const r = await fetchCli(['--hf-week', '2024-W17']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Hugging Face lists 0 paper\(s\) for 2024-W17 and none is left after the cut \(at least 45 upvotes\); nothing was written/);
  });

  it('refuses to change a ready issue', async () => {
    await mkdir(path.join(dir, 'issues'));
    await copyFile(SEED, path.join(dir, 'issues', '2024-04-15.md'));
    const r = await fetchCli(['--hf-date', '2024-04-15']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has status: ready; sudi fetch only changes drafts/);
    expect(src.requests).toHaveLength(0);
  });
});

describe('sudi fetch --enrich', () => {
  it('the seed week gains its arXiv ids, English abstracts, authors and links; nothing the editor wrote changes', async () => {
    await mkdir(path.join(dir, 'issues'));
    const file = path.join(dir, 'issues', '2024-04-15.md');
    await copyFile(SEED, file);
    const before = await readIssue(file);
    const r = await fetchCli(['--enrich', 'issues/2024-04-15.md']);
    expect(r.code).toBe(0);
    expect(src.unmatched()).toEqual([]);
    expect(src.requests).toHaveLength(9); // one exact-title search per paper
    const after = await readIssue(file);
    expect(after.status).toBe('ready'); // as it was
    expect(after.papers.map((p) => p.id)).toEqual([
      'arxiv:2404.08634',
      'arxiv:2404.08639',
      'arxiv:2404.08197',
      'arxiv:2404.09656',
      'arxiv:2404.08801',
      'arxiv:2404.09173',
      'arxiv:2404.09833',
      'arxiv:2404.11614',
      'arxiv:2404.12253',
    ]);
    for (const [i, p] of after.papers.entries()) {
      const was = before.papers[i]!;
      expect(p.title).toEqual(was.title);
      expect(p.abstract.zh).toBe(was.abstract.zh);
      expect(p.abstract.en).toMatch(/^[A-Z][^\n]{200,}$/);
      expect(p.authors!.length).toBeGreaterThan(0);
      expect(p.links.abs).toBe(`https://arxiv.org/abs/${p.id!.slice(6)}`);
      for (const [name, url] of Object.entries(was.links)) expect(p.links[name]).toBe(url);
    }
    // The editor's code link is kept, and the note and first-line comment survive the rewrite.
    expect(after.papers[0]!.links.code).toBe('https://github.com/sanyalsunny111/LLM-Inheritune');
    expect(after.note).toBe(before.note);
    expect(await readFile(file, 'utf8')).toMatch(/^---\n# Imported from a weekly digest/);
    expect(r.stderr).toMatch(/papers\.7 "Dynamic Typography: Bringing Words to Life": found arxiv:2404\.11614: filled id, published, updated, comment, abstract\.en, authors, categories, links\.abs, links\.pdf/);
    expect((await runCliCaptured(['check'], { cwd: dir })).code).toBe(0);

    // A second run: everything is there now; no request, no change.
    const text = await readFile(file, 'utf8');
    const again = await fetchCli(['--enrich', file]);
    expect(again.code).toBe(0);
    expect(src.requests).toHaveLength(9);
    expect(await readFile(file, 'utf8')).toBe(text);
    expect(again.stderr).toMatch(/papers\.0 "Pre-training Small Base LMs with Fewer Tokens": arxiv:2404\.08634: nothing is missing \(not asked\)/);
  });

  it('reports each paper as found, not found or ambiguous', async () => {
    await mkdir(path.join(dir, 'issues'));
    const file = path.join(dir, 'issues', '2024-04-15.md');
    const paper = (en: string) => `  - title:\n      en: "${en}"\n      zh: "标题"\n    abstract:\n      zh: "摘要"\n`;
    await writeFile(
      file,
      `---\ntitle: "t"\nweek: { start: 2024-04-15, end: 2024-04-19 }\npublish_at: 2024-04-20T09:00:00+08:00\nstatus: draft\npapers:\n` +
        paper('Etalon: A Study of Twin Titles') +
        paper('A Paper That Is Not On arXiv') +
        paper('COCONut:  Modernizing  COCO Segmentation') +
        '---\n',
    );
    const r = await fetchCli(['--enrich', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/papers\.0 "Etalon: A Study of Twin Titles": ambiguous: arXiv has 2 papers with exactly this title \(arxiv:2101\.00001, arxiv:2102\.00002\)/);
    expect(r.stderr).toMatch(/papers\.1 "A Paper That Is Not On arXiv": not found/);
    expect(r.stderr).toMatch(/papers\.2 "COCONut: {2}Modernizing {2}COCO Segmentation": found arxiv:2404\.08639/);
    const issue = await readIssue(file);
    expect(issue.papers.map((p) => p.id)).toEqual([undefined, undefined, 'arxiv:2404.08639']);
    expect(issue.papers[2]!.title.en).toBe('COCONut:  Modernizing  COCO Segmentation'); // the editor's, untouched
  });

  it('an invalid issue file is exit 2 with its problems, and nothing is asked', async () => {
    await mkdir(path.join(dir, 'issues'));
    await writeFile(path.join(dir, 'issues', '2024-04-15.md'), '---\ntitle: "t"\n---\n');
    const r = await fetchCli(['--enrich', 'issues/2024-04-15.md']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a valid issue file; fix it first/);
    expect(r.stderr).toMatch(/2024-04-15\.md:\d+: week: is missing/);
    expect(src.requests).toHaveLength(0);
  });
});

describe('sudi fetch with a Tag vocabulary (issues/tags.yml)', () => {
  const VOCABULARY = [
    'llm: { zh: 大语言模型, en: Large language models, match: [cs.CL] }',
    'pre-training: { zh: 预训练, en: Pre-training }',
    'long-context: { zh: 长上下文, en: Long context }',
    'alignment: { zh: 对齐, en: Alignment, match: [DPO, RLHF] }',
    '3d-vision: { zh: 三维视觉, en: 3D vision, match: [NeRF] }',
    'efficiency: { zh: 高效模型, en: Efficient models }',
    '',
  ].join('\n');
  const vocabularyFile = () => path.join(dir, 'issues', 'tags.yml');
  const withVocabulary = async (text = VOCABULARY) => {
    await mkdir(path.join(dir, 'issues'), { recursive: true });
    await writeFile(vocabularyFile(), text);
  };

  it('--hf-date writes only vocabulary tags (from keywords and categories), reports the other keywords per paper, and check passes', async () => {
    await withVocabulary();
    const r = await fetchCli(['--hf-date', '2024-04-15']);
    expect(r.code).toBe(0);
    const file = path.join(dir, 'issues', '2024-04-15.md');
    const issue = await readIssue(file);
    expect(issue.papers.map((p) => [p.id, p.tags])).toEqual([
      ['arxiv:2404.09656', ['alignment', 'llm']], // DPO, RLHF, alignment; cs.CL
      ['arxiv:2404.08801', ['long-context', 'pre-training', 'llm']], // "long context", "pretraining"; cs.CL
      ['arxiv:2404.09833', ['3d-vision']], // NeRF
    ]);
    const v = vocabularyFile();
    expect(r.stderr).toContain(`sudi: arxiv:2404.09656: suggested, not in ${v}: TR-DPO, reference policy, Trust Region\n`);
    expect(r.stderr).toContain(`sudi: arxiv:2404.08801: suggested, not in ${v}: Megalodon, CEMA\n`);
    expect(r.stderr).toContain(`sudi: arxiv:2404.09833: suggested, not in ${v}: game engine, physics\n`);

    const check = await runCliCaptured(['check'], { cwd: dir });
    expect(check.stderr).not.toMatch(/tag vocabulary/);
    expect(check.code).toBe(0);
  });

  it("the editor's tags stay as written; only a paper without tags gains suggested ones", async () => {
    await withVocabulary();
    const file = path.join(dir, 'issues', '2024-04-15.md');
    await writeFile(
      file,
      `---\ntitle: "t"\nweek: { start: 2024-04-15, end: 2024-04-19 }\npublish_at: 2024-04-20T09:00:00+08:00\nstatus: draft\npapers:\n` +
        `  - id: arxiv:2404.08801\n    title: { en: "Megalodon", zh: "巨齿鲨" }\n    abstract: { zh: "摘要" }\n    tags: [efficiency]\n` +
        '---\n',
    );
    const r = await fetchCli(['--hf-date', '2024-04-15']);
    expect(r.code).toBe(0);
    const issue = await readIssue(file);
    expect(issue.papers.map((p) => [p.id, p.tags])).toEqual([
      ['arxiv:2404.08801', ['efficiency']],
      ['arxiv:2404.09656', ['alignment', 'llm']],
      ['arxiv:2404.09833', ['3d-vision']],
    ]);
    expect((await runCliCaptured(['check'], { cwd: dir })).code).toBe(0);
  });

  it('--arxiv suggests tags from the categories; --enrich gives them to the papers it completes', async () => {
    await withVocabulary();
    const r = await fetchCli(['--arxiv', '2404.08634,2404.08197']);
    expect(r.code).toBe(0);
    const issue = await readIssue(path.join(dir, 'issues', '2024-04-15.md'));
    expect(issue.papers.map((p) => [p.id, p.tags])).toEqual([
      ['arxiv:2404.08634', ['llm']], // cs.CL
      ['arxiv:2404.08197', []], // cs.CV, cs.LG: no tag matches
    ]);
    expect(r.stderr).not.toMatch(/suggested, not in/); // categories that match nothing are not reported

    // The seed week (ready, no tags) in place of that draft.
    await copyFile(SEED, path.join(dir, 'issues', '2024-04-15.md'));
    const enrich = await fetchCli(['--enrich', 'issues/2024-04-15.md']);
    expect(enrich.code).toBe(0);
    const after = await readIssue(path.join(dir, 'issues', '2024-04-15.md'));
    // The seed's papers with cs.CL among their categories: Inheritune, TR-DPO, Megalodon, TransformerFAM, AlphaLLM.
    expect(after.papers.filter((p) => p.tags.length > 0).map((p) => [p.id, p.tags])).toEqual([
      ['arxiv:2404.08634', ['llm']],
      ['arxiv:2404.09656', ['llm']],
      ['arxiv:2404.08801', ['llm']],
      ['arxiv:2404.09173', ['llm']],
      ['arxiv:2404.12253', ['llm']],
    ]);
    expect(enrich.stderr).toMatch(/papers\.0 "Pre-training Small Base LMs with Fewer Tokens": found arxiv:2404\.08634: filled .*links\.pdf, tags\n/);
    expect((await runCliCaptured(['check'], { cwd: dir })).code).toBe(0);
  });

  it('a broken tags.yml is exit 2 naming its line, before any request; nothing is written', async () => {
    await withVocabulary(`${VOCABULARY}generation: { zh: 生成, en: Generation, match: diffusion }\n`);
    const r = await fetchCli(['--hf-date', '2024-04-15']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${vocabularyFile()}:7: generation.match: is not a list of keywords`);
    expect(src.requests).toHaveLength(0);
    expect(await readdir(path.join(dir, 'issues'))).toEqual(['tags.yml']);
  });
});
