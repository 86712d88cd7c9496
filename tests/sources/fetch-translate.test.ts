/**
 * The editor's week from an empty `issues/`: `sudi fetch --hf-date` with a local chat-completions
 * stub as the translator writes a draft whose `check` lists exactly what a person must review; once
 * each machine-written field is marked reviewed and the issue is ready, `check` passes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseIssue } from '../../src/content/parse-issue.ts';
import { startChatStub, type ChatStub } from '../helpers/chat-stub.ts';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';
import { startSourceServer, type SourceServer } from '../helpers/source-server.ts';

let src: SourceServer;
let chat: ChatStub;
/** Runs once, at the stub's next request (a person saving the file meanwhile). */
let onFirstRequest: (() => Promise<void>) | null = null;
let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  src = await startSourceServer();
  // Answers in Chinese with full-width parentheses, which the house style turns half-width.
  chat = await startChatStub(async (req) => {
    const hook = onFirstRequest;
    onFirstRequest = null;
    if (hook) await hook();
    return reply(req);
  });
  ({ dir, cleanup } = await tempDir('sudi-fetch-tr-'));
});
const reply = (req: { system: string; user: string }) => ({ content: req.system.includes('title') && req.user.length < 200 ? `译：${req.user.slice(0, 20)}（标题）` : `摘要译文（${req.user.length} 字符）。` });
afterEach(async () => {
  onFirstRequest = null;
  await chat.close();
  await src.close();
  await cleanup();
});

const env = () => ({ ...src.env, ARXIV_DELAY_MS: '0', TRANSLATE_URL: chat.url, TRANSLATE_MODEL: 'stub-model', TRANSLATE_API_KEY: 'sk-test-key-123456' });
const cli = (args: string[]) => runCliCaptured(args, { cwd: dir, env: env(), now: new Date('2024-04-17T10:00:00+08:00') });

it('fetch translates the missing Chinese, marks it machine text, and check names each field to review', async () => {
  const r = await cli(['fetch', '--hf-date', '2024-04-15']);
  expect(r.stderr).not.toMatch(/translation failed/);
  expect(r.code).toBe(0);
  const file = path.join(dir, 'issues', '2024-04-15.md');
  const issue = parseIssue(file, await readFile(file, 'utf8'));
  expect(issue.status).toBe('draft');
  expect(issue.papers).toHaveLength(3);
  // Two fields per paper (title and abstract), each one request.
  expect(chat.requests).toHaveLength(6);
  expect(chat.requests.every((q) => q.headers.authorization === 'Bearer sk-test-key-123456')).toBe(true);
  for (const p of issue.papers) {
    expect(p.machine).toEqual(['title.zh', 'abstract.zh']);
    expect(p.title.zh).toMatch(/^译：.* \(标题\)$/); // half-width parentheses with a space outside
    expect(p.abstract.zh).toMatch(/^摘要译文 \(\d+ 字符\)。$/);
  }
  expect(r.stderr).toMatch(/still needs a person \(3 paper\(s\)\)/);
  expect(r.stdout + r.stderr).not.toContain('sk-test-key-123456');

  // check lists exactly the six machine-written fields, and a ready issue with them is refused.
  const draftCheck = await cli(['check']);
  expect(draftCheck.code).toBe(0);
  const review = (out: string) => out.split('\n').filter((l) => /machine/i.test(l) && /papers\.\d/.test(l));
  expect(review(draftCheck.stdout + draftCheck.stderr).length).toBeGreaterThanOrEqual(3);
  const ready = (await readFile(file, 'utf8')).replace('status: draft', 'status: ready');
  await writeFile(file, ready);
  const refused = await cli(['check']);
  expect(refused.code).toBe(2);
  for (let i = 0; i < 3; i++) expect(refused.stderr).toMatch(new RegExp(`papers\\.${i}\\b[^\\n]*machine`));

  // One small edit per paper: delete its machine: line. Then the ready issue passes.
  await writeFile(file, ready.replace(/^ *machine: .*\n/gm, ''));
  const ok = await cli(['check']);
  expect(ok.code).toBe(0);
  expect(ok.stderr).not.toMatch(/machine/);
  // The stub ignores the house style, which check points out (warnings, not refusals).
  expect(ok.stderr).toMatch(/warning: papers\.1\.title\.zh: the English title has "LLM" but this text does not use "大语言模型"/);
});

it('an edit the editor saves while fetch is translating is not written over: nothing is written, exit 1', async () => {
  expect((await cli(['fetch', '--hf-date', '2024-04-15'])).code).toBe(0);
  const file = path.join(dir, 'issues', '2024-04-15.md');
  // Make the next fetch have something to translate: one Chinese title back to the placeholder.
  const before = (await readFile(file, 'utf8')).replace(/zh: "译：[^"]*"/, 'zh: "TODO 中文标题"');
  await writeFile(file, before);
  const edited = before.replace('status: draft', 'status: draft\n# the editor was here');
  onFirstRequest = () => writeFile(file, edited);
  const r = await cli(['fetch', '--hf-date', '2024-04-15']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`${file} changed while fetching; nothing was written`);
  expect(await readFile(file, 'utf8')).toBe(edited);
});

it('translates with the Glossary beside the issue file, as check will hold it to', async () => {
  await mkdir(path.join(dir, 'other'), { recursive: true });
  await writeFile(path.join(dir, 'other', 'glossary.yml'), 'Megalodon: 巨齿鲨模型\n');
  const r = await cli(['fetch', '--hf-date', '2024-04-15', '--into', 'other/2024-04-15.md']);
  expect(r.code, r.stderr).toBe(0);
  expect(chat.requests.length).toBeGreaterThan(0);
  expect(chat.requests.every((q) => `${q.system}\n${q.user}`.includes('巨齿鲨模型'))).toBe(true);
});
