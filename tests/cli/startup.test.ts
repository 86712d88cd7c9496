/**
 * Start-up stays light: each command loads its modules only when it runs. `sudi --help` and
 * `sudi check` run as real processes with a module hook that records every package loaded; the
 * server, database, SMTP and rendering stacks must not be among them. (How long start-up takes is
 * measured in bench/startup.ts, not asserted here.)
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/run-cli.ts';
import { SUDI_BIN } from '../helpers/sudi-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HEAVY = ['fastify', 'pg', 'nodemailer', 'mjml', 'handlebars', 'markdown-it', 'node-cron', 'csv-parse', 'cli-progress'];

let t: { dir: string; cleanup: () => Promise<void> };
let hook: string;

beforeAll(async () => {
  t = await tempDir('sudi-startup-');
  hook = path.join(t.dir, 'record-packages.mjs');
  // Prints the packages (node_modules/<name>) and built-ins (node:sqlite …) that were loaded.
  await writeFile(
    hook,
    `import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ load(url, context, next) {
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(url);
  // MAIL_FROM is checked with nodemailer's address parser, one file of it: named apart from nodemailer.
  if (/node_modules\\/nodemailer\\/(?:lib|dist\\/[^/]+)\\/addressparser\\//.test(url)) seen.add('nodemailer/lib/addressparser');
  else if (m) seen.add(m[1]); else if (url.startsWith('node:')) seen.add(url);
  return next(url, context);
} });
process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify([...seen]) + '\\n'));
`,
  );
});
afterAll(async () => {
  await t?.cleanup();
});

async function loaded(args: string[], cwd = ROOT): Promise<string[]> {
  const r = await promisify(execFile)(process.execPath, ['--import', hook, SUDI_BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '' } });
  const line = /\nLOADED (.*)\n/.exec(r.stderr);
  expect(line, r.stderr).not.toBeNull();
  return JSON.parse(line![1]!) as string[];
}

describe('start-up loads only what the command needs', () => {
  it('sudi --help: commander and dotenv, nothing else', async () => {
    const packages = (await loaded(['--help'])).filter((p) => !p.startsWith('node:'));
    expect(packages.sort()).toEqual(['commander', 'dotenv']);
  });

  it('sudi check: the issue parser (yaml, zod), no server, database, SMTP or rendering stack', async () => {
    const all = await loaded(['check', '--issues', path.join(ROOT, 'tests', 'fixtures', 'issues')]);
    expect(all).toEqual(expect.arrayContaining(['yaml', 'zod']));
    for (const p of [...HEAVY, 'node:sqlite']) expect(all, p).not.toContain(p);
  });

  it('sudi subscribers list: the composition root opens the Store, and loads no issue parser, MIME or rendering code', async () => {
    const project = path.join(t.dir, 'project');
    await mkdir(project);
    const all = await loaded(['subscribers', 'list'], project);
    expect(all).toContain('node:sqlite');
    for (const p of ['yaml', 'libmime', 'mjml', 'handlebars', 'markdown-it', 'fastify', 'pg', 'node-cron']) expect(all, p).not.toContain(p);
  });
});

describe('the compile cache is only a speed-up', () => {
  it('a cache folder that cannot be made (read-only disk, a file in the way) changes nothing: same output, exit 0', async () => {
    // A file where the cache folder should go fails for root too (ENOTDIR), like a read-only disk.
    const blocked = path.join(t.dir, 'not-a-folder');
    await writeFile(blocked, '');
    const run = (env: Record<string, string>) =>
      promisify(execFile)(process.execPath, [SUDI_BIN, 'check', '--verbose', '--issues', path.join(ROOT, 'tests', 'fixtures', 'issues')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    const cached = await run({ NODE_COMPILE_CACHE: path.join(t.dir, 'cache') });
    const uncached = await run({ NODE_COMPILE_CACHE: path.join(blocked, 'cache') });
    expect(uncached.stdout).toContain('checked ');
    expect(uncached.stdout).toBe(cached.stdout);
    expect(uncached.stderr).toBe(cached.stderr);
  });
});
