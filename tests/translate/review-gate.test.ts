/**
 * Machine Text and missing Chinese as `check`, `send`, `build` and the scheduler see them, through
 * the real CLI on real files (and a real SQLite Store for send and run-due).
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';

/** Translated by `sudi translate`, not yet reviewed. */
const TRANSLATED = `---
title: 每周AI论文速递 (240415-240419)
week: { start: 2024-04-15, end: 2024-04-19 }
publish_at: 2024-04-20T09:00:00+08:00
status: draft
papers:
  - id: arxiv:2404.08634
    title:
      en: "Pre-training Small Base LMs with Fewer Tokens"
      zh: "使用更少的 Token 对小型基础 LMs 进行预训练"
    abstract:
      en: "We study a simple approach to develop a small base language model (LM)."
      zh: "我们研究了一种开发小型基础语言模型 (LM) 的简单方法。"
    machine: [ title.zh, abstract.zh ]
    links:
      abs: "https://arxiv.org/abs/2404.08634"
  - id: arxiv:2404.08801
    title:
      en: "Megalodon: Efficient LLM Pretraining and Inference with Unlimited Context Length"
      zh: "Megalodon:支持无限上下文长度的高效大语言模型预训练及推断"
    abstract:
      en: "We introduce Megalodon."
      zh: "我们推出了 Megalodon。"
    machine: [ abstract.zh ]
  - title: { en: "TransformerFAM: Feedback attention is working memory", zh: "TransformerFAM: 反馈注意力即工作记忆" }
    abstract: { zh: "我们提出了反馈注意力记忆。" }
---
`;

const NOW = new Date('2024-04-21T00:00:00Z');
let dir: string;
let cleanup: () => Promise<void>;
let file: string;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('sudi-review-'));
  await mkdir(path.join(dir, 'issues'));
  file = path.join(dir, 'issues', '2024-04-15.md');
});
afterEach(async () => cleanup());

const run = (...argv: string[]) => runCliCaptured(argv, { cwd: dir, now: NOW });
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const ready = (text: string) => text.replace('status: draft', 'status: ready');

