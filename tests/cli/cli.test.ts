import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/cli/context.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { parseIssue } from '../../src/content/parse-issue.ts';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SEED_ISSUE = path.join(ROOT, 'issues', '2024-04-15.md');

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('sudi-cli-')));
afterEach(async () => cleanup());

/** Every command registered in the command table, read from the program itself. */
function commands(): readonly Command[] {
  const sink = { write: () => true };
  const ctx = createContext({ stdout: sink, stderr: sink, env: {}, cwd: ROOT, now: () => new Date(), shutdownSignal: new AbortController().signal });
  return buildProgram(ctx).commands;
}

function commandNames(): string[] {
  return commands().map((c) => c.name());
}

/** argv prefixes of every runnable command: `check`, or each subcommand of a group (`subscribers add`). */
function leafCommands(named: readonly string[]): string[][] {
  return commands()
    .filter((c) => named.includes(c.name()))
    .flatMap((c) => (c.commands.length > 0 ? c.commands.filter((s) => s.name() !== 'help').map((s) => [c.name(), s.name()]) : [[c.name()]]));
}

describe('sudi --help', () => {
  it('lists the commands of issue 2 and exits 0', async () => {
    const r = await runCliCaptured(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['check', 'import', 'new']) expect(r.stdout).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
  });

  it.each(commandNames())('sudi %s --help describes the command and its options, exit 0', async (name) => {
    const r = await runCliCaptured([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: sudi ${name}`);
    expect(r.stdout).toMatch(/^Options:\n/m);
    expect(r.stderr).toBe('');
  });

  it('every command named in issue 2 takes --issues DIR (default ./issues)', async () => {
    const named = ['check', 'import', 'new', 'build', 'preview', 'serve', 'subscribers', 'send', 'status', 'run-due', 'worker'];
    const leaves = leafCommands(named);
    expect(leaves).toEqual(expect.arrayContaining([['check'], ['import'], ['new']]));
    const without: string[] = [];
    for (const argv of leaves) {
      const r = await runCliCaptured([...argv, '--help']);
      if (!/--issues <dir>\s+directory of issue files \(default: "issues"\)/.test(r.stdout)) without.push(argv.join(' '));
    }
    expect(without).toEqual([]);
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await runCliCaptured(['frobnicate'])).code).toBe(2);
    const r = await runCliCaptured(['check', '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-option'/);
  });
});

describe('sudi new', () => {
  it('writes a draft skeleton for the week after the newest issue and prints its path', async () => {
    await writeFile(path.join(dir, '2024-04-15.md'), await readFile(SEED_ISSUE, 'utf8'));
    const r = await runCliCaptured(['new', '--issues', dir]);
    const file = path.join(dir, '2024-04-22.md');
    expect(r).toEqual({ code: 0, stdout: `${file}\n`, stderr: '' });
    const issue = parseIssue(file, await readFile(file, 'utf8'));
    expect(issue.status).toBe('draft');
    expect(issue.week).toEqual({ start: '2024-04-22', end: '2024-04-26' });
    expect(issue.publish_at).toBe('2024-04-27T09:00:00+08:00');
    expect((await runCliCaptured(['check', '--issues', dir])).code).toBe(0);
  });

  it('on an empty (or missing) directory uses the current week in TZ, from the injected clock', async () => {
    // Sunday 2024-06-09 17:30 UTC is already Monday 2024-06-10 01:30 in Shanghai, still Sunday in New York.
    const now = new Date('2024-06-09T17:30:00Z');
    const shanghai = await runCliCaptured(['new', '--issues', path.join(dir, 'a')], { now });
    expect(shanghai.stdout).toBe(`${path.join(dir, 'a', '2024-06-10.md')}\n`);
    const newYork = await runCliCaptured(['new', '--issues', path.join(dir, 'b')], { now, env: { TZ: 'America/New_York' } });
    expect(newYork.stdout).toBe(`${path.join(dir, 'b', '2024-06-03.md')}\n`);
  });

  it('refuses to overwrite an existing file (exit 1) and leaves it untouched', async () => {
    const file = path.join(dir, '2024-04-22.md');
    await writeFile(file, 'mine\n');
    const r = await runCliCaptured(['new', '--issues', dir, '--week', '2024-04-22']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file} already exists; not overwritten`);
    expect(await readFile(file, 'utf8')).toBe('mine\n');
    expect(await readdir(dir)).toEqual(['2024-04-22.md']);
  });

  it.each([
    ['next', /--week next is not a calendar date \(expected YYYY-MM-DD, e\.g\. 2024-04-22\)/],
    ['2024-13-01', /--week 2024-13-01 is not a calendar date \(expected YYYY-MM-DD/],
    ['2024-02-30', /--week 2024-02-30 is not a calendar date/],
    ['2024-04-17', /--week 2024-04-17 is a Wednesday, not a Monday \(expected the Monday the week starts on, e\.g\. 2024-04-15\)/],
  ])('rejects --week %s with exit 2, a clear message and no file', async (week, message) => {
    const r = await runCliCaptured(['new', '--issues', dir, '--week', week]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/unexpected failure| {4}at /);
    expect(await readdir(dir)).toEqual([]);
  });

  it('the skeleton passes check as a draft, but set to ready with its placeholders it is refused, naming each one', async () => {
    const r = await runCliCaptured(['new', '--issues', dir, '--week', '2024-04-22']);
    const file = path.join(dir, '2024-04-22.md');
    expect(r.code).toBe(0);
    await writeFile(file, (await readFile(file, 'utf8')).replace('status: draft', 'status: ready'));
    const c = await runCliCaptured(['check', '--issues', dir]);
    expect(c.code).toBe(2);
    const lines = (await readFile(file, 'utf8')).split('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(c.stderr).toContain(`${file}:${lineOf('TODO English title')}: papers.0.title.en: is the placeholder "TODO English title" from \`sudi new\``);
    expect(c.stderr).toContain(`${file}:${lineOf('TODO 中文标题')}: papers.0.title.zh: is the placeholder`);
    expect(c.stderr).toContain(`${file}:${lineOf('TODO 中文摘要')}: papers.0.abstract.zh: is the placeholder`);
    expect(c.stderr).toContain(`${file}:${lineOf('0000.00000')}: papers.0.links.paper: is the placeholder link https://arxiv.org/abs/0000.00000`);
    expect(c.stderr).toContain(`${file}:${lineOf("Optional editor's note")}: note: is the placeholder`);
    // Neither published nor sendable: build refuses it too.
    const b = await runCliCaptured(['build', '--issues', dir, '--out', path.join(dir, 'site')], { env: { SITE_URL: 'https://news.example.org/' } });
    expect(b.code).toBe(2);
    // Filled in, it is ready.
    const filled = (await readFile(file, 'utf8'))
      .replace('TODO English title', 'A real title')
      .replace('TODO 中文标题', '真正的标题')
      .replace('TODO 中文摘要', '真正的摘要')
      .replace('https://arxiv.org/abs/0000.00000', 'https://arxiv.org/abs/2404.08634')
      .replace("Optional editor's note in Markdown.", '');
    await writeFile(file, filled);
    const ok = await runCliCaptured(['check', '--issues', dir]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});

describe('the real bin/sudi.js', () => {
  it('runs check in a child process: 0 on the committed issues, 2 with FILE:LINE on a broken file', async () => {
    const run = promisify(execFile);
    const ok = await run(process.execPath, ['bin/sudi.js', 'check', '--issues', path.join(ROOT, 'issues')], { cwd: ROOT });
    expect(ok.stdout + ok.stderr).toBe('');

    const broken = (await readFile(SEED_ISSUE, 'utf8')).replace('status: ready', 'status: maybe');
    await writeFile(path.join(dir, '2024-04-15.md'), broken);
    const bad = await run(process.execPath, ['bin/sudi.js', 'check', '--issues', dir], { cwd: ROOT }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad.code).toBe(2);
    const line = broken.split('\n').findIndex((l) => l.startsWith('status:')) + 1;
    expect(bad.stderr).toContain(`${path.join(dir, '2024-04-15.md')}:${line}: status: is invalid (expected draft or ready)`);
  });
});
