/**
 * Search records → the Pagefind bundles, one per language (`pagefind/zh/`, `pagefind/en/`), as
 * OutputFiles: they join the site's files before the atomic swap (publish.ts), so a failed index
 * publishes nothing, and the manifest and compressed variants cover them like any other file.
 *
 * One bundle per language rather than one bundle with two languages: Pagefind's browser side picks
 * a bundle's language from the page's `<html lang>`, so a bilingual page could only ever search one
 * of them; with a bundle each, the client searches both and merges the results.
 *
 * Pagefind runs as a child process (the `pagefind_extended` binary shipped in the npm package
 * `@pagefind/<platform>`: the extended build is the one that segments Chinese). It is started for
 * each build and always closed, so `sudi build` exits and a long-lived `sudi serve` keeps no child.
 *
 * Indexing a large archive takes a while (BENCHMARKS.md), and most builds (the scheduler's hourly
 * one, `sudi serve` starting) change no Paper: when the records and the Pagefind version are those
 * the previous build indexed, its bundles are taken over as they are (checked against its manifest).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SudiError } from '../errors.ts';
import type { OutputFile } from '../model.ts';
import { readManifest, sha256 } from '../static-manifest.ts';
import { SEARCH_LANGS, type SearchLang, type SearchRecord } from './records.ts';

/** Where the bundles go, relative to the output folder. */
export const searchBundlePath = (lang: SearchLang): string => `pagefind/${lang}/`;

/** Pagefind also writes its ready-made UIs and a highlighter; the site's own client (search-client.js) uses none of them. */
const UNUSED = /^pagefind-(ui|modular-ui|component-ui|highlight)\.(js|css)$/;

function failed(what: string, errors: readonly string[]): SudiError {
  return new SudiError('E_BUILD', `search index (Pagefind): ${what} failed: ${errors.join('; ')}`);
}

/** The records the bundles in a build were made from (with the Pagefind version), as a SHA-256. Not served (a dotfile). */
export const SEARCH_KEY_PATH = 'pagefind/.records.sha256';

async function pagefindVersion(): Promise<string> {
  const pkg = path.join(path.dirname(fileURLToPath(import.meta.resolve('pagefind'))), '..', 'package.json');
  return (JSON.parse(await readFile(pkg, 'utf8')) as { version: string }).version;
}

/**
 * The search index for `records`: the previous build's in `outDir` when it was made from the same
 * records by the same Pagefind, else a new one (with its key file).
 */
export async function searchIndexFor(records: readonly SearchRecord[], outDir: string): Promise<OutputFile[]> {
  const key = sha256(JSON.stringify({ pagefind: await pagefindVersion(), records }));
  return (await previousIndex(outDir, key)) ?? [...(await buildSearchIndex(records)), { path: SEARCH_KEY_PATH, contents: `${key}\n` }];
}

/** The previous build's bundles when its key matches and every file is as its manifest says; else null. */
async function previousIndex(outDir: string, key: string): Promise<OutputFile[] | null> {
  const manifest = await readManifest(outDir).catch(() => null);
  const before = await readFile(path.join(outDir, SEARCH_KEY_PATH), 'utf8').catch(() => null);
  if (!manifest || before?.trim() !== key) return null;
  const files: OutputFile[] = [];
  for (const [p, entry] of Object.entries(manifest.files)) {
    if (!p.startsWith('pagefind/')) continue;
    const bytes = await readFile(path.join(outDir, p)).catch(() => null);
    if (!bytes || sha256(bytes) !== entry.sha256) return null;
    files.push({ path: p, contents: bytes });
  }
  return files;
}

/**
 * Pagefind's Node API drives one backend process per Node process, and `close()` ends it for every
 * caller: two builds indexing at once in one process (the scheduler's tick and a trigger in one
 * `sudi serve`) would close each other's backend mid-index ("Pagefind backend closed"). So the
 * indexing runs of a process take turns.
 */
let turn: Promise<unknown> = Promise.resolve();

export function buildSearchIndex(records: readonly SearchRecord[]): Promise<OutputFile[]> {
  const mine = turn.then(() => indexNow(records));
  turn = mine.catch(() => {});
  return mine;
}

async function indexNow(records: readonly SearchRecord[]): Promise<OutputFile[]> {
  // Loaded here, not at the top: only a build needs Pagefind (commands stay lazy).
  const pagefind = await import('pagefind');
  const out: OutputFile[] = [];
  try {
    for (const lang of SEARCH_LANGS) {
      const created = await pagefind.createIndex({ forceLanguage: lang });
      if (!created.index || created.errors.length > 0) throw failed('createIndex', created.errors);
      const index = created.index;
      for (const r of records) {
        if (r.lang !== lang) continue;
        const added = await index.addCustomRecord({ url: r.url, content: r.content, language: lang, meta: { ...r.meta } });
        if (added.errors.length > 0) throw failed(`adding ${r.url}`, added.errors);
      }
      const { files, errors } = await index.getFiles();
      if (errors.length > 0) throw failed('writing the index', errors);
      for (const f of files) {
        if (UNUSED.test(f.path)) continue;
        out.push({ path: searchBundlePath(lang) + f.path, contents: Buffer.from(f.content) });
      }
      await index.deleteIndex();
    }
  } catch (e) {
    if (e instanceof SudiError) throw e;
    // The binary comes from the optional dependency @pagefind/<platform>-<arch>, which npm skips on
    // a platform Pagefind does not ship (or with --omit=optional).
    throw new SudiError('E_BUILD', `search index (Pagefind): ${(e as Error).message} (expected the pagefind package and its binary for ${process.platform}-${process.arch}, installed by npm ci)`, { cause: e });
  } finally {
    await pagefind.close();
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
