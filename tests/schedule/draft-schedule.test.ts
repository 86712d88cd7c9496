/**
 * DRAFT_SCHEDULE: a tick of the (injected) cron assembles the week's draft from the recorded
 * Hugging Face and arXiv answers, translates it with the function it is given, and mails the editor
 * through the real SMTP transport (a real SMTP server captures the message; mailparser reads it).
 * It never overwrites a file and never marks anything ready.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { parseIssue } from '../../src/content/parse-issue.ts';
import { startDraftHook } from '../../src/cli/commands/serve.ts';
import { startDraftScheduler } from '../../src/schedule/draft-schedule.ts';
import type { TranslateIssue } from '../../src/sources/week-issue.ts';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';
import { fakeCron } from '../helpers/fake-cron.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { startSourceServer, type SourceServer } from '../helpers/source-server.ts';

let src: SourceServer;
let smtp: SmtpCapture;
let dir: string;
let cleanup: () => Promise<void>;
let apps: App[] = [];
const logs: string[] = [];
const clock = { now: new Date('2024-04-20T08:00:00+08:00') }; // Saturday of 2024-W16 in Shanghai

beforeEach(async () => {
  src = await startSourceServer();
  smtp = await startSmtpCapture();
  ({ dir, cleanup } = await tempDir('sudi-draft-'));
  logs.length = 0;
});
afterEach(async () => {
  for (const a of apps) await a.close();
  apps = [];
  await src.close();
  await smtp.close();
  await cleanup();
});

function app(env: Record<string, string> = {}): App {
  const config = parseConfig(
    {
      ...src.env,
      ARXIV_DELAY_MS: '0',
      TZ: 'Asia/Shanghai',
      SITE_URL: 'https://news.example.org/',
      MAIL_FROM: 'Sudi <digest@news.example.org>',
      SMTP_URL: smtp.url,
      DRAFT_SCHEDULE: '0 8 * * 6',
      EDITOR_EMAIL: 'editor@example.org',
      ...env,
    },
    dir,
  );
  const a = createApp(config, { now: () => clock.now, log: (l) => logs.push(l) });
  apps.push(a);
  return a;
}

/** A translator of the agreed shape: fills each missing Chinese title (and nothing else). */
const translate: TranslateIssue = async (front) => ({
  front: { ...front, papers: front.papers.map((p) => (p.title.zh ? p : { ...p, title: { ...p.title, zh: `译：${p.title.en}` } })) },
  report: {},
});

const file = () => path.join(dir, 'issues', '2024-04-15.md');

