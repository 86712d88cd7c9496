/**
 * WebSub through the real `sudi build` and `sudi run-due` against a hub stub (a real HTTP server on
 * 127.0.0.1): every Feed names the hub; publishing pings it once per changed Feed with a
 * form-encoded `hub.mode=publish`; a hub that fails or cannot be reached is logged, the Feeds stay
 * pending in DATA_DIR, and the next tick pings them.
 */
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PENDING_FILE } from '../../src/websub/pending.ts';
import { runCliCaptured } from '../helpers/run-cli.ts';
import { LATER, ROOT, SITE_URL, tempProject, xmllint } from '../build/site-helpers.ts';

const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'archive');
const FILES = ['2024-04-15.md', '2024-04-22.md', 'tags.yml'].map((f) => path.join(FIXTURES, f));
/** 3 formats × (the site + 2 Editions + 12 Tags). */
const ALL_FEEDS = 45;

interface Ping {
  contentType: string | undefined;
  body: URLSearchParams;
}

class HubStub {
  server: Server;
  pings: Ping[] = [];
  status = 204;
  url = '';
  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        this.pings.push({ contentType: req.headers['content-type'], body: new URLSearchParams(body) });
        res.writeHead(this.status, { 'content-type': 'text/plain' }).end(this.status >= 400 ? 'hub is sick' : '');
      });
    });
  }
  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hub`;
    return this;
  }
  /** The feed URLs pinged, sorted, and forget them. */
  take(): string[] {
    const urls = this.pings.map((p) => p.body.get('hub.url') as string).sort();
    this.pings = [];
    return urls;
  }
  async stop(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections();
    await once(this.server, 'close');
  }
}

let hub: HubStub;
let project: string;
beforeEach(async () => {
  hub = await new HubStub().start();
  project = await tempProject(FILES);
});
afterEach(async () => hub.stop());

const env = () => ({ SITE_URL, WEBSUB_HUB: hub.url });
const build = (at = LATER) => runCliCaptured(['build'], { cwd: project, env: env(), now: at });
const read = (f: string) => readFile(path.join(project, 'public', f), 'utf8');
const pending = async () => JSON.parse(await readFile(path.join(project, 'data', PENDING_FILE), 'utf8')) as { hub: string; feeds: string[] };

describe('WebSub', () => {
  it('every Feed names the hub: RSS and Atom as a hub link, JSON Feed in hubs', async () => {
    expect((await build()).code).toBe(0);
    for (const folder of ['', 'zh/', 'en/', 'tags/llm/']) {
      const rss = await read(`${folder}feed.xml`);
      const atom = await read(`${folder}atom.xml`);
      expect(rss).toContain(`<atom:link href="${hub.url}" rel="hub"/>`);
      expect(atom).toContain(`<link rel="hub" href="${hub.url}"/>`);
      expect(await xmllint(rss)).toBe('');
      expect(await xmllint(atom)).toBe('');
      expect((JSON.parse(await read(`${folder}feed.json`)) as { hubs: unknown }).hubs).toEqual([{ type: 'WebSub', url: hub.url }]);
    }
  });

  it('without WEBSUB_HUB no Feed names a hub and nothing is pinged', async () => {
    expect((await runCliCaptured(['build'], { cwd: project, env: { SITE_URL }, now: LATER })).code).toBe(0);
    expect(await read('atom.xml')).not.toContain('rel="hub"');
    expect(await read('feed.json')).not.toContain('hubs');
    expect(hub.pings).toEqual([]);
  });

  it('sudi build --out DIR (not the public site) pings nothing and leaves nothing pending', async () => {
    const out = path.join(project, 'elsewhere');
    const r = await runCliCaptured(['build', '--out', out], { cwd: project, env: env(), now: LATER });
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(path.join(out, 'atom.xml'), 'utf8')).toContain('rel="hub"');
    expect(hub.pings).toEqual([]);
    await expect(pending()).rejects.toThrow(/ENOENT/);
  });

  it('a build pings once per changed Feed, form-encoded; an unchanged rebuild pings nothing; a new issue pings only its Feeds', async () => {
    const first = await build();
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`websub: told ${hub.url} about ${ALL_FEEDS} changed feed(s)`);
    for (const p of hub.pings) {
      expect(p.contentType).toBe('application/x-www-form-urlencoded');
      expect([...p.body.keys()].sort()).toEqual(['hub.mode', 'hub.url']);
      expect(p.body.get('hub.mode')).toBe('publish');
    }
    const urls = hub.take();
    expect(urls).toHaveLength(ALL_FEEDS);
    expect(new Set(urls).size).toBe(ALL_FEEDS);
    expect(urls).toContain(`${SITE_URL}tags/llm/atom.xml`);

    expect((await build()).code).toBe(0);
    expect(hub.take()).toEqual([]);

    // A third week whose only tag is `reasoning`: the site's, both Editions' and that Tag's feeds change.
    const third = (await readFile(path.join(FIXTURES, '2024-04-22.md'), 'utf8'))
      .replace(/2024-04-22/g, '2024-04-29')
      .replace('2024-04-26', '2024-05-03')
      .replace('2024-04-27T09', '2024-05-04T09')
      .replace(/tags: \[[^\]]*\]/g, 'tags: [reasoning]');
    await writeFile(path.join(project, 'issues', '2024-04-29.md'), third);
    expect((await build(new Date('2024-06-02T00:00:00Z'))).code).toBe(0);
    const changed = ['', 'zh/', 'en/', 'tags/reasoning/'].flatMap((d) => ['atom.xml', 'feed.json', 'feed.xml'].map((f) => `${SITE_URL}${d}${f}`)).sort();
    expect(hub.take()).toEqual(changed);
  });

  it('a failing hub is logged, the build still publishes, and the next tick pings what is pending', async () => {
    hub.status = 503;
    const r = await build();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`websub: could not tell ${hub.url} about ${SITE_URL}atom.xml: hub answered 503: hub is sick; retried on the next tick`);
    expect(await read('atom.xml')).toContain('<entry>');
    hub.take();
    expect((await pending()).feeds).toHaveLength(ALL_FEEDS);

    // The scheduler's tick (here without a rebuild: nothing changed) retries every pending Feed.
    hub.status = 202;
    const tick = await runCliCaptured(['run-due', '--no-build'], { cwd: project, env: env(), now: LATER });
    expect(tick.code).toBe(0);
    expect(tick.stdout).toContain(`websub: told ${hub.url} about ${ALL_FEEDS} changed feed(s)`);
    expect(hub.take()).toHaveLength(ALL_FEEDS);
    expect(await pending()).toEqual({ version: 1, hub: hub.url, feeds: [] });

    // Nothing pending, nothing changed: the next tick says nothing to the hub.
    await runCliCaptured(['run-due', '--no-build'], { cwd: project, env: env(), now: LATER });
    expect(hub.take()).toEqual([]);
  });

  it('a hub nobody answers at is a failure like any other: pending, then pinged once it is back', async () => {
    const url = hub.url;
    await hub.stop();
    const r = await runCliCaptured(['build'], { cwd: project, env: { SITE_URL, WEBSUB_HUB: url }, now: LATER });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/websub: could not tell .* retried on the next tick/);
    expect((await pending()).feeds).toHaveLength(ALL_FEEDS);
    // Same port, hub back up.
    hub = new HubStub();
    hub.server.listen(Number(new URL(url).port), '127.0.0.1');
    await once(hub.server, 'listening');
    hub.url = url;
    expect((await build()).code).toBe(0);
    expect(hub.take()).toHaveLength(ALL_FEEDS);
    expect((await pending()).feeds).toEqual([]);
  });
});
