/**
 * The Archive and the Feeds, served from memory: the files the build wrote into PUBLIC_DIR, each
 * with its compressed variants (.br, .gz) and validators from the static manifest, loaded once at
 * start and again after every rebuild (the build's announcement in this process, a watch on the
 * folder for builds from other processes). A request costs a map lookup and a write.
 *
 * Validators come from content: a strong ETag per representation (the bytes' SHA-256, plus the
 * encoding), Last-Modified from the manifest (stable while the bytes are). Files the manifest does
 * not know (put there by hand) get their mtime.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { OUTPUT_PATHS } from '../site-urls.ts';
import { cacheControlFor, contentEtag, ENCODING_SUFFIX, ENCODINGS, isFeed, MANIFEST_PATH, parseManifest, sha256, type Encoding, type Manifest } from '../static-manifest.ts';

/** The feeds' registered media types; a generic `application/xml` makes some readers guess. */
export const FEED_CONTENT_TYPES: Readonly<Record<string, string>> = {
  [OUTPUT_PATHS.rss]: 'application/rss+xml; charset=utf-8',
  [OUTPUT_PATHS.atom]: 'application/atom+xml; charset=utf-8',
  [OUTPUT_PATHS.json]: 'application/feed+json; charset=utf-8',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.opml': 'text/x-opml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/vnd.microsoft.icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
  // The search index (Pagefind): gzip-compressed binary that pagefind.js fetches and inflates itself,
  // so it is served as bytes, never with Content-Encoding (the browser would inflate it first).
  // `wasm.<lang>.pagefind` is the compressed WebAssembly module, also inflated by pagefind.js.
  '.pf_meta': 'application/octet-stream',
  '.pf_index': 'application/octet-stream',
  '.pf_fragment': 'application/octet-stream',
  '.pagefind': 'application/octet-stream',
};

export function contentTypeOf(p: string): string {
  // Edition and Tag feeds (`zh/feed.xml`, `tags/llm/atom.xml`) are feeds too, typed by their name.
  const feedType = isFeed(p) ? FEED_CONTENT_TYPES[path.posix.basename(p)] : undefined;
  return feedType ?? TYPES[path.posix.extname(p).toLowerCase()] ?? 'application/octet-stream';
}

export interface Representation {
  body: Buffer;
  etag: string;
  /** For a 200: type, validators, caching, Vary and Content-Encoding, computed once at load. */
  headers: Readonly<Record<string, string>>;
  /** For a 304: the validators and caching headers only. */
  notModifiedHeaders: Readonly<Record<string, string>>;
}

export interface StaticEntry {
  /** Whole seconds since the epoch × 1000. */
  lastModifiedMs: number;
  identity: Representation;
  encodings: Partial<Record<Encoding, Representation>>;
  /** ENCODINGS order, only those present. */
  available: Encoding[];
}

export interface StaticSite {
  /** URL path (`/`, `/feed.xml`, `/issues/ID/`) → entry. */
  routes: Map<string, StaticEntry>;
  /** `/issues/ID` → `/issues/ID/`. */
  redirects: Map<string, string>;
  /** The manifest's hash: an unchanged manifest means nothing to reload. */
  manifestHash: string | null;
}

export const EMPTY_SITE: StaticSite = { routes: new Map(), redirects: new Map(), manifestHash: null };

/** Thrown when files changed while being read (a swap happened mid-load); the caller reads again. */
class TornRead extends Error {}

function representation(body: Buffer, etag: string, p: string, lastModifiedMs: number, vary: boolean, encoding?: Encoding): Representation {
  const notModifiedHeaders: Record<string, string> = {
    etag,
    'last-modified': new Date(lastModifiedMs).toUTCString(),
    'cache-control': cacheControlFor(p),
  };
  if (vary) notModifiedHeaders.vary = 'Accept-Encoding';
  const headers: Record<string, string> = { 'content-type': contentTypeOf(p), ...notModifiedHeaders };
  if (encoding) headers['content-encoding'] = encoding;
  return { body, etag, headers, notModifiedHeaders };
}