describe('DRAFT_SCHEDULE', () => {
  it("a tick writes the week's draft (digest title, cut, translated) and mails the editor a preview link and what needs a person", async () => {
    const c = fakeCron();
    const s = startDraftScheduler(app({ DRAFT_PAPERS: '5' }), { log: (l) => logs.push(l), cron: c, translate })!;
    expect(c.expressions).toEqual(['0 8 * * 6 Asia/Shanghai']);
    await c.fire();

    const issue = parseIssue(file(), await readFile(file(), 'utf8'));
    expect(issue.status).toBe('draft');
    expect(issue.title).toBe('每周AI论文速递（240415-240419）');
    expect(issue.publish_at).toBe('2024-04-20T09:00:00+08:00');
    expect(issue.papers.map((p) => [p.id, p.popularity?.upvotes])).toEqual([
      ['arxiv:2404.10667', 120],
      ['arxiv:2404.09656', 81],
      ['arxiv:2404.09173', 68],
      ['arxiv:2404.08801', 63],
      ['arxiv:2404.11614', 58],
    ]);
    expect(issue.papers[0]!.title.zh).toBe('译：VASA-1: Lifelike Audio-Driven Talking Faces Generated in Real Time');
    expect(src.requests.map((q) => new URL(q.url, src.url).searchParams.get('week') ?? 'arxiv')).toEqual(['2024-W16', 'arxiv']);

    expect(smtp.accepted()).toHaveLength(1);
    const [m] = smtp.accepted();
    expect(m!.to).toEqual(['editor@example.org']);
    const mail = await simpleParser(m!.raw);
    expect(mail.subject).toBe('Draft to review: 每周AI论文速递（240415-240419）');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.text).toContain(`File: ${file()} (status: draft`);
    expect(mail.text).toContain('Preview: run `sudi preview 2024-04-15` and open http://127.0.0.1:4000/');
    expect(mail.text).toContain('https://news.example.org/issues/2024-04-15/');
    // Translated titles are done; each Chinese abstract still needs a person.
    expect(mail.text).toContain('- papers.0 arxiv:2404.10667 "VASA-1: Lifelike Audio-Driven Talking Faces Generated in Real Time": the Chinese abstract\n');
    expect(mail.text).not.toContain('the Chinese title');
    expect(mail.text).toContain('1. VASA-1: Lifelike Audio-Driven Talking Faces Generated in Real Time (120 upvotes)\n   https://arxiv.org/abs/2404.10667');
    expect(logs.join('\n')).toMatch(/draft schedule: wrote .*2024-04-15\.md with 5 paper\(s\); 5 need a person; mailed editor@example\.org/);

    // The next tick: the file exists, so nothing is asked, written or mailed, even after the editor's edits.
    const edited = (await readFile(file(), 'utf8')).replace('译：VASA-1', 'VASA-1');
    await writeFile(file(), edited);
    await c.fire();
    expect(await readFile(file(), 'utf8')).toBe(edited);
    expect(src.requests).toHaveLength(2);
    expect(smtp.messages).toHaveLength(1);
    expect(logs.at(-1)).toMatch(/2024-04-15\.md exists; left as it is/);
    await s.stop();
  });

  it('without translation the Chinese titles are placeholders the mail lists; DRAFT_MIN_UPVOTES is the cut', async () => {
    const c = fakeCron();
    const s = startDraftScheduler(app({ DRAFT_MIN_UPVOTES: '60' }), { log: (l) => logs.push(l), cron: c })!;
    await c.fire();
    const issue = parseIssue(file(), await readFile(file(), 'utf8'));
    expect(issue.papers.map((p) => p.popularity?.upvotes)).toEqual([120, 81, 68, 63]);
    expect(issue.papers.every((p) => p.title.zh === 'TODO 中文标题')).toBe(true);
    const mail = await simpleParser(smtp.accepted()[0]!.raw);
    expect(mail.text).toContain('"Megalodon: Efficient LLM Pretraining and Inference with Unlimited Context Length": the Chinese title; the Chinese abstract');
    await s.stop();
  });

  it('with issues/tags.yml the draft carries only vocabulary tags and passes check; the mail lists the keywords no tag matched', async () => {
    await mkdir(path.join(dir, 'issues'));
    const vocabulary = path.join(dir, 'issues', 'tags.yml');
    await writeFile(
      vocabulary,
      'llm: { zh: 大语言模型, en: Large language models, match: [cs.CL] }\nalignment: { zh: 对齐, en: Alignment, match: [DPO, RLHF] }\n' +
        'long-context: { zh: 长上下文, en: Long context }\ngeneration: { zh: 生成, en: Generation, match: [diffusion, video diffusion] }\n',
    );
    const c = fakeCron();
    const s = startDraftScheduler(app({ DRAFT_PAPERS: '5' }), { log: (l) => logs.push(l), cron: c })!;
    await c.fire();
    const issue = parseIssue(file(), await readFile(file(), 'utf8'));
    expect(issue.papers.map((p) => [p.id, p.tags])).toEqual([
      ['arxiv:2404.10667', ['generation']],
      ['arxiv:2404.09656', ['alignment', 'llm']],
      ['arxiv:2404.09173', ['long-context', 'llm']],
      ['arxiv:2404.08801', ['long-context', 'llm']],
      ['arxiv:2404.11614', ['generation']],
    ]);
    const check = await runCliCaptured(['check'], { cwd: dir });
    expect(check.stderr).not.toMatch(/tag vocabulary/);
    expect(check.code).toBe(0);

    const mail = await simpleParser(smtp.accepted()[0]!.raw);
    expect(mail.text).toContain(
      `Suggested tags not in ${vocabulary} (add those worth a tag there, as a tag or in a tag's match: list):\n` +
        '- arxiv:2404.10667: talking faces, audio-driven, face latent space\n' +
        '- arxiv:2404.09656: TR-DPO, reference policy, Trust Region\n' +
        '- arxiv:2404.09173: Feedback Attention Memory, working memory\n' +
        '- arxiv:2404.08801: Megalodon, CEMA, pretraining\n' +
        '- arxiv:2404.11614: text animation, vector graphics\n',
    );
    await s.stop();
  });

  it("never replaces the editor's file; a week with no paper past the cut writes and mails nothing", async () => {
    await mkdir(path.join(dir, 'issues'));
    await writeFile(file(), 'the editor was here\n');
    const c = fakeCron();
    const s = startDraftScheduler(app(), { log: (l) => logs.push(l), cron: c })!;
    await c.fire();
    expect(await readFile(file(), 'utf8')).toBe('the editor was here\n');
    expect(src.requests).toHaveLength(0);

    clock.now = new Date('2024-04-27T08:00:00+08:00'); // 2024-W17: Hugging Face lists nothing
    await c.fire();
    expect(logs.at(-1)).toMatch(/Hugging Face lists 0 paper\(s\) for 2024-W17, none past the cut; no draft written/);
    expect(smtp.messages).toHaveLength(0);
    await s.stop();
    clock.now = new Date('2024-04-20T08:00:00+08:00');
  });

  it("runs in sudi serve (its start-up hook) with the real node-cron, and stops with it", async () => {
    const hookLogs: string[] = [];
    const a = app();
    const withLog = createApp(a.config, { now: () => clock.now, log: (l) => hookLogs.push(l) });
    apps.push(withLog);
    const stop = await startDraftHook(withLog, undefined as never, undefined as never);
    expect(hookLogs).toEqual(['draft schedule: "0 8 * * 6" in Asia/Shanghai: assemble the week\'s draft from Hugging Face']);
    expect(typeof stop).toBe('function');
    await stop!();
    expect(await startDraftHook(app({ DRAFT_SCHEDULE: '' }), undefined as never, undefined as never)).toBeUndefined();
  });

  it('is off without DRAFT_SCHEDULE; a bad DRAFT_* setting is refused at start-up', () => {
    expect(startDraftScheduler(app({ DRAFT_SCHEDULE: '' }), { log: () => {}, cron: fakeCron() })).toBeNull();
    // Shaped like cron, but node-cron (the one that runs it) refuses the values: refused as serve starts.
    expect(() => startDraftScheduler(app({ DRAFT_SCHEDULE: '0 25 * * 5' }), { log: () => {}, cron: fakeCron() })).toThrow(/^DRAFT_SCHEDULE "0 25 \* \* 5" is not a cron expression/);
    expect(() => parseConfig({ DRAFT_SCHEDULE: 'every friday' }, dir)).toThrow(/invalid configuration/);
    let problems = '';
    try {
      parseConfig({ DRAFT_SCHEDULE: 'every friday', DRAFT_PAPERS: '0', EDITOR_EMAIL: 'not an address', HF_API_URL: 'ftp://x' }, dir);
    } catch (e) {
      problems = (e as { problems: string[] }).problems.join('\n');
    }
    {
      expect(problems).toMatch(/DRAFT_SCHEDULE: is not a cron expression \(expected five fields, e\.g\. "0 8 \* \* 5" for Fridays at 08:00\)/);
      expect(problems).toMatch(/DRAFT_PAPERS: /);
      expect(problems).toMatch(/EDITOR_EMAIL: /);
      expect(problems).toMatch(/HF_API_URL: must start with https:\/\/ or http:\/\//);
    }
  });
});
