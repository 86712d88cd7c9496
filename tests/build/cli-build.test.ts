import { spawn } from 'node:child_process';
import { chmod, cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/run-cli.ts';
import { issueText, LATER, readTree, ROOT, SEED_FILE, SITE_URL, tempProject, xmllint } from './site-helpers.ts';

const env = { SITE_URL };

async function builtProject() {
  const project = await tempProject();
  const first = await runCliCaptured(['build'], { cwd: project, env, now: LATER });
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  return { project, first, before: await readTree(path.join(project, 'public')) };
}

function expectSameTree(a: Map<string, Buffer>, b: Map<string, Buffer>) {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, bytes] of a) expect(bytes.equals(b.get(name) as Buffer), name).toBe(true);
}

/** A failed build: says nothing was published, claims nothing built, and public/ is byte-identical. */
async function expectNothingPublished(project: string, before: Map<string, Buffer>, r: { code: number; stdout: string; stderr: string }) {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr).toContain(`nothing was published: ${path.join(project, 'public')} is unchanged`);
  expect(r.stdout).not.toMatch(/built|published/);
  expect(r.stderr).not.toMatch(/unexpected failure| {4}at /);
  expectSameTree(before, await readTree(path.join(project, 'public')));
}

async function copiedTemplates(project: string): Promise<string> {
  const templates = path.join(project, 'my-templates');
  await cp(path.join(ROOT, 'templates'), templates, { recursive: true });
  return templates;
}

