import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
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

describe('sudi build', () => {
  it('writes public/ and reports each published issue with its email size raw and as sent', async () => {
    const { project, first, before } = await builtProject();
    const site = [...before.keys()].filter((k) => !/\.(gz|br)$|^\.sudi-manifest\.json$/.test(k));
    expect(site).toEqual(['atom.xml', 'feed.json', 'feed.xml', 'index.html', 'issues/2024-04-15/index.html', expect.stringMatching(/^style\.[0-9a-f]{10}\.css$/), 'style.css']);
    expect(first.stdout).toContain(`built 7 file(s) into ${path.join(project, 'public')}: 1 issue(s) published`);
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
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(broken);
    expectSameTree(before, await readTree(path.join(project, 'public')));
    expect((await readdir(project)).sort()).toEqual(['issues', 'my-templates', 'public']);
  });

  it('an invalid issue stops everything (exit 2) and leaves the previous output in place', async () => {
    const { project, before } = await builtProject();
    await writeFile(path.join(project, 'issues', '2024-04-22.md'), issueText('2024-04-22').replace('status: ready', 'status: sent'));
    await writeFile(path.join(project, 'issues', '2024-04-29.md'), issueText('2024-04-29'));
    const r = await runCliCaptured(['build'], { cwd: project, env, now: LATER });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2024-04-22\.md:\d+: status:/);
    expectSameTree(before, await readTree(path.join(project, 'public')));
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
