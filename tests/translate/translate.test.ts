/**
 * `sudi translate` and translateIssue against a local chat-completions server (chat-stub.ts): the
 * real CLI, the real openai client, real HTTP on 127.0.0.1, real files.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseIssue } from '../../src/content/parse-issue.ts';
import { parseConfig } from '../../src/config.ts';
import { DEFAULT_GLOSSARY } from '../../src/content/glossary.ts';
import { translateIssue } from '../../src/translate/translate-issue.ts';
import { englishOf, startChatStub, type Answer, type ChatStub } from '../helpers/chat-stub.ts';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';

const KEY = 'sk-test-0123456789abcdef';

/** A fetched draft: English only for paper 1, an English abstract to translate for paper 2, paper 3 complete. */
const DRAFT = `---
# Fetched from arXiv; the editor's comment stays.
title: 每周AI论文速递 (240415-240419)
week: { start: 2024-04-15, end: 2024-04-19 }
publish_at: 2024-04-20T09:00:00+08:00
status: draft
papers:
  - id: arxiv:2404.08634
    title:
      en: "Pre-training Small Base LMs with Fewer Tokens"
    abstract:
      en: "We study a simple approach to develop a small base language model (LM) starting from an existing large base LM."
    links:
      abs: "https://arxiv.org/abs/2404.08634"
  - id: arxiv:2404.08801
    title:
      en: "Megalodon: Efficient LLM Pretraining and Inference with Unlimited Context Length"
      zh: "Megalodon:支持无限上下文长度的高效大语言模型预训练及推断"
    abstract:
      en: "We introduce Megalodon, a neural architecture for efficient sequence modeling with unlimited context length."
  - title: { en: "TransformerFAM: Feedback attention is working memory", zh: "TransformerFAM: 反馈注意力即工作记忆" }
    abstract: { zh: "我们提出了反馈注意力记忆 (Feedback Attention Memory, FAM)。" }
---
The editor's note.
`;

/** What the stub "model" answers for each English text (full-width parentheses on purpose). */
const CHINESE: Record<string, string> = {
  'Pre-training Small Base LMs with Fewer Tokens': '使用更少的 Token 对小型基础 LMs 进行预训练',
  'We study a simple approach to develop a small base language model (LM) starting from an existing large base LM.':
    '我们研究了一种简单方法来开发一个小型基础语言模型（LM），从一个现有的大型基础 LM 开始。',
  'We introduce Megalodon, a neural architecture for efficient sequence modeling with unlimited context length.':
    '我们推出了 Megalodon，一种能够高效处理无限上下文长度序列的神经架构。',
};
const translator: Answer = (req) => {
  const zh = CHINESE[englishOf(req)];
  return zh === undefined ? { status: 400, body: `{"error":{"message":"unexpected text ${JSON.stringify(englishOf(req))}"}}` } : { content: zh };
};

