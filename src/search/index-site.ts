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
 */
import { SudiError } from '../errors.ts';
import type { OutputFile } from '../model.ts';
import { SEARCH_LANGS, type SearchLang, type SearchRecord } from './records.ts';

/** Where the bundles go, relative to the output folder. */
export const searchBundlePath = (lang: SearchLang): string => `pagefind/${lang}/`;

/** Pagefind also writes its ready-made UIs and a highlighter; the site's own client (search-client.js) uses none of them. */
const UNUSED = /^pagefind-(ui|modular-ui|component-ui|highlight)\.(js|css)$/;

function failed(what: string, errors: readonly string[]): SudiError {
  return new SudiError('E_BUILD', `search index (Pagefind): ${what} failed: ${errors.join('; ')}`);
}

export async function buildSearchIndex(records: readonly SearchRecord[]): Promise<OutputFile[]> {
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
