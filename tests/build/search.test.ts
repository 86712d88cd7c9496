/**
 * The search index: one record per paper per language (search/records.ts), one Pagefind bundle per
 * language written by the real Pagefind binary during the build (search/index-site.ts), read back
 * here by inflating its files independently (node:zlib + JSON.parse), deterministic, and all or
 * nothing with the rest of the build. The browser side is tests/http/site-browser.test.ts.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { publishedIssues } from '../../src/build.ts';
import { loadValidIssues } from '../../src/content/load-issues.ts';
import { SudiError } from '../../src/errors.ts';
import { buildAndWrite } from '../../src/publish.ts';
import { buildSearchIndex } from '../../src/search/index-site.ts';
import { searchRecords } from '../../src/search/records.ts';
import { ADVERSARIAL_FILE, configFor, LATER, readTree, SEED_FILE, SITE_URL, tempProject } from './site-helpers.ts';

/** A Pagefind file: gzip, then the `pagefind_dcd` signature, then the payload. */
const inflate = (bytes: Buffer) => {
  const raw = gunzipSync(bytes);
  expect(raw.subarray(0, 12).toString()).toBe('pagefind_dcd');
  return raw.subarray(12);
};

/** Runs `fn` with Pagefind's binary pointed at a path that does not exist: any indexing fails. */
async function withoutPagefind<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PAGEFIND_EXTENDED_BINARY_PATH;
  process.env.PAGEFIND_EXTENDED_BINARY_PATH = path.join(dir, 'no-such-pagefind');
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.PAGEFIND_EXTENDED_BINARY_PATH;
    else process.env.PAGEFIND_EXTENDED_BINARY_PATH = saved;
  }
}

async function builtTree(files = [SEED_FILE, ADVERSARIAL_FILE]) {
  const project = await tempProject(files);
  const config = configFor(project);
  await buildAndWrite(config, LATER);
  return { project, config, tree: await readTree(config.publicDir) };
}

describe('search records', () => {
  it('one per paper and language, leading to its Paper page, text escaped', async () => {
    const project = await tempProject([SEED_FILE, ADVERSARIAL_FILE]);
    const issues = publishedIssues(await loadValidIssues(path.join(project, 'issues')), LATER);
    const records = searchRecords(issues, { siteUrl: SITE_URL });
    expect(records.filter((r) => r.lang === 'zh')).toHaveLength(11);
    expect(records.filter((r) => r.lang === 'en')).toHaveLength(11);
    const coconut = records.find((r) => r.lang === 'zh' && r.meta.title === 'COCONut:现代化 COCO 分割')!;
    expect(coconut.url).toBe(`${SITE_URL}papers/2024-04-15-2/`);
    expect(coconut.meta.alt_title).toBe('COCONut: Modernizing COCO Segmentation');
    expect(coconut.content).toContain('全景分割标注');
    const hostile = records.find((r) => r.lang === 'en' && r.url === `${SITE_URL}papers/2024-05-06-1/`)!;
    expect(hostile.content).toContain('&lt;script&gt;alert("t")&lt;/script&gt;');
    expect(hostile.content).not.toMatch(/<script/);
  });
});