let dir: string;
let cleanup: () => Promise<void>;
let stub: ChatStub | undefined;
let file: string;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('sudi-translate-'));
  file = path.join(dir, 'issues', '2024-04-15.md');
  await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(file)));
  await writeFile(file, DRAFT);
});
afterEach(async () => {
  await stub?.close();
  stub = undefined;
  await cleanup();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { TRANSLATE_URL: stub!.url, TRANSLATE_MODEL: 'stub-model', TRANSLATE_API_KEY: KEY, ...extra };
}
const translate = (extra: Record<string, string> = {}) => runCliCaptured(['translate', 'issues/2024-04-15.md'], { cwd: dir, env: env(extra) });

describe('sudi translate', () => {
  it('fills the missing Chinese, normalised, marks it as machine text, and changes nothing else in the file', async () => {
    stub = await startChatStub(translator);
    const r = await translate();
    expect(r.stderr).toContain('translating 3 field(s) with stub-model');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('machine text: papers.0.title.zh of paper 1 (arxiv:2404.08634) "Pre-training Small Base LMs with Fewer Tokens"');
    expect(r.stdout).toContain('machine text: papers.1.abstract.zh of paper 2 (arxiv:2404.08801)');
    expect(r.stdout).toContain("delete its entry from the paper's machine: list");

    const text = await readFile(file, 'utf8');
    const issue = parseIssue(file, text);
    expect(issue.papers[0]!.title.zh).toBe('使用更少的 Token 对小型基础 LMs 进行预训练');
    // Full-width parentheses from the model → the house style.
    expect(issue.papers[0]!.abstract.zh).toBe('我们研究了一种简单方法来开发一个小型基础语言模型 (LM)，从一个现有的大型基础 LM 开始。');
    expect(issue.papers[0]!.machine).toEqual(['title.zh', 'abstract.zh']);
    expect(issue.papers[1]!.machine).toEqual(['abstract.zh']);
    expect(issue.papers[1]!.title.zh).toBe('Megalodon:支持无限上下文长度的高效大语言模型预训练及推断');
    expect(issue.papers[2]!.machine).toBeUndefined();
    // Only added lines: every line of the original is still there, in order, untouched.
    const added = text.split('\n');
    let at = 0;
    for (const line of DRAFT.split('\n')) {
      at = added.indexOf(line, at);
      expect(at, `line kept: ${line}`).toBeGreaterThanOrEqual(0);
    }
    expect(text).toContain('    machine: [ title.zh, abstract.zh ]\n    links:');
    expect(text.endsWith('---\nThe editor\'s note.\n')).toBe(true);

    // One request per field, in the OpenAI shape, with the key as a bearer token and temperature 0.
    expect(stub.requests).toHaveLength(3);
    for (const req of stub.requests) {
      expect(req.path).toBe('/v1/chat/completions');
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(req.body).toMatchObject({ model: 'stub-model', temperature: 0 });
      expect(req.body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    }
    expect(r.stdout + r.stderr).not.toContain(KEY);

    // Run again: nothing left to translate, nothing requested, the file untouched.
    const again = await translate();
    expect(again).toMatchObject({ code: 0, stdout: 'nothing to translate in issues/2024-04-15.md: every paper with English text has its Chinese\n' });
    expect(stub.requests).toHaveLength(3);
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('puts the house style and the glossary into every prompt: the default glossary, or issues/glossary.yml', async () => {
    stub = await startChatStub(translator);
    expect((await translate()).code).toBe(0);
    for (const req of stub.requests) {
      for (const e of DEFAULT_GLOSSARY.entries) expect(req.system).toContain(e.keep ? `- ${e.en} → ${e.en} (keep it in English)` : `- ${e.en} → ${e.zh}`);
      expect(req.system).toContain('LLM → 大语言模型');
      expect(req.system).toContain('AI Agent → AI 智能体');
      expect(req.system).toContain('语言模型 (LM)，');
      expect(req.system).toMatch(/Keep every number, unit, version, model name/);
      expect(req.system).toMatch(/people's names and company and organisation names in English/);
      expect(req.system).toMatch(/中文 \(English\) the first time/);
    }
    expect(stub.requests.map(englishOf).sort()).toEqual(Object.keys(CHINESE).sort());

    await writeFile(file, DRAFT);
    await writeFile(path.join(dir, 'issues', 'glossary.yml'), '# our house terms\nLLM: keep\nDiffusion model: 扩散模型\n');
    stub.requests.length = 0;
    expect((await translate()).code).toBe(0);
    expect(stub.requests).toHaveLength(3);
    for (const req of stub.requests) {
      expect(req.system).toContain('- LLM → LLM (keep it in English)');
      expect(req.system).toContain('- Diffusion model → 扩散模型');
      expect(req.system).not.toContain('零样本');
    }
  });

  it('429 then an answer: retried after Retry-After, translated', async () => {
    let refused = 0;
    stub = await startChatStub((req, n) => {
      if (n === 1) {
        refused++;
        return { status: 429, headers: { 'retry-after': '0' }, body: '{"error":{"message":"rate limited"}}' };
      }
      return translator(req, n);
    });
    const r = await translate();
    expect(r.code).toBe(0);
    expect(refused).toBe(1);
    expect(stub.requests).toHaveLength(4);
    const issue = parseIssue(file, await readFile(file, 'utf8'));
    expect(issue.papers[0]!.machine).toEqual(['title.zh', 'abstract.zh']);
    expect(issue.papers[1]!.machine).toEqual(['abstract.zh']);
  });

  it('500 three times: that field stays empty and is named with its paper, the rest is written, exit 1', async () => {
    const abstract0 = 'We study a simple approach to develop a small base language model (LM) starting from an existing large base LM.';
    stub = await startChatStub((req, n) =>
      englishOf(req) === abstract0 ? { status: 500, headers: { 'retry-after': '0' }, body: '{"error":{"message":"the model is overloaded"}}' } : translator(req, n),
    );
    const r = await translate();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'failed: papers.0.abstract.zh of paper 1 (arxiv:2404.08634) "Pre-training Small Base LMs with Fewer Tokens": HTTP 500 (3 tries): 500 the model is overloaded; left as it was',
    );
    expect(r.stderr).toContain('1 field(s) not translated; run `sudi translate issues/2024-04-15.md` again to retry them');
    expect(stub.requests.filter((q) => englishOf(q) === abstract0)).toHaveLength(3);
    const issue = parseIssue(file, await readFile(file, 'utf8'));
    expect(issue.papers[0]!.abstract.zh).toBeUndefined();
    expect(issue.papers[0]!.title.zh).toBe('使用更少的 Token 对小型基础 LMs 进行预训练');
    expect(issue.papers[0]!.machine).toEqual(['title.zh']);
    expect(issue.papers[1]!.machine).toEqual(['abstract.zh']);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('a malformed answer (not JSON, not a chat completion, cut off) fails that field without retrying', async () => {
    const title0 = 'Pre-training Small Base LMs with Fewer Tokens';
    const abstract0 = 'We study a simple approach to develop a small base language model (LM) starting from an existing large base LM.';
    const abstract1 = 'We introduce Megalodon, a neural architecture for efficient sequence modeling with unlimited context length.';
    stub = await startChatStub((req) => {
      if (englishOf(req) === title0) return { status: 200, body: '{"choices": [{"message": {"content": "使用' };
      if (englishOf(req) === abstract1) return { status: 200, body: '{"result": "我们推出了 Megalodon"}' };
      if (englishOf(req) === abstract0) return { content: '我们研究了一种', finishReason: 'length' };
      return { status: 400, body: '{"error":{"message":"no other request expected"}}' };
    });
    const r = await translate();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed: papers\.0\.title\.zh of paper 1 \(arxiv:2404\.08634\) "Pre-training Small Base LMs with Fewer Tokens": the answer is not JSON \(.+\); left as it was/);
    expect(r.stderr).toMatch(/failed: papers\.1\.abstract\.zh of paper 2 \(arxiv:2404\.08801\) "Megalodon: .*": the answer is not a chat completion \(expected JSON with choices\[0\]\.message\.content; got \{"result":"我们推出了 Megalodon"\}\)/);
    expect(r.stderr).toContain('failed: papers.0.abstract.zh of paper 1 (arxiv:2404.08634) "Pre-training Small Base LMs with Fewer Tokens": the answer was cut off at the model\'s length limit (finish_reason "length"); left as it was');
    expect(stub.requests).toHaveLength(3);
    // Nothing translated: the file is as it was.
    expect(await readFile(file, 'utf8')).toBe(DRAFT);
  });

  it('a server that never answers: each try ends at TRANSLATE_TIMEOUT_SECONDS, 3 tries, the field is named', async () => {
    const title0 = 'Pre-training Small Base LMs with Fewer Tokens';
    stub = await startChatStub((req, n) => (englishOf(req) === title0 ? { hang: true } : translator(req, n)));
    const r = await translate({ TRANSLATE_TIMEOUT_SECONDS: '0.05' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('failed: papers.0.title.zh of paper 1 (arxiv:2404.08634) "Pre-training Small Base LMs with Fewer Tokens": no answer within 0.05 s (3 tries); left as it was');
    expect(stub.requests.filter((q) => englishOf(q) === title0)).toHaveLength(3);
    const issue = parseIssue(file, await readFile(file, 'utf8'));
    expect(issue.papers[0]!.title.zh).toBeUndefined();
    expect(issue.papers[0]!.abstract.zh).toBeDefined();
  });

  it('when every request fails the file is not touched at all', async () => {
    stub = await startChatStub(() => ({ status: 401, body: '{"error":{"message":"invalid api key"}}' }));
    const r = await translate();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('failed: papers.0.title.zh of paper 1 (arxiv:2404.08634) "Pre-training Small Base LMs with Fewer Tokens": HTTP 401: 401 invalid api key; left as it was');
    // 401 is not worth retrying.
    expect(stub.requests).toHaveLength(3);
    expect(await readFile(file, 'utf8')).toBe(DRAFT);
  });

  it('an issue file edited while translating is not overwritten (exit 1, the edit kept)', async () => {
    const edited = DRAFT.replace("The editor's note.", 'A note written meanwhile.');
    stub = await startChatStub(async (req, n) => {
      if (n === 1) await writeFile(file, edited);
      return translator(req, n);
    });
    const r = await translate();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('issues/2024-04-15.md changed while it was being translated; nothing written');
    expect(await readFile(file, 'utf8')).toBe(edited);
  });

  it('without the settings: exit 2 naming them; partial settings and a bad key are refused, the key never shown', async () => {
    const none = await runCliCaptured(['translate', 'issues/2024-04-15.md'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('machine translation is not configured: set TRANSLATE_URL, TRANSLATE_MODEL and TRANSLATE_API_KEY');
    const partial = await runCliCaptured(['translate', 'issues/2024-04-15.md'], { cwd: dir, env: { TRANSLATE_URL: 'http://127.0.0.1:9/v1' } });
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain('needs TRANSLATE_URL, TRANSLATE_MODEL and TRANSLATE_API_KEY together');
    const badKey = await runCliCaptured(['translate', 'issues/2024-04-15.md'], {
      cwd: dir,
      env: { TRANSLATE_URL: 'http://127.0.0.1:9/v1', TRANSLATE_MODEL: 'm', TRANSLATE_API_KEY: 'sk secret with spaces' },
    });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('TRANSLATE_API_KEY: contains whitespace or a control character');
    expect(badKey.stderr).toContain('(got 21 characters, not shown)');
    expect(badKey.stderr).not.toContain('secret');
    expect(await readFile(file, 'utf8')).toBe(DRAFT);
  });

  it('an invalid issue file is refused with its problems, nothing requested', async () => {
    stub = await startChatStub(translator);
    await writeFile(file, DRAFT.replace('status: draft', 'status: done'));
    const r = await translate();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/issues\/2024-04-15\.md:\d+: status: .*expected draft or ready/);
    expect(stub.requests).toHaveLength(0);
  });
});

describe('translateIssue (for sudi fetch and the draft job)', () => {
  it('keeps at most TRANSLATE_CONCURRENCY requests in flight, and uses them all', async () => {
    const papers = Array.from({ length: 5 }, (_, i) => ({ title: { en: `Paper number ${i + 1}` }, abstract: { en: `Abstract number ${i + 1}.` }, links: {}, tags: [] }));
    const front = { title: 't', week: { start: '2024-04-15', end: '2024-04-19' }, publish_at: '2024-04-20T09:00:00+08:00', status: 'draft' as const, papers };
    // The server answers only once as many requests are waiting as may be (2, or what is left):
    // without a bound all 10 would be sent at once; with a bound of 1 this would wait forever.
    const limit = 2;
    const total = papers.length * 2;
    let answered = 0;
    const held: Array<() => void> = [];
    stub = await startChatStub(
      (req) =>
        new Promise((resolve) => {
          held.push(() => resolve({ content: `译：${englishOf(req)}` }));
          if (held.length === Math.min(limit, total - answered)) {
            answered += held.length;
            for (const release of held.splice(0)) release();
          }
        }),
    );
    let inFlight = 0;
    let most = 0;
    const counting: typeof fetch = async (input, init) => {
      most = Math.max(most, ++inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const config = parseConfig({ ...env(), TRANSLATE_CONCURRENCY: String(limit) }, dir);
    const lines: string[] = [];
    const { front: out, report } = await translateIssue(front, { config, log: (l) => lines.push(l), fetch: counting });
    expect(most).toBe(limit);
    expect(stub.requests).toHaveLength(total);
    expect(report.failed).toEqual([]);
    expect(report.translated).toHaveLength(total);
    expect(report.glossary).toBe('the default glossary');
    expect(out.papers.map((p) => p.title.zh)).toEqual(papers.map((p) => `译：${p.title.en}`));
    expect(out.papers.every((p) => p.machine?.join() === 'title.zh,abstract.zh')).toBe(true);
    expect(lines).toEqual([`translating 10 field(s) with stub-model at ${stub.url}, 2 at a time (glossary: the default glossary)`]);
    // The input is not changed: the caller decides what to write.
    expect(front.papers[0]!.title).toEqual({ en: 'Paper number 1' });
  });

  it('fills `sudi new` placeholders, never what a person wrote, and adds to existing machine marks', async () => {
    stub = await startChatStub((req) => ({ content: `译：${englishOf(req)}` }));
    const front = {
      title: 't',
      week: { start: '2024-04-15', end: '2024-04-19' },
      publish_at: '2024-04-20T09:00:00+08:00',
      status: 'draft' as const,
      papers: [
        { title: { en: 'A real title', zh: 'TODO 中文标题' }, abstract: { en: 'A real abstract.', zh: '人写的摘要。' }, links: {}, tags: [] },
        { title: { en: 'TODO English title', zh: 'TODO 中文标题' }, abstract: { zh: 'TODO 中文摘要' }, links: {}, tags: [] },
        { title: { en: 'Third', zh: '第三' }, abstract: { en: 'Third abstract.' }, machine: ['title.zh' as const], links: {}, tags: [] },
      ],
    };
    const { front: out, report } = await translateIssue(front, { config: parseConfig(env(), dir), log: () => {} });
    expect(report.translated.map((t) => `${t.paper}:${t.field}`)).toEqual(['0:title.zh', '2:abstract.zh']);
    expect(out.papers[0]).toMatchObject({ title: { zh: '译：A real title' }, abstract: { zh: '人写的摘要。' }, machine: ['title.zh'] });
    expect(out.papers[1]).toEqual(front.papers[1]);
    expect(out.papers[2]).toMatchObject({ title: { zh: '第三' }, abstract: { zh: '译：Third abstract.' }, machine: ['title.zh', 'abstract.zh'] });
  });

  it('refuses to run without translation configured', async () => {
    const config = parseConfig({}, dir);
    await expect(translateIssue(parseIssue(file, DRAFT), { config, log: () => {} })).rejects.toThrow(/machine translation is not configured/);
  });
});
