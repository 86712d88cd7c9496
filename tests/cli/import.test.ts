import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseIssue } from '../../src/content/parse-issue.ts';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';

const SEED = path.resolve(import.meta.dirname, '../fixtures/digests/weekly-ai-papers-240415-240419.txt');

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('sudi-import-')));
afterEach(async () => cleanup());

describe('sudi import', () => {
  it.each([
    ['one Latin footer line', ['Powered by Example Blog 2024']],
    ['several Latin footer lines', ['Powered by Example Blog 2024', 'All rights reserved', 'Theme by Someone']],
    ['one CJK footer line', ['版权所有 © 2024 示例博客']],
    ['several mixed footer lines', ['Made with love by the editors', 'Follow us on Example', '(☆ω☆)']],
    ['a CJK line, then a Latin one', ['登录以发表看法', 'Powered by Example Blog 2024']],
  ])('%s after the last paper: dropped with a warning naming the lines, the same issue as without them', async (_name, footer) => {
    // The seed up to the end of its last paper (its own chrome starts at 暂无评论), then the footer.
    const seed = await readFile(SEED, 'utf8');
    const papersOnly = seed.slice(0, seed.indexOf('暂无评论')).trimEnd();
    const firstFooterLine = papersOnly.split('\n').length + 2;
    await writeFile(path.join(dir, 'plain.txt'), `${papersOnly}\n`);
    await writeFile(path.join(dir, 'footer.txt'), `${papersOnly}\n\n${footer.join('\n')}\n`);
    const plain = await runCliCaptured(['import', 'plain.txt', '--issues', 'a'], { cwd: dir });
    const r = await runCliCaptured(['import', 'footer.txt', '--issues', 'b'], { cwd: dir });
    expect(plain.code).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    const range = footer.length === 1 ? `${firstFooterLine}` : `${firstFooterLine}-${firstFooterLine + footer.length - 1}`;
    expect(r.stderr).toBe(`sudi: warning: footer.txt:${range}: ignored as page chrome after the last paper (starts "${footer[0]!.slice(0, 40)}${footer[0]!.length > 40 ? '…' : ''}")\n`);
    expect(await readFile(path.join(dir, 'b', '2024-04-15.md'), 'utf8')).toBe(await readFile(path.join(dir, 'a', '2024-04-15.md'), 'utf8'));
  });

  it('a last paper with a part missing is an error, never dropped as a footer', async () => {
    const seed = await readFile(SEED, 'utf8');
    const papersOnly = seed.slice(0, seed.indexOf('暂无评论')).trimEnd();
    await writeFile(path.join(dir, 'broken.txt'), `${papersOnly}\n\nA Tenth Paper Without Its Abstract\n\n第十篇论文\n`);
    const r = await runCliCaptured(['import', 'broken.txt', '--issues', 'b'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.txt:\d+: the paper "A Tenth Paper Without Its Abstract" \(line \d+\) has no abstract/);
  });

  it('writes <issues>/<week start>.md (creating the directory), prints its path, and the file passes check', async () => {
    const issues = path.join(dir, 'nested', 'issues');
    const r = await runCliCaptured(['import', SEED, '--issues', issues]);
    expect(r).toEqual({ code: 0, stdout: `${path.join(issues, '2024-04-15.md')}\n`, stderr: '' });
    const issue = parseIssue(path.join(issues, '2024-04-15.md'), await readFile(path.join(issues, '2024-04-15.md'), 'utf8'));
    expect(issue.papers).toHaveLength(9);
    expect(issue.status).toBe('draft');
    expect(issue.publish_at).toBe('2024-04-20T09:00:00+08:00');
    expect(await readdir(issues)).toEqual(['2024-04-15.md']); // no temp file left behind
    expect((await runCliCaptured(['check', '--issues', issues])).code).toBe(0);
  });

  it('takes --ready, TZ from the environment, and a digest path relative to the working directory', async () => {
    const r = await runCliCaptured(['import', path.relative(dir, SEED), '--issues', 'out', '--ready'], { cwd: dir, env: { TZ: 'UTC' } });
    expect(r.code).toBe(0);
    const issue = parseIssue('2024-04-15.md', await readFile(path.join(dir, 'out', '2024-04-15.md'), 'utf8'));
    expect(issue.status).toBe('ready');
    expect(issue.publish_at).toBe('2024-04-20T09:00:00+00:00');
  });

  it('re-importing the same digest is a no-op: byte-identical file, exit 0', async () => {
    const file = path.join(dir, '2024-04-15.md');
    await runCliCaptured(['import', SEED, '--issues', dir]);
    const before = await readFile(file);
    const mtime = (await stat(file)).mtimeMs;
    const again = await runCliCaptured(['import', SEED, '--issues', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`${file}\n`);
    expect(again.stderr).toMatch(/already up to date/);
    expect(await readFile(file)).toEqual(before);
    expect((await stat(file)).mtimeMs).toBe(mtime);
  });

  it('refuses to overwrite a file that differs (exit 1, E_CONFLICT) unless --force', async () => {
    const file = path.join(dir, '2024-04-15.md');
    await runCliCaptured(['import', SEED, '--issues', dir]);
    const edited = (await readFile(file, 'utf8')).replace('status: draft', 'status: ready');
    await writeFile(file, edited);

    const refused = await runCliCaptured(['import', SEED, '--issues', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`${file} already exists and differs from this import; not overwritten (run again with --force`);
    expect(await readFile(file, 'utf8')).toBe(edited);

    const forced = await runCliCaptured(['import', SEED, '--issues', dir, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe(`${file}\n`);
    expect(await readFile(file, 'utf8')).toBe(edited.replace('status: ready', 'status: draft'));
    expect(await readdir(dir)).toEqual(['2024-04-15.md']);
  });

  it('rejects a malformed digest with exit 2, naming file and line, and writes nothing', async () => {
    const digest = path.join(dir, 'bad.txt');
    await writeFile(digest, '每周AI论文速递(240415-240419)\r\n\r\nAlpha Nets\r\n\r\n我们提出阿尔法网络。这是摘要。\r\n\r\nBeta Nets\r\n\r\n贝塔网络\r\n\r\n摘要。\r\n');
    const issues = path.join(dir, 'issues');
    const r = await runCliCaptured(['import', digest, '--issues', issues]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^sudi: ${digest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: the paper "Alpha Nets" \\(line 3\\) has no Chinese title`));
    await expect(stat(issues)).rejects.toThrow(/ENOENT/);
  });

  it('prints warnings to stderr and still writes the issue', async () => {
    const digest = path.join(dir, 'ctl.txt');
    await writeFile(digest, '每周AI论文速递(240415-240419)\n\nAlpha\u0007 Nets\n\n阿尔法网络\n\n我们提出阿尔法网络。\n');
    const r = await runCliCaptured(['import', digest, '--issues', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`sudi: warning: ${digest}:3: removed U+0007, a control character XML forbids\n`);
    expect(await readFile(path.join(dir, '2024-04-15.md'), 'utf8')).toContain('en: "Alpha Nets"');
  });

  it('exits 2 for a digest that does not exist and for a missing argument', async () => {
    const missing = await runCliCaptured(['import', path.join(dir, 'nope.txt'), '--issues', dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/digest .*nope\.txt does not exist/);
    const usage = await runCliCaptured(['import']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing required argument 'digest'/);
  });
});
