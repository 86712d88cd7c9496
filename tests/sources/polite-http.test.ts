/**
 * The polite client against a real local HTTP server: one request at a time, spacing per source,
 * 429/503 retried after Retry-After (at most 3 tries), a User-Agent naming Sudi, and the URL-keyed
 * cache that makes a second run free. Timing checks are lower bounds only (a wait that must have
 * happened), never upper bounds.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { politeHttp, retryAfterMs, type PoliteHttpOptions } from '../../src/sources/polite-http.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { startSourceServer, type SourceServer } from '../helpers/source-server.ts';

let src: SourceServer;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  src = await startSourceServer();
  ({ dir, cleanup } = await tempDir('sudi-polite-'));
});
afterEach(async () => {
  await src.close();
  await cleanup();
});

const DAY = '/api/daily_papers?date=2024-04-15';
const WEEK = '/api/daily_papers?week=2024-W16';
const client = (o: Partial<PoliteHttpOptions> = {}) =>
  politeHttp({ userAgent: 'Sudi/0.1 (test)', cacheDir: path.join(dir, 'cache'), spacing: [], ...o });
const json = { accept: 'application/json' };

describe('politeHttp', () => {
  it('429 with Retry-After (seconds) is retried after that wait; 503 with an HTTP date too', async () => {
    src.failNext(DAY, { status: 429, headers: { 'retry-after': '1' } }, { status: 503, headers: { 'retry-after': new Date(Date.now() - 5000).toUTCString() } });
    const r = await client().get(src.url + DAY, json);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toHaveLength(5);
    expect(src.requests.map((q) => q.status)).toEqual([429, 503, 200]);
    expect(src.requests[1]!.at - src.requests[0]!.endedAt).toBeGreaterThanOrEqual(990);
  });

  it('gives up after 3 tries, naming the URL and status; other errors are not retried', async () => {
    src.failNext(DAY, { status: 503, headers: { 'retry-after': '0' } }, { status: 503, headers: { 'retry-after': '0' } }, { status: 503, headers: { 'retry-after': '0' } });
    await expect(client().get(src.url + DAY, json)).rejects.toThrow(`${src.url}${DAY}: HTTP 503 after 3 tries`);
    expect(src.requests).toHaveLength(3);
    await expect(client().get(`${src.url}/api/daily_papers?date=1999-01-01`, json)).rejects.toThrow(/: HTTP 404$/);
    expect(src.requests).toHaveLength(4);
  });

  it('a Retry-After longer than Sudi waits fails at once instead of stalling the run', async () => {
    src.failNext(DAY, { status: 429, headers: { 'retry-after': '7200' } });
    await expect(client().get(src.url + DAY, json)).rejects.toThrow(/HTTP 429 with Retry-After 7200 \(longer than Sudi waits; try again later\)/);
    expect(src.requests).toHaveLength(1);
  });

  it('one request at a time, spaced by the source\'s interval; a User-Agent naming Sudi', async () => {
    const c = client({ spacing: [{ prefix: `${src.url}/api/daily_papers`, ms: 150 }], cacheDir: null });
    await Promise.all([c.get(src.url + DAY, json), c.get(src.url + WEEK, json), c.get(src.url + DAY, json)]);
    expect(src.requests.map((q) => q.concurrent)).toEqual([1, 1, 1]);
    expect(src.requests[1]!.at - src.requests[0]!.endedAt).toBeGreaterThanOrEqual(148);
    expect(src.requests[2]!.at - src.requests[1]!.endedAt).toBeGreaterThanOrEqual(148);
    expect(src.requests.every((q) => q.userAgent === 'Sudi/0.1 (test)')).toBe(true);
  });

  it('caches 200 answers by URL with the time they were read; refresh asks again', async () => {
    const readAt = new Date('2024-04-17T02:00:00Z');
    const first = await client({ now: () => readAt }).get(src.url + DAY, json);
    expect(first.fromCache).toBe(false);
    const second = await client({ now: () => new Date('2024-05-01T00:00:00Z') }).get(src.url + DAY, json);
    expect(second).toMatchObject({ fromCache: true, body: first.body, readAt });
    expect(src.requests).toHaveLength(1);
    const fresh = await client({ refresh: true }).get(src.url + DAY, json);
    expect(fresh.fromCache).toBe(false);
    expect(src.requests).toHaveLength(2);
    expect((await readdir(path.join(dir, 'cache'))).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    // Failures are never cached.
    src.failNext(WEEK, { status: 500 });
    await expect(client().get(src.url + WEEK, json)).rejects.toThrow(/HTTP 500/);
    await client().get(src.url + WEEK, json);
    expect(src.requests.map((q) => q.status)).toEqual([200, 200, 500, 200]);
  });

  it('a 200 the caller does not keep (a maintenance page) is not remembered: the next run asks again', async () => {
    src.failNext(DAY, { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>maintenance</html>' });
    const isJson = (body: string) => {
      try {
        JSON.parse(body);
        return true;
      } catch {
        return false;
      }
    };
    const first = await client().get(src.url + DAY, { ...json, keep: isJson });
    expect(first.body).toBe('<html>maintenance</html>');
    const second = await client().get(src.url + DAY, { ...json, keep: isJson });
    expect(second.fromCache).toBe(false);
    expect(isJson(second.body)).toBe(true);
    expect((await client().get(src.url + DAY, { ...json, keep: isJson })).fromCache).toBe(true);
    expect(src.requests).toHaveLength(2);
  });

  it('retryAfterMs reads seconds and HTTP dates', () => {
    const now = new Date('2024-04-17T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Wed, 17 Apr 2024 00:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Tue, 16 Apr 2024 00:00:10 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBe(1000);
  });
});