describe('the review gate', () => {
  it('a draft: check lists each paper whose machine text awaits review, exit 0', async () => {
    await writeFile(file, TRANSLATED);
    const r = await run('check');
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:${lineOf(TRANSLATED, 'machine: [ title.zh')}: warning: papers.0.machine: title.zh and abstract.zh of paper 1 (arxiv:2404.08634) "Pre-training Small Base LMs with Fewer Tokens" is machine text to review (read it against the English, correct it if needed, then delete the entry from \`machine:\` (or the whole \`machine:\` line) to mark it reviewed)`,
      `${file}:${lineOf(TRANSLATED, 'machine: [ abstract.zh')}: warning: papers.1.machine: abstract.zh of paper 2 (arxiv:2404.08801) "Megalodon: Efficient LLM Pretraining and Inference with Unl…" is machine text to review (read it against the English, correct it if needed, then delete the entry from \`machine:\` (or the whole \`machine:\` line) to mark it reviewed)`,
    ]);
  });

  it('ready with unreviewed machine text: check refuses (exit 2) naming paper, field and how to mark it reviewed; one edit per paper clears it', async () => {
    const text = ready(TRANSLATED);
    await writeFile(file, text);
    const r = await run('check');
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      `${file}:${lineOf(text, 'machine: [ title.zh')}: papers.0.machine: title.zh and abstract.zh of paper 1 (arxiv:2404.08634) "Pre-training Small Base LMs with Fewer Tokens" is machine text nobody has reviewed (expected a person to read it before status: ready: read it against the English, correct it if needed, then delete the entry from \`machine:\` (or the whole \`machine:\` line) to mark it reviewed; or keep status: draft)`,
    );
    expect(lines[1]).toMatch(new RegExp(`^${file}:${lineOf(text, 'machine: [ abstract.zh')}: papers\\.1\\.machine: abstract\\.zh of paper 2 \\(arxiv:2404\\.08801\\) .* is machine text nobody has reviewed`));

    // Reviewed paper 1 (deleted its line), paper 2 still waiting: only paper 2 is named.
    const half = text.replace('    machine: [ title.zh, abstract.zh ]\n', '');
    await writeFile(file, half);
    const r2 = await run('check');
    expect(r2.code).toBe(2);
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(r2.stderr).toContain('papers.1.machine: abstract.zh of paper 2');

    // An emptied list counts as reviewed too.
    await writeFile(file, half.replace('machine: [ abstract.zh ]', 'machine: []'));
    expect(await run('check')).toMatchObject({ code: 0, stderr: '' });
  });

  it('sudi send refuses a ready issue with unreviewed machine text (exit 2), sends nothing', async () => {
    await writeFile(file, ready(TRANSLATED));
    const r = await run('send', '2024-04-15');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('papers.0.machine: title.zh and abstract.zh of paper 1 (arxiv:2404.08634)');
    expect(r.stderr).toContain('is machine text nobody has reviewed');
    expect(r.stdout).not.toContain('started the send');
    expect(await readdir(path.join(dir, 'outbox')).catch(() => [])).toEqual([]);
  });

  it('build publishes nothing and the scheduler sends nothing while machine text is unreviewed', async () => {
    await writeFile(file, ready(TRANSLATED));
    const build = await run('build');
    expect(build.code).toBe(2);
    expect(build.stderr).toContain('is machine text nobody has reviewed');
    expect(build.stderr).toContain('nothing was published');
    const tick = await run('run-due');
    expect(tick.code).toBe(2);
    expect(tick.stderr).toContain('papers.1.machine: abstract.zh of paper 2');
    expect(await readdir(path.join(dir, 'public')).catch(() => [])).toEqual([]);
    expect(await readdir(path.join(dir, 'outbox')).catch(() => [])).toEqual([]);

    // Reviewed: the same file publishes.
    await writeFile(file, ready(TRANSLATED).replace(/ {4}machine: .*\n/g, ''));
    const built = await run('build');
    expect(built.code).toBe(0);
    expect(built.stdout).toContain('1 issue(s) published');
  });

  it('machine: only names the translatable fields, each once', async () => {
    await writeFile(file, TRANSLATED.replace('machine: [ abstract.zh ]', 'machine: [ abstract.en ]'));
    const r = await run('check');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('papers.1.machine.0: is invalid (expected one of title.zh, abstract.zh)');
    await writeFile(file, TRANSLATED.replace('machine: [ abstract.zh ]', 'machine: [ abstract.zh, abstract.zh ]'));
    const twice = await run('check');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('papers.1.machine: names a field twice (expected each field once)');
  });
});

