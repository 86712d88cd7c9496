/**
 * The build's compression and manifest step (pure): how each file is dated, what is compressed,
 * and that an unchanged file's copies are taken over from the previous build, not recompressed.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { precompressOutput, type PreviousOutput } from '../../src/precompress.ts';
import { MANIFEST_PATH, parseManifest, sha256, type Manifest } from '../../src/static-manifest.ts';
import type { OutputFile } from '../../src/model.ts';

const FEED = `<?xml version="1.0"?><rss>${'<item>entry</item>'.repeat(200)}</rss>`;
const PAGE = `<!doctype html><p>${'issue '.repeat(400)}</p>`;
const NOW = new Date('2024-06-01T12:34:56.789Z');
const NEWEST = '2024-04-20T09:00:00+08:00';

const none: PreviousOutput = { manifest: null, existed: false, variant: async () => null };

function manifestOf(files: OutputFile[]): Manifest {
  return parseManifest(String(files.find((f) => f.path === MANIFEST_PATH)!.contents))!;
}

function previousFrom(files: OutputFile[]): PreviousOutput {
  const byPath = new Map(files.map((f) => [f.path, f.contents]));
  return {
    manifest: manifestOf(files),
    existed: true,
    variant: async (p, enc) => (byPath.get(p + (enc === 'br' ? '.br' : '.gz')) as Uint8Array | undefined) ?? null,
  };
}

describe('precompressOutput', () => {
  it('writes a .gz and a .br that decode to the file, and dates a first build by its newest entry', async () => {
    const out = await precompressOutput([{ path: 'feed.xml', contents: FEED }, { path: 'index.html', contents: PAGE }], { now: NOW, newestEntry: NEWEST, previous: none });
    const get = (p: string) => out.find((f) => f.path === p)!.contents as Uint8Array;
    expect(gunzipSync(get('feed.xml.gz')).toString()).toBe(FEED);
    expect(brotliDecompressSync(get('index.html.br')).toString()).toBe(PAGE);
    const m = manifestOf(out);
    expect(m.files['feed.xml']!.sha256).toBe(sha256(FEED));
    expect(m.files['feed.xml']!.encodings.br).toBe(sha256(get('feed.xml.br')));
    expect(m.files['feed.xml']!.lastModified).toBe('2024-04-20T01:00:00.000Z');
    expect(m.files['index.html']!.lastModified).toBe('2024-04-20T01:00:00.000Z');
    // Every file and copy carries its date as mtime, for servers that date files by it.
    for (const f of out.filter((f) => f.path !== MANIFEST_PATH)) expect(f.mtime?.toISOString(), f.path).toBe('2024-04-20T01:00:00.000Z');
  });

  it('keeps the date of unchanged bytes, and takes their compressed copies over from the previous build', async () => {
    const first = await precompressOutput([{ path: 'feed.xml', contents: FEED }], { now: NOW, newestEntry: NEWEST, previous: none });
    // A previous build made by another brotli: its bytes must be reused as they are.
    const marker = Buffer.from('previous brotli bytes');
    const previous = previousFrom(first);
    previous.manifest!.files['feed.xml']!.encodings.br = sha256(marker);
    const prevVariant = previous.variant;
    previous.variant = async (p, enc) => (enc === 'br' ? marker : prevVariant(p, enc));
    const again = await precompressOutput([{ path: 'feed.xml', contents: FEED }], { now: new Date('2030-01-01T00:00:00Z'), newestEntry: NEWEST, previous });
    expect(manifestOf(again).files['feed.xml']!.lastModified).toBe('2024-04-20T01:00:00.000Z');
    expect(Buffer.from(again.find((f) => f.path === 'feed.xml.br')!.contents as Uint8Array).equals(marker)).toBe(true);
  });

  it('dates a changed feed by a newer entry, a changed feed without one and a changed page by the build', async () => {
    const first = await precompressOutput([{ path: 'feed.xml', contents: FEED }, { path: 'index.html', contents: PAGE }], { now: NOW, newestEntry: NEWEST, previous: none });
    const newer = await precompressOutput([{ path: 'feed.xml', contents: `${FEED} ` }, { path: 'index.html', contents: `${PAGE} ` }], {
      now: NOW,
      newestEntry: '2024-04-27T09:00:00+08:00',
      previous: previousFrom(first),
    });
    expect(manifestOf(newer).files['feed.xml']!.lastModified).toBe('2024-04-27T01:00:00.000Z');
    expect(manifestOf(newer).files['index.html']!.lastModified).toBe('2024-06-01T12:34:56.000Z');
    // An older issue edited: same newest entry, new bytes, so the feed must look newer than before.
    const edited = await precompressOutput([{ path: 'feed.xml', contents: `${FEED}  ` }], { now: NOW, newestEntry: '2024-04-27T09:00:00+08:00', previous: previousFrom(newer) });
    expect(manifestOf(edited).files['feed.xml']!.lastModified).toBe('2024-06-01T12:34:56.000Z');
  });

  it('a folder built before manifests existed counts as changed: dated by the build, not by an older entry', async () => {
    const out = await precompressOutput([{ path: 'index.html', contents: PAGE }], { now: NOW, newestEntry: NEWEST, previous: { ...none, existed: true } });
    expect(manifestOf(out).files['index.html']!.lastModified).toBe('2024-06-01T12:34:56.000Z');
  });

  it('never compresses what is small or binary', async () => {
    const tiny = 'User-agent: *\n';
    const large = `<svg xmlns="http://www.w3.org/2000/svg">${'<g/>'.repeat(2000)}</svg>`;
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(8192)]);
    const out = await precompressOutput(
      [
        { path: 'robots.txt', contents: tiny },
        { path: 'logo.png', contents: png },
        { path: 'icon.svg', contents: large },
      ],
      { now: new Date('2024-05-01T00:00:00Z'), newestEntry: null, previous: none },
    );
    expect(out.map((f) => f.path).sort()).toEqual(['.sudi-manifest.json', 'icon.svg', 'icon.svg.br', 'icon.svg.gz', 'logo.png', 'robots.txt']);
  });
});
