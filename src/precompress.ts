/**
 * The build's last step before the swap: the site's files → the same files plus a `.gz` and a `.br`
 * beside each text file worth compressing, plus the static manifest (static-manifest.ts). All of it
 * goes into the same temporary folder, so the variants and the manifest swap in with the files.
 *
 * Last-Modified comes from content, never from when the build ran: a file whose bytes did not change
 * keeps the date the previous build gave it; a Feed that changed takes its newest entry's date; any
 * other changed file takes the build's `now`. Brotli at its best quality is slow (≈1 s per MB), so
 * the variants of unchanged files are taken over from the previous build rather than recompressed.
 * Each file's mtime is set to its Last-Modified too, so nginx or a CDN serving `public/` directly
 * (whose ETag is mtime and size) also keeps its validators across identical rebuilds.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { OutputFile } from './model.ts';
import {
  ENCODING_SUFFIX,
  ENCODINGS,
  isFeed,
  MANIFEST_PATH,
  MANIFEST_VERSION,
  readManifest,
  sha256,
  type Encoding,
  type Manifest,
  type ManifestEntry,
} from './static-manifest.ts';

/** Below this a response fits one packet anyway and compression only adds work. */
export const MIN_COMPRESS_BYTES = 1024;
const TEXT_EXTENSIONS = new Set(['.html', '.css', '.js', '.mjs', '.json', '.xml', '.txt', '.svg', '.opml', '.webmanifest', '.map', '.csv']);

export function isCompressible(p: string, size: number): boolean {
  return size >= MIN_COMPRESS_BYTES && TEXT_EXTENSIONS.has(path.posix.extname(p).toLowerCase());
}

/**
 * Brotli's best quality (11) costs ~10× quality 9 for a few per cent: worth it for the Feeds, which
 * readers poll forever, not for thousands of Paper pages compressed on a first build.
 */
export const PAGE_BROTLI_QUALITY = 9;

export function compress(bytes: Uint8Array, encoding: Encoding, quality: number = constants.BROTLI_MAX_QUALITY): Buffer {
  return encoding === 'gzip'
    ? gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION })
    : brotliCompressSync(bytes, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: quality,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
        },
      });
}

export interface PreviousOutput {
  manifest: Manifest | null;
  /** The folder held a build (with or without a manifest). */
  existed: boolean;
  /** The previous build's compressed variant of a file, or null. */
  variant(p: string, encoding: Encoding): Promise<Uint8Array | null>;
  /**
   * Where the previous build's copy of a file (or of its variant) lies on disk, to hard-link
   * instead of reading and writing it again; absent when there is no folder to link from.
   */
  pathOf?(p: string, encoding?: Encoding): string;
}

export interface PrecompressOptions {
  now: Date;
  /** publish_at of the newest entry in the Feeds (null: no entries). */
  newestEntry: string | null;
  previous: PreviousOutput;
}

/** Whole seconds: HTTP dates carry no more, and If-Modified-Since compares them. */
function httpInstant(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString();
}

/** Dates a feed with no entries, like the Feeds' own `updated` (never the clock). */
const NO_ENTRIES = '1970-01-01T00:00:00.000Z';

function lastModifiedOf(p: string, hash: string, opts: PrecompressOptions): string {
  const before = opts.previous.manifest?.files[p];
  if (before?.sha256 === hash) return before.lastModified;
  const newest = opts.newestEntry ? httpInstant(new Date(opts.newestEntry)) : NO_ENTRIES;
  // A first build dates everything by the newest Issue it holds, so identical first builds agree.
  if (!before && !opts.previous.existed) return newest;
  // A changed Feed with a newer entry says so itself; anything else changed now (an older issue
  // edited, a template changed, a folder built before manifests existed) and must look newer.
  return isFeed(p) && before && newest > before.lastModified ? newest : httpInstant(opts.now);
}

export async function precompressOutput(files: readonly OutputFile[], opts: PrecompressOptions): Promise<OutputFile[]> {
  const out: OutputFile[] = [];
  const manifest: Manifest = { version: MANIFEST_VERSION, files: {} };
  for (const f of files) {
    const bytes = typeof f.contents === 'string' ? Buffer.from(f.contents, 'utf8') : f.contents;
    const hash = sha256(bytes);
    const before = opts.previous.manifest?.files[f.path];
    const entry: ManifestEntry = { sha256: hash, lastModified: lastModifiedOf(f.path, hash, opts), encodings: {} };
    const mtime = new Date(entry.lastModified);
    const unchanged = before?.sha256 === hash;
    const linkFrom = unchanged ? opts.previous.pathOf?.(f.path) : undefined;
    out.push({ ...f, mtime, ...(linkFrom ? { linkFrom } : {}) });
    if (isCompressible(f.path, bytes.byteLength)) {
      for (const enc of ENCODINGS) {
        const previousHash = unchanged ? before.encodings[enc] : undefined;
        const previousPath = previousHash ? opts.previous.pathOf?.(f.path, enc) : undefined;
        if (previousHash && previousPath) {
          // The previous build's copy, linked as it is (the manifest vouches for its bytes); only
          // if the link fails (the file was removed by hand) is it compressed again.
          entry.encodings[enc] = previousHash;
          out.push({
            path: f.path + ENCODING_SUFFIX[enc],
            get contents() {
              return compress(bytes, enc, isFeed(f.path) ? constants.BROTLI_MAX_QUALITY : PAGE_BROTLI_QUALITY);
            },
            mtime,
            linkFrom: previousPath,
          });
          continue;
        }
        let variant: Uint8Array | null = null;
        if (unchanged && before.encodings[enc]) {
          const old = await opts.previous.variant(f.path, enc);
          if (old && sha256(old) === before.encodings[enc]) variant = old;
        }
        variant ??= compress(bytes, enc, isFeed(f.path) ? constants.BROTLI_MAX_QUALITY : PAGE_BROTLI_QUALITY);
        // Worth a file only when it saves a tenth or more.
        if (variant.byteLength > bytes.byteLength * 0.9) continue;
        entry.encodings[enc] = sha256(variant);
        out.push({ path: f.path + ENCODING_SUFFIX[enc], contents: variant, mtime });
      }
    }
    manifest.files[f.path] = entry;
  }
  out.push({ path: MANIFEST_PATH, contents: `${JSON.stringify(manifest, null, 1)}\n` });
  return out;
}

/** The previous build in `dir` (what is being replaced), for carrying dates and variants over. */
export async function previousOutput(dir: string): Promise<PreviousOutput> {
  const manifest = await readManifest(dir).catch(() => null);
  const existed = manifest !== null || (await readdir(dir).then((names) => names.length > 0, () => false));
  return {
    manifest,
    existed,
    variant: (p, enc) => readFile(path.join(dir, p + ENCODING_SUFFIX[enc])).catch(() => null),
    pathOf: (p, enc) => path.resolve(dir, p + (enc ? ENCODING_SUFFIX[enc] : '')),
  };
}