describe('the search index in the build', () => {
  it('writes one Pagefind bundle per language, with Chinese segmented and no unused UI files', async () => {
    const { tree } = await builtTree();
    for (const lang of ['zh', 'en'] as const) {
      const entry = JSON.parse(tree.get(`pagefind/${lang}/pagefind-entry.json`)!.toString());
      expect(entry.version).toBe('1.6.0');
      expect(Object.keys(entry.languages)).toEqual([lang]);
      expect(entry.languages[lang].page_count).toBe(11);
      expect(tree.has(`pagefind/${lang}/pagefind.js`)).toBe(true);
      expect(tree.has(`pagefind/${lang}/pagefind-worker.js`)).toBe(true);
      expect([...tree.keys()].filter((k) => k.startsWith(`pagefind/${lang}/pagefind-ui`) || k.includes('component-ui') || k.includes('highlight'))).toEqual([]);
    }
    const fragments = (lang: string) =>
      [...tree.entries()].filter(([k]) => k.startsWith(`pagefind/${lang}/fragment/`) && k.endsWith('.pf_fragment')).map(([, v]) => JSON.parse(inflate(v).toString()));
    const zh = fragments('zh');
    expect(zh).toHaveLength(11);
    const coconut = zh.find((f) => f.meta.title === 'COCONut:现代化 COCO 分割');
    expect(coconut.url).toBe(`${SITE_URL}papers/2024-04-15-2/`);
    // The extended build segments Chinese into words (zero-width spaces between them): 分割 is one.
    expect(coconut.content).toMatch(/\u200b分割\u200b/);
    const en = fragments('en');
    expect(en.find((f) => f.meta.title.startsWith('Scaling (Down) CLIP')).content).toContain('CLIP');
  });

  it('two builds indexing at once in one process both succeed (Pagefind has one backend per process)', async () => {
    const project = await tempProject([SEED_FILE, ADVERSARIAL_FILE]);
    const records = searchRecords(publishedIssues(await loadValidIssues(path.join(project, 'issues')), LATER), { siteUrl: SITE_URL });
    const [a, b] = await Promise.all([buildSearchIndex(records), buildSearchIndex(records)]);
    expect(a.length).toBeGreaterThan(20);
    expect(b.map((f) => f.path)).toEqual(a.map((f) => f.path));
  });

  it('is deterministic: the same issues give byte-identical bundles', async () => {
    const a = (await builtTree()).tree;
    const b = (await builtTree()).tree;
    const search = (t: Map<string, Buffer>) => [...t.keys()].filter((k) => k.startsWith('pagefind/'));
    expect(search(b)).toEqual(search(a));
    expect(search(a).length).toBeGreaterThan(20);
    for (const k of search(a)) expect(a.get(k)!.equals(b.get(k)!), k).toBe(true);
    // The manifest (hashes and dates of every file, the index included) agrees too.
    expect(a.get('.sudi-manifest.json')!.equals(b.get('.sudi-manifest.json')!)).toBe(true);
  });

  it("a rebuild with the same papers takes the previous index over without running Pagefind; a changed paper is reindexed", async () => {
    const { project, config, tree: before } = await builtTree([SEED_FILE]);
    const build = () => withoutPagefind(project, () => buildAndWrite(config, LATER).catch((x: unknown) => x));
    // Same records: no Pagefind needed, and the output is byte-identical.
    expect(await build()).not.toBeInstanceOf(Error);
    const again = await readTree(config.publicDir);
    expect([...again.keys()]).toEqual([...before.keys()]);
    for (const [k, v] of before) expect(v.equals(again.get(k)!), k).toBe(true);
    // One word of one abstract changed: the index must be rebuilt (and here cannot be).
    const file = path.join(project, 'issues', '2024-04-15.md');
    await writeFile(file, (await readFile(file, 'utf8')).replace('全景面具', '全景资料面具'));
    const e = await build();
    expect(e).toBeInstanceOf(SudiError);
    expect((e as Error).message).toContain('search index (Pagefind)');
    // With Pagefind, the new text is in the new index.
    await buildAndWrite(config, LATER);
    const zh = [...(await readTree(config.publicDir)).entries()].filter(([k]) => k.startsWith('pagefind/zh/fragment/'));
    expect(zh.some(([, v]) => inflate(v).toString().includes('资料'))).toBe(true);
  });

  it('a failed index publishes nothing', async () => {
    const { project, config, tree: before } = await builtTree([SEED_FILE]);
    await copyFile(ADVERSARIAL_FILE, path.join(project, 'issues', '2024-05-06.md'));
    const e = await withoutPagefind(project, () => buildAndWrite(config, LATER).catch((x: unknown) => x));
    expect(e).toBeInstanceOf(SudiError);
    expect((e as SudiError).message).toMatch(/search index \(Pagefind\)[\s\S]*nothing was published/);
    const after = await readTree(config.publicDir);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [k, v] of before) expect(v.equals(after.get(k)!), k).toBe(true);
  });
});