describe('without machine translation: what Chinese is missing', () => {
  const ENGLISH_ONLY = TRANSLATED.replace(/ {4}machine: .*\n/g, '')
    .replace('      zh: "使用更少的 Token 对小型基础 LMs 进行预训练"\n', '')
    .replace('      zh: "我们研究了一种开发小型基础语言模型 (LM) 的简单方法。"\n', '')
    .replace('      zh: "我们推出了 Megalodon。"\n', '');

  it('a draft: check lists exactly the missing Chinese, paper by paper, and exits 0', async () => {
    await writeFile(file, ENGLISH_ONLY);
    const r = await run('check');
    expect(r.code).toBe(0);
    const translate = '`sudi translate` on this file';
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:${lineOf(ENGLISH_ONLY, '    title:')}: warning: papers.0.title.zh: paper 1 (arxiv:2404.08634) "Pre-training Small Base LMs with Fewer Tokens" has no Chinese title yet (needed before status: ready; write it, or run ${translate})`,
      `${file}:${lineOf(ENGLISH_ONLY, '    abstract:')}: warning: papers.0.abstract.zh: paper 1 (arxiv:2404.08634) "Pre-training Small Base LMs with Fewer Tokens" has an English abstract and no Chinese one yet (optional; write it, or run ${translate})`,
      `${file}:${lineOf(ENGLISH_ONLY, '"We introduce Megalodon."') - 1}: warning: papers.1.abstract.zh: paper 2 (arxiv:2404.08801) "Megalodon: Efficient LLM Pretraining and Inference with Unl…" has an English abstract and no Chinese one yet (optional; write it, or run ${translate})`,
    ]);
  });

  it('ready requires the Chinese title (as before): exit 2 naming the paper; an English-only abstract is allowed', async () => {
    const text = ready(ENGLISH_ONLY);
    await writeFile(file, text);
    const r = await run('check');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:${lineOf(text, '    title:')}: papers.0.title.zh: is missing: paper 1 (arxiv:2404.08634) "Pre-training Small Base LMs with Fewer Tokens" has no Chinese title (expected it before status: ready; write it, or keep status: draft and run \`sudi translate\` on this file)`,
    ]);
    const send = await run('send', '2024-04-15');
    expect(send.code).toBe(2);
    expect(send.stderr).toContain('papers.0.title.zh: is missing');
  });

  it('the `sudi new` placeholders count as missing in a draft', async () => {
    expect((await run('new', '--week', '2024-04-22')).code).toBe(0);
    const skeleton = path.join(dir, 'issues', '2024-04-22.md');
    const r = await run('check');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${skeleton}:${lineOf(await readFile(skeleton, 'utf8'), 'zh: "TODO 中文标题"')}: warning: papers.0.title.zh: paper 1 "TODO English title" has no Chinese title yet`);
  });
});

describe('check and the glossary', () => {
  const MISMATCH = TRANSLATED.replace(/ {4}machine: .*\n/g, '').replace('高效大语言模型预训练及推断', '高效大型语言模型预训练及推断');

  it('warns where a glossary term is in the English but its Chinese is not used (default glossary)', async () => {
    await writeFile(file, MISMATCH);
    const r = await run('check');
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:${lineOf(MISMATCH, '高效大型语言模型')}: warning: papers.1.title.zh: the English title has "LLM" but this text does not use "大语言模型" (glossary: LLM → 大语言模型, from the default glossary; expected the glossary's term, or change the glossary)`,
    ]);
  });

  it('uses issues/glossary.yml when it exists: keep terms and plurals', async () => {
    await writeFile(path.join(dir, 'issues', 'glossary.yml'), 'LLM: keep\nlanguage model: 语言模型\nToken: keep\n');
    await writeFile(file, MISMATCH);
    const r = await run('check');
    expect(r.code).toBe(0);
    // "LLM: keep" and the Chinese title has no "LLM"; "Tokens" is kept as "Token"; "language model (LM)" is 语言模型.
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:${lineOf(MISMATCH, '高效大型语言模型')}: warning: papers.1.title.zh: the English title has "LLM" but this text does not use "LLM" (glossary: LLM → keep (the English term), from ${path.join(dir, 'issues', 'glossary.yml')}; expected the glossary's term, or change the glossary)`,
    ]);
  });

  it('a broken glossary file is a problem of its own (exit 2, with its line); the issues are still checked', async () => {
    await writeFile(path.join(dir, 'issues', 'glossary.yml'), 'LLM: 大语言模型\nZero-shot:\nllm: 大模型\n');
    await writeFile(file, ready(TRANSLATED));
    const r = await run('check');
    expect(r.code).toBe(2);
    const glossary = path.join(dir, 'issues', 'glossary.yml');
    expect(r.stderr).toContain(`${glossary}:2: Zero-shot: has no Chinese term (expected one line per term`);
    expect(r.stderr).toContain(`${glossary}:3: llm: is already on line 1 (terms are matched regardless of case; expected each term once)`);
    expect(r.stderr).toContain('is machine text nobody has reviewed');
  });
});
