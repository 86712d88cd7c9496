/**
 * A local stand-in for arXiv and Hugging Face: a real HTTP server on 127.0.0.1 that replays the
 * recorded-shape answers in tests/fixtures/sources/ (routes.json: path + query parameters → file,
 * status, type). Every request is recorded (URL, User-Agent, arrival and end time, how many were
 * open at once). `failNext` queues answers for a path to give first: a 429 with Retry-After, a 503.
 * A request no route knows is answered 404 and recorded, so a test can assert there were none.
 *
 * `id_list` is compared as a set: the order ids are asked in is Sudi's business, not the fixture's.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const DIR = path.join(import.meta.dirname, '..', 'fixtures', 'sources');

interface Route {
  path: string;
  params: Record<string, string>;
  status: number;
  type: string;
  file: string;
}

export interface Recorded {
  url: string;
  userAgent: string | undefined;
  status: number;
  /** Date.now() when the request arrived and when its answer was finished. */
  at: number;
  endedAt: number;
  /** Requests open when this one arrived, itself included. */
  concurrent: number;
}

export interface Canned {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface SourceServer {
  url: string;
  /** ARXIV_API_URL and HF_API_URL pointing here. */
  env: { ARXIV_API_URL: string; HF_API_URL: string };
  requests: Recorded[];
  /** Requests no route matched. */
  unmatched(): Recorded[];
  /** Answers to give first to requests whose path+query starts with `prefix`, in order. */
  failNext(prefix: string, ...answers: Canned[]): void;
  close(): Promise<void>;
}

function sameParams(want: Record<string, string>, got: URLSearchParams): boolean {
  const norm = (k: string, v: string) => (k === 'id_list' ? v.split(',').sort().join(',') : v);
  const keys = [...new Set([...got.keys()])];
  if (keys.length !== Object.keys(want).length) return false;
  return keys.every((k) => want[k] !== undefined && norm(k, want[k]) === norm(k, got.get(k) ?? ''));
}

export async function startSourceServer(): Promise<SourceServer> {
  const routes = JSON.parse(readFileSync(path.join(DIR, 'routes.json'), 'utf8')) as Route[];
  const requests: Recorded[] = [];
  const canned: { prefix: string; answer: Canned }[] = [];
  let open = 0;
  const server = http.createServer((req, res) => {
    open++;
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: Recorded = { url: u.pathname + u.search, userAgent: req.headers['user-agent'], status: 0, at: Date.now(), endedAt: 0, concurrent: open };
    requests.push(rec);
    const finish = (status: number, headers: Record<string, string>, body: string | Buffer) => {
      rec.status = status;
      res.writeHead(status, headers);
      res.end(body, () => {
        rec.endedAt = Date.now();
        open--;
      });
    };
    const c = canned.findIndex((x) => rec.url.startsWith(x.prefix));
    if (c >= 0) {
      const { answer } = canned.splice(c, 1)[0]!;
      return finish(answer.status, { 'content-type': 'text/plain', ...answer.headers }, answer.body ?? `${answer.status}\n`);
    }
    const route = routes.find((r) => r.path === u.pathname && sameParams(r.params, u.searchParams));
    if (!route) return finish(404, { 'content-type': 'text/plain' }, `no recorded answer for ${rec.url}\n`);
    // A little later, not at once: a client that opened a second connection meanwhile would show in `concurrent`.
    setTimeout(() => finish(route.status, { 'content-type': route.type }, readFileSync(path.join(DIR, route.file))), 5);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    env: { ARXIV_API_URL: `${url}/api/query`, HF_API_URL: `${url}/api` },
    requests,
    unmatched: () => requests.filter((r) => r.status === 404),
    failNext: (prefix, ...answers) => canned.push(...answers.map((answer) => ({ prefix, answer }))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