/** `sudi build` as a real process run by an unprivileged user (root may write anywhere). */
function buildAsUnprivileged(project: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = [process.execPath, path.join(ROOT, 'bin', 'sudi.js'), 'build'];
  const root = process.getuid?.() === 0;
  const [cmd, ...args] = root ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv;
  const child = spawn(cmd!, args, { cwd: project, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', SITE_URL } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

describe('sudi build', () => {
  it('writes public/ and reports each published issue with its email size raw and as sent', async () => {
    const { project, first, before } = await builtProject();
    // The Paper pages, Tag list, Edition feeds and OPML are the Archive suite's (tests/archive/).
    const site = [...before.keys()].filter((k) => !/\.(gz|br)$|^\.sudi-manifest\.json$|^pagefind\/|^(papers|tags|zh|en)\/|^feeds\.opml$/.test(k));
    expect(site).toEqual([
      'atom.xml',
      'feed.json',
      'feed.xml',
      'index.html',
      'issues/2024-04-15/index.html',
      expect.stringMatching(/^search\.[0-9a-f]{10}\.js$/),
      expect.stringMatching(/^style\.[0-9a-f]{10}\.css$/),
      'style.css',
    ]);
    // The search index, one Pagefind bundle per language (tests/build/search.test.ts looks inside).
    for (const lang of ['zh', 'en']) expect(before.has(`pagefind/${lang}/pagefind-entry.json`)).toBe(true);
    const all = [...before.keys()].filter((k) => !/\.(gz|br)$|^\.sudi-manifest\.json$/.test(k));
    expect(first.stdout).toContain(`built ${all.length} file(s) into ${path.join(project, 'public')}: 1 issue(s) published`);
    expect(first.stdout).toMatch(/published 2024-04-15 {2}每周AI论文速递 \(240415-240419\) {2}\(9 papers\) {2}email HTML \d+\.\d KB raw, \d+\.\d KB sent \((base64|quoted-printable)\)/);
    expect(await xmllint(String(before.get('feed.xml')))).toBe('');
  });

  it('--out writes elsewhere; drafts and scheduled issues are listed, not published', async () => {
    const project = await tempProject();
    await writeFile(path.join(project, 'issues', '2024-04-22.md'), issueText('2024-04-22', { status: 'draft' }));
    await writeFile(path.join(project, 'issues', '2030-01-07.md'), issueText('2030-01-07'));
    const r = await runCliCaptured(['build', '--out', 'site'], { cwd: project, env, now: LATER });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/scheduled for 2030-01-07T09:00:00\+08:00: 2030-01-07 .* email HTML/);
    expect(r.stdout).toContain('drafts (never published): 2024-04-22');
    const files = await readTree(path.join(project, 'site'));
    expect([...files.keys()].filter((f) => f.startsWith('issues/'))).toEqual(['issues/2024-04-15/index.html', 'issues/2024-04-15/index.html.br', 'issues/2024-04-15/index.html.gz']);
  });

  it('a template with a syntax error fails the build, names the file, and leaves the previous output in place', async () => {
    const { project, before } = await builtProject();
    const templates = path.join(project, 'my-templates');
    await cp(path.join(ROOT, 'templates'), templates, { recursive: true });
    const broken = path.join(templates, 'site', 'issue.html.hbs');
    await writeFile(broken, `${await readFile(broken, 'utf8')}\n{{#if issue.title}}unclosed\n`);

    const r = await runCliCaptured(['build'], { cwd: project, env: { ...env, TEMPLATES_DIR: templates }, now: LATER });
    expect(r.stderr).toContain(broken);
    await expectNothingPublished(project, before, r);
    expect((await readdir(project)).sort()).toEqual(['issues', 'my-templates', 'public']);
  });

  it('an invalid issue stops everything (exit 2) and leaves the previous output in place', async () => {
    const { project, before } = await builtProject();
    await writeFile(path.join(project, 'issues', '2024-04-22.md'), issueText('2024-04-22').replace('status: ready', 'status: sent'));
    await writeFile(path.join(project, 'issues', '2024-04-29.md'), issueText('2024-04-29'));
    const r = await runCliCaptured(['build'], { cwd: project, env, now: LATER });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2024-04-22\.md:\d+: status:/);
    await expectNothingPublished(project, before, r);
  });

  it('an email template without {{unsubscribeUrl}} fails before the swap: public/ unchanged, nothing claimed as published', async () => {
    const { project, before } = await builtProject();
    const templates = await copiedTemplates(project);
    for (const f of ['partials/footer.mjml.hbs', 'partials/footer.txt.hbs']) {
      const file = path.join(templates, 'email', f);
      await writeFile(file, (await readFile(file, 'utf8')).replaceAll('{{unsubscribeUrl}}', 'https://news.example.org/'));
    }
    const r = await runCliCaptured(['build'], { cwd: project, env: { ...env, TEMPLATES_DIR: templates }, now: LATER });
    expect(r.stderr).toMatch(/issue\.(mjml|txt)\.hbs: the email has no \{\{unsubscribeUrl\}\}/);
    await expectNothingPublished(project, before, r);
  });

  it('an email template with broken MJML fails before the swap', async () => {
    const { project, before } = await builtProject();
    const templates = await copiedTemplates(project);
    const file = path.join(templates, 'email', 'issue.mjml.hbs');
    await writeFile(file, (await readFile(file, 'utf8')).replace('<mj-body', '<mj-body><mj-section><mj-column><mj-text>x</mj-column>'));
    const r = await runCliCaptured(['build'], { cwd: project, env: { ...env, TEMPLATES_DIR: templates }, now: LATER });
    await expectNothingPublished(project, before, r);
  });

  it('an output folder whose parent this user cannot write: a clear error (no stack), public/ unchanged', async () => {
    const { project, before } = await builtProject();
    // Readable by everyone (the unprivileged user reads issues and templates), writable by nobody else.
    await chmod(project, 0o555);
    try {
      const r = await buildAsUnprivileged(project);
      expect(r.stderr).toMatch(/cannot write the output beside .*public: EACCES.*\(expected a folder .* this user can create folders in\)/);
      await expectNothingPublished(project, before, r);
    } finally {
      await chmod(project, 0o755);
    }
  });

  it('warns on stderr when an issue\'s email is over 90 KB as sent', async () => {
    const project = await tempProject();
    const seed = await readFile(SEED_FILE, 'utf8');
    const [, frontMatter = ''] = /^---\n([\s\S]*?)\n---/.exec(seed) ?? [];
    const papers = frontMatter.slice(frontMatter.indexOf('papers:\n') + 'papers:\n'.length);
    // Eight times the seed's papers (72 long bilingual papers): well over the budget.
    const big = `---\n${frontMatter.slice(0, frontMatter.indexOf('papers:\n'))}papers:\n${Array(8).fill(papers).join('\n')}\n---\n`;
    await writeFile(path.join(project, 'issues', '2024-04-15.md'), big);
    const r = await runCliCaptured(['build'], { cwd: project, env, now: LATER });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr, r.stdout).toMatch(/^warning: issue 2024-04-15: email HTML is \d+\.\d KB as sent, over the 90\.0 KB budget/m);
  });
});
