/**
 * Internationalized addresses and the RFC length limits, through `sudi subscribers add` (in-process
 * CLI, real SQLite) and `POST /subscribe` on the real server.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { domainToASCII } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';
import { startWebFixture, type WebFixture } from '../http/web-fixture.ts';

const SECRET = 'idn-test-secret-0123456789abcdefghijklmnop';
const LABEL_64 = `ann@${'b'.repeat(64)}.example.org`;
const LABEL_63 = `ann@${'b'.repeat(63)}.example.org`;

describe('sudi subscribers add with internationalized and over-long addresses', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('sudi-idn-cli-'));
  });
  afterEach(() => cleanup());
  const run = (args: string[]) => runCliCaptured(['subscribers', ...args], { cwd: dir, env: { SECRET } });

  it('accepts addresses under internationalized top-level domains, stored with the domain in punycode', async () => {
    for (const [typed, stored] of [
      ['用户@例子.中国', '用户@xn--fsqu00a.xn--fiqs8s'],
      ['User@Пример.РФ', 'user@xn--e1afmkfd.xn--p1ai'],
      [LABEL_63, LABEL_63],
    ]) {
      const r = await run(['add', typed!, '--confirmed']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${stored}: active`);
    }
    // The same address typed in Unicode or punycode is one Subscriber.
    expect((await run(['add', 'user@xn--e1afmkfd.xn--p1ai', '--confirmed'])).stdout).toMatch(/already on the list/);
    const listed = (await run(['list'])).stdout;
    expect(listed).toContain('用户@xn--fsqu00a.xn--fiqs8s\tactive');
    expect(listed).toContain('user@xn--e1afmkfd.xn--p1ai\tactive');
  });

  it.each([
    ['a 64-character domain label', LABEL_64, /domain label of 64 characters \(at most 63 between dots\)/],
    ['a right-to-left override', 'ann\u202E@example.org', /contains U\+202E \(right-to-left override\)/],
    ['a zero-width space in the domain', 'ann@exa\u200Bmple.org', /contains U\+200B \(zero-width space\)/],
    ['a 65-octet local part in Chinese', `${'用'.repeat(21)}xx@example.org`, /part before @ longer than 64/],
  ])('refuses %s with exit 2 and what a valid address looks like', async (_what, typed, reason) => {
    const r = await run(['add', typed, '--confirmed']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr).toContain('expected an address like name@example.org');
    expect((await run(['list'])).stdout).toBe('');
  });
});

describe('POST /subscribe with internationalized and over-long addresses', () => {
  let w: WebFixture;
  beforeAll(async () => {
    w = await startWebFixture({ SUBSCRIBE_RATE_LIMIT: '100000' });
  });
  afterAll(() => w.close());
  const post = (email: string) =>
    fetch(new URL('/subscribe', w.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });

  it('user@пример.рф and 用户@例子.中国 become pending Subscribers with a confirmation mail to the punycode domain', async () => {
    for (const [typed, stored] of [
      ['user@пример.рф', 'user@xn--e1afmkfd.xn--p1ai'],
      ['用户@例子.中国', '用户@xn--fsqu00a.xn--fiqs8s'],
    ]) {
      const r = await post(typed!);
      expect(r.status, typed).toBe(200);
      expect(await w.subscriber(stored!), typed).toMatchObject({ status: 'pending', email: stored });
    }
    await w.mails(); // waits for the background mail
    const raw = await Promise.all((await readdir(path.join(w.dir, 'outbox'))).map((f) => readFile(path.join(w.dir, 'outbox', f), 'utf8')));
    // nodemailer 10 writes the domain as U-labels when the local part already needs SMTPUTF8;
    // either form names the same mailbox, so compare in the A-label form.
    const toHeaders = raw.map((eml) => /^To: (.*)$/m.exec(eml)?.[1]?.replace(/@(.*)$/, (_, d: string) => `@${domainToASCII(d)}`));
    expect(toHeaders.sort()).toEqual(['user@xn--e1afmkfd.xn--p1ai', '用户@xn--fsqu00a.xn--fiqs8s']);
  });

  it.each([
    ['a 64-character domain label', LABEL_64],
    ['a right-to-left override', 'ann\u202E@example.org'],
    ['a newline', 'ann@example.org\nbcc@example.org'],
  ])('refuses %s with 400 invalid_email, storing nothing', async (_what, email) => {
    const before = await w.store.countSubscribers();
    const r = await post(email);
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ ok: false, error: 'invalid_email' });
    expect(await w.store.countSubscribers()).toBe(before);
  });
});
