/**
 * How README tells people to run `sudi`: `npm link` from the checkout (then plain `sudi` anywhere)
 * or `npm exec -- sudi` inside it; never `npx sudi`, which outside the checkout fetches whatever
 * the npm registry holds under that name. npm runs with --offline here, so nothing leaves the machine.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, SEED_FILE, tempDir } from '../build/site-helpers.ts';

/** npm as the user has it on PATH (the Node 24 package used here ships no npm of its own). */
const NPM = 'npm';

/** The environment without npm's own `npm_*` variables (set when the suite runs under npm/npx). */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function run(file: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd, env: { ...cleanEnv, ...opts.env }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README: how to run sudi', () => {
  it('no shell example uses npx, and every example starting with sudi names a real command', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const lines = blocks.flatMap((b) => b.split('\n'));
    expect(lines.filter((l) => /\bnpx\b/.test(l))).toEqual([]);
    const help = await run(process.execPath, [path.join(ROOT, 'bin', 'sudi.js'), '--help'], { cwd: ROOT });
    const commands = new Set([...help.stdout.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]));
    for (const l of lines.filter((x) => /^sudi [a-z]/.test(x))) expect(commands, l).toContain(l.split(' ')[1]);
  });
});

describe('npm link puts sudi on PATH', () => {
  let prefix: string;
  let elsewhere: string;
  beforeAll(async () => {
    prefix = await tempDir('sudi-npm-prefix-');
    elsewhere = await tempDir('sudi-elsewhere-');
    await mkdir(path.join(elsewhere, 'issues'));
    await writeFile(path.join(elsewhere, 'issues', path.basename(SEED_FILE)), await readFile(SEED_FILE));
    const linked = await run(NPM, ['link', '--offline', '--no-audit', '--no-fund'], { cwd: ROOT, env: { npm_config_prefix: prefix } });
    expect(linked.code, `${linked.stdout}\n${linked.stderr}`).toBe(0);
  });
  afterAll(async () => {
    await rm(prefix, { recursive: true, force: true });
    await rm(elsewhere, { recursive: true, force: true });
  });

  it('then plain `sudi` works in a folder outside the checkout, on that folder\'s issues', async () => {
    const env = { PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` };
    const help = await run('sudi', ['--help'], { cwd: elsewhere, env });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: sudi');
    const check = await run('sudi', ['check', '--verbose'], { cwd: elsewhere, env });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain(`ok ${path.join(elsewhere, 'issues', '2024-04-15.md')}`);
  });

  it('inside the checkout `npm exec -- sudi` runs this project\'s bin without asking the registry', async () => {
    const r = await run(NPM, ['exec', '--offline', '--', 'sudi', '--help'], { cwd: ROOT });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: sudi');
  });
});