async function readIfPresent(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

async function loadOnce(dir: string): Promise<StaticSite> {
  const manifestText = await readIfPresent(path.join(dir, MANIFEST_PATH));
  const manifest: Manifest | null = manifestText ? parseManifest(manifestText.toString('utf8')) : null;
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new TornRead(dir);
    throw e;
  }
  const present = new Set(names);
  const site: StaticSite = { routes: new Map(), redirects: new Map(), manifestHash: manifestText ? sha256(manifestText) : null };
  for (const rel of names) {
    // Dotfiles (the manifest, editors' leftovers) are never served; variants are served with their file.
    if (rel.split('/').some((s) => s.startsWith('.'))) continue;
    if (ENCODINGS.some((e) => rel.endsWith(ENCODING_SUFFIX[e]) && present.has(rel.slice(0, -ENCODING_SUFFIX[e].length)))) continue;
    const full = path.join(dir, rel);
    const body = await readIfPresent(full);
    if (!body) throw new TornRead(rel);
    const hash = sha256(body);
    const known = manifest?.files[rel];
    if (known && known.sha256 !== hash) throw new TornRead(rel);
    const lastModifiedMs = known ? Date.parse(known.lastModified) : Math.floor((await stat(full)).mtimeMs / 1000) * 1000;

    const variants: [Encoding, Buffer][] = [];
    for (const enc of ENCODINGS) {
      if (!present.has(rel + ENCODING_SUFFIX[enc])) continue;
      const v = await readIfPresent(full + ENCODING_SUFFIX[enc]);
      if (!v) throw new TornRead(rel);
      if (known && known.encodings[enc] !== sha256(v)) throw new TornRead(rel + ENCODING_SUFFIX[enc]);
      variants.push([enc, v]);
    }
    const vary = variants.length > 0;
    const entry: StaticEntry = {
      lastModifiedMs,
      identity: representation(body, contentEtag(hash), rel, lastModifiedMs, vary),
      encodings: {},
      available: variants.map(([e]) => e),
    };
    for (const [enc, v] of variants) entry.encodings[enc] = representation(v, contentEtag(hash, enc), rel, lastModifiedMs, true, enc);

    site.routes.set(`/${rel}`, entry);
    if (rel === 'index.html' || rel.endsWith('/index.html')) {
      const folder = `/${rel.slice(0, -'index.html'.length)}`;
      site.routes.set(folder, entry);
      if (folder !== '/') site.redirects.set(folder.slice(0, -1), folder);
    }
  }
  return site;
}

/** Reads the whole folder; a read torn by a concurrent swap is retried. */
export async function loadStaticSite(dir: string): Promise<StaticSite> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await loadOnce(dir);
    } catch (e) {
      if (!(e instanceof TornRead) || attempt >= 5) throw e;
    }
  }
}

/** Finds the entry for a request path (`/feed.xml`, `/issues/ID/`, percent-encoded or not). */
export function lookup(site: StaticSite, urlPath: string): { entry?: StaticEntry; redirect?: string } {
  const entry = site.routes.get(urlPath);
  if (entry) return { entry };
  const redirect = site.redirects.get(urlPath);
  if (redirect) return { redirect };
  if (!urlPath.includes('%')) return {};
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return {};
  }
  return decoded === urlPath ? {} : lookup(site, decoded);
}

/**
 * The served folder: the current site, swapped whole when a reload finishes, so a request sees
 * either the old build or the new one, never a mix.
 */
export class StaticFiles {
  site: StaticSite = EMPTY_SITE;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private watcher: FSWatcher | null = null;

  readonly dir: string;
  private readonly log: (line: string) => void;

  constructor(dir: string, log: (line: string) => void) {
    this.dir = dir;
    this.log = log;
  }

  static async open(dir: string, log: (line: string) => void): Promise<StaticFiles> {
    const files = new StaticFiles(dir, log);
    files.site = await loadStaticSite(dir);
    return files;
  }

  /** Reloads (once more after a running reload, however many times it is asked meanwhile). */
  reload(): Promise<void> {
    if (this.queued) return this.queued;
    if (this.running) {
      this.queued = this.running.then(() => {
        this.queued = null;
        return this.reload();
      });
      return this.queued;
    }
    this.running = this.loadNow().finally(() => (this.running = null));
    return this.running;
  }

  private async loadNow(): Promise<void> {
    try {
      const manifest = await readIfPresent(path.join(this.dir, MANIFEST_PATH));
      if (manifest && this.site.manifestHash === sha256(manifest)) return;
      this.site = await loadStaticSite(this.dir);
    } catch (e) {
      // Keep serving the previous build: a half-swapped or unreadable folder is not worth a 404.
      if (!(e instanceof TornRead)) this.log(`could not reload ${this.dir}: ${(e as Error).message}; still serving the previous build`);
    }
  }

  /**
   * Notices builds by other processes (`sudi build` while `sudi serve` runs): the swap renames the
   * folder, which its parent folder's watch reports. Returns the function that stops watching.
   */
  async watch(): Promise<() => void> {
    const real = await realpath(this.dir).catch(() => path.resolve(this.dir));
    const base = path.basename(real);
    try {
      this.watcher = watch(path.dirname(real), { persistent: false }, (_event, name) => {
        if (name === base) void this.reload();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch (e) {
      this.log(`not watching ${path.dirname(real)} for rebuilds by other processes: ${(e as Error).message}`);
    }
    return () => this.watcher?.close();
  }
}
