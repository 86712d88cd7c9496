/**
 * The static manifest (`public/.sudi-manifest.json`): what the build says about each file it wrote,
 * so any server of `public/` gives readers validators that change only when the content does.
 *
 * Per file: the SHA-256 of its bytes (the ETag comes from it, the same on every machine), its
 * Last-Modified (carried over from the previous build while the bytes are unchanged), and the
 * compressed variants written beside it (`.gz`, `.br`) with their own hashes. Also the one place
 * that decides each file's Cache-Control, so the server and the README's nginx setup agree.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { OUTPUT_PATHS } from './site-urls.ts';

export const MANIFEST_PATH = '.sudi-manifest.json';
export const MANIFEST_VERSION = 1;

export type Encoding = 'br' | 'gzip';
/** Preferred first when a client accepts both equally. */
export const ENCODINGS: readonly Encoding[] = ['br', 'gzip'];
export const ENCODING_SUFFIX: Readonly<Record<Encoding, string>> = { br: '.br', gzip: '.gz' };

export interface ManifestEntry {
  sha256: string;
  /** HTTP date precision (whole seconds), ISO 8601 UTC. */
  lastModified: string;
  /** Compressed variants written beside the file: encoding → SHA-256 of the compressed bytes. */
  encodings: Partial<Record<Encoding, string>>;
}

export interface Manifest {
  version: number;
  files: Record<string, ManifestEntry>;
}

export function sha256(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A strong ETag from the bytes; each encoding is its own representation, so it gets its own tag. */
export function contentEtag(hashHex: string, encoding?: Encoding): string {
  const short = Buffer.from(hashHex.slice(0, 32), 'hex').toString('base64url');
  return `"${short}${encoding ? `-${encoding}` : ''}"`;
}

/** `style.css` + its bytes → `style.0123456789.css`: a new name whenever the content changes. */
export function fingerprintedPath(p: string, contents: string | Uint8Array): string {
  const ext = path.posix.extname(p);
  return `${p.slice(0, p.length - ext.length)}.${sha256(contents).slice(0, 10)}${ext}`;
}

const FINGERPRINTED = /\.[0-9a-f]{10}\.(css|js|mjs|woff2?|png|svg|jpe?g|webp|avif)$/;
const FEED_NAMES = new Set<string>([OUTPUT_PATHS.rss, OUTPUT_PATHS.atom, OUTPUT_PATHS.json]);

/** The site's Feeds, the Edition feeds (`zh/feed.xml` …) and every Tag feed (`tags/<slug>/atom.xml` …). */
export function isFeed(p: string): boolean {
  const slash = p.lastIndexOf('/');
  const name = p.slice(slash + 1);
  if (!FEED_NAMES.has(name)) return false;
  const folder = p.slice(0, slash + 1);
  return folder === '' || /^(zh|en)\/$/.test(folder) || /^tags\/[^/]+\/$/.test(folder);
}

/**
 * Fingerprinted assets never change under their name: a year, immutable. Feeds and pages change
 * weekly but must show a new issue soon: a few minutes, then revalidate (a 304 costs the reader
 * almost nothing, thanks to the stable validators).
 */
export const CACHE_CONTROL = {
  immutable: 'public, max-age=31536000, immutable',
  feed: 'public, max-age=600, must-revalidate',
  page: 'public, max-age=300, must-revalidate',
} as const;

export function cacheControlFor(p: string): string {
  if (FINGERPRINTED.test(p)) return CACHE_CONTROL.immutable;
  return isFeed(p) ? CACHE_CONTROL.feed : CACHE_CONTROL.page;
}

/** The manifest in `dir`, or null when there is none or it is not ours (an older build, a hand-made folder). */
export async function readManifest(dir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_PATH), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
  return parseManifest(text);
}

export function parseManifest(text: string): Manifest | null {
  try {
    const m = JSON.parse(text) as Manifest;
    return m && m.version === MANIFEST_VERSION && typeof m.files === 'object' && m.files !== null ? m : null;
  } catch {
    return null; // a damaged manifest only costs the carried-over dates; the next build writes a new one
  }
}
