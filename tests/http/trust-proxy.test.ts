/**
 * TRUST_PROXY behind a real reverse proxy: Debian's nginx on loopback in front of a real
 * `sudi serve` process. Visitors connect to nginx from distinct loopback addresses
 * (127.0.0.2, 127.0.0.3, …), so nginx sees — and writes into X-Forwarded-For — a different client
 * for each, exactly as it would for visitors on the internet.
 */
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { describeClientAddress } from '../../src/http/trust-proxy.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { spawnSudi, type SudiProcess } from '../helpers/sudi-process.ts';
import { requestFrom, startNginxProxy, type NginxProxy } from './nginx-proxy.ts';
import { FIXTURE_ISSUES, freePort, TEST_SECRET } from './web-fixture.ts';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const VISITORS = Array.from({ length: 30 }, (_, i) => `127.0.0.${i + 2}`);

/** Resolves once the process has printed `text`; rejects if it exits first. */
function printed(p: SudiProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => p.stdout().includes(text) && resolve();
    p.child.stdout!.on('data', check);
    check();
    void p.exited.then(({ code }) => reject(new Error(`sudi exited (${code}) before printing "${text}":\n${p.stdout()}\n${p.stderr()}`)));
  });
}

const signUp = (proxy: NginxProxy, from: string, email: string, headers: Record<string, string> = {}) =>
  requestFrom(from, `${proxy.url}/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ email }).toString(),
  });

describe.each(['1', '127.0.0.1'])('behind nginx with TRUST_PROXY=%s', (trustProxy) => {
  let serve: SudiProcess;
  let proxy: NginxProxy;
  let cleanup: () => Promise<void>;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    const t = await tempDir('sudi-proxy-');
    ({ dir, cleanup } = t);
    await cp(FIXTURE_ISSUES, path.join(dir, 'issues'), { recursive: true });
    const port = await freePort();
    env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      SITE_URL: `http://127.0.0.1:${port}/`,
      SECRET: TEST_SECRET,
      TZ: 'Asia/Shanghai',
      TRUST_PROXY: trustProxy,
      SUBSCRIBE_RATE_LIMIT: '2',
      ADMIN_TOKEN,
    };
    serve = spawnSudi(['serve', '--no-build'], { cwd: dir, env });
    await printed(serve, 'serving ');
    proxy = await startNginxProxy(`http://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    await proxy?.stop();
    serve?.child.kill('SIGTERM');
    await serve?.exited;
    await cleanup?.();
  });

  it('says at start where the client IP comes from', () => {
    const line = `sign-ups limited to 2/min per client IP; ${describeClientAddress(parseConfig(env, dir))}\n`;
    expect(serve.stdout()).toContain(line);
    expect(line).toMatch(trustProxy === '1' ? /X-Forwarded-For entry added by the farthest of 1 trusted proxy hop/ : /nearest X-Forwarded-For entry that is not a trusted proxy \(TRUST_PROXY=127\.0\.0\.1\)/);
  });

  it('30 visitors through one proxy are limited separately, each by their own address', async () => {
    const answers = await Promise.all(
      VISITORS.map(async (from, v) => {
        const statuses: number[] = [];
        for (let n = 0; n < 3; n++) statuses.push((await signUp(proxy, from, `visitor${v}.${n}@example.org`)).status);
        return statuses;
      }),
    );
    // Every visitor gets their own 2 per minute; without the fix all 30 shared one limit (2 × 200 in all).
    expect(answers).toEqual(VISITORS.map(() => [200, 200, 429]));
  });

  it('ignores what a visitor writes into X-Forwarded-For beyond the trusted hop', async () => {
    const from = '127.0.0.40';
    const forged = await Promise.all([0, 1, 2].map((n) => signUp(proxy, from, `forger${n}@example.org`, { 'x-forwarded-for': `198.51.100.${n + 1}` })));
    // A new forged address each time buys nothing: it is one visitor, limited after 2.
    expect(forged.map((a) => a.status).sort()).toEqual([200, 200, 429]);
    // Nor can a visitor spend someone else's limit: 127.0.0.2 is used up, this one is not.
    const framing = await signUp(proxy, '127.0.0.41', 'framer@example.org', { 'x-forwarded-for': '127.0.0.2' });
    expect(framing.status).toBe(200);
  });

  it('logs each failed admin token with the visitor\'s address, not the proxy\'s or a forged one', async () => {
    const before = serve.stderr().length;
    const r = await requestFrom('127.0.0.50', `${proxy.url}/admin/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token-guess', 'x-forwarded-for': '203.0.113.7' },
      body: JSON.stringify({ issue: 'latest' }),
    });
    expect(r.status).toBe(401);
    // The log line is written before the response goes out.
    expect(serve.stderr().slice(before)).toMatch(/admin: wrong bearer token on POST \/admin\/send from 127\.0\.0\.50 \(1 of 10/);
  });
});

describe('TRUST_PROXY as operators write it', () => {
  const parse = (v: string) => parseConfig({ TRUST_PROXY: v }, '/').trustProxy;
  const problems = (v: string) => {
    try {
      parse(v);
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
    throw new Error(`TRUST_PROXY=${v} was accepted`);
  };

  it('takes a hop count, true/false, and addresses, CIDRs or named ranges, comma-separated', () => {
    expect(parseConfig({}, '/').trustProxy).toEqual({ kind: 'none' });
    expect(parse('')).toEqual({ kind: 'none' });
    expect(parse('false')).toEqual({ kind: 'none' });
    expect(parse('0')).toEqual({ kind: 'none' });
    expect(parse('1')).toEqual({ kind: 'hops', hops: 1 });
    expect(parse(' 2 ')).toEqual({ kind: 'hops', hops: 2 });
    expect(parse('true')).toEqual({ kind: 'all' });
    expect(parse('127.0.0.1')).toEqual({ kind: 'addresses', addresses: ['127.0.0.1'] });
    expect(parse('10.0.0.0/8, 192.168.1.1/255.255.255.0,::1,fd00::/8,loopback')).toEqual({
      kind: 'addresses',
      addresses: ['10.0.0.0/8', '192.168.1.1/255.255.255.0', '::1', 'fd00::/8', 'loopback'],
    });
  });

  it('refuses anything else, naming the key, the value and what is expected', () => {
    for (const bad of ['yes', '10.0.0.0/33', '127.0.0.1,', '300', 'proxy.example.org']) {
      const [line] = problems(bad);
      expect(line).toContain('TRUST_PROXY: ');
      expect(line).toContain('expected a hop count such as 1, true, or proxy addresses such as 127.0.0.1,10.0.0.0/8');
      expect(line).toContain(`(got ${JSON.stringify(bad)})`);
    }
  });

  it('the start-up line never claims X-Forwarded-For is used when it is not, and warns about true', () => {
    const line = (v: string) => describeClientAddress(parseConfig({ TRUST_PROXY: v, HOST: '127.0.0.1', PORT: '8080' }, '/'));
    expect(line('')).toBe('client IP: the connecting address (X-Forwarded-For is ignored; behind a proxy set TRUST_PROXY)');
    expect(line('true')).toMatch(/first X-Forwarded-For entry, which any visitor can forge/);
    expect(line('2')).toMatch(/farthest of 2 trusted proxy hop\(s\).*reaching 127\.0\.0\.1:8080 without the proxy can choose its IP/);
  });
});
