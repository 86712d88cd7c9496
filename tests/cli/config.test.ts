/**
 * Settings that reach a mail header, an address or a URL are checked at start-up, through the real
 * CLI: exit 2 naming the key and what a valid value looks like; a CR/LF never gets through; and no
 * error ever prints a secret (SECRET, ADMIN_TOKEN, the SMTP or database password).
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';
import { spawnSudi } from '../helpers/sudi-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BASE = { SITE_URL: 'https://news.example.org/', SECRET: 'config-test-secret-0123456789abcdefghij' };
const DKIM = { DKIM_DOMAIN: 'news.example.org', DKIM_SELECTOR: 'sudi2024', DKIM_PRIVATE_KEY_FILE: 'dkim.pem' };
let project: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  project = await tempDir('sudi-config-');
  await mkdir(path.join(project.dir, 'issues'));
  await cp(path.join(ROOT, 'issues', '2024-04-15.md'), path.join(project.dir, 'issues', '2024-04-15.md'));
});
afterAll(async () => project.cleanup());

const check = (env: Record<string, string>) => runCliCaptured(['check'], { cwd: project.dir, env: { ...BASE, ...env } });

// [key, value, what the error must say, extra settings]
const BAD: [string, string, RegExp, Record<string, string>?][] = [
  ['MAIL_FROM', 'Sudi <digest@news.example.org>\r\nBcc: victim@example.org', /control character such as a line break/],
  ['MAIL_FROM', 'digest@news.example.org\nX-Evil: 1', /control character/],
  ['MAIL_FROM', 'a@news.example.org, b@news.example.org', /is not one email address \(expected one address such as "Sudi <digest@news\.example\.org>"/],
  ['MAIL_FROM', 'Sudi <digest at news>', /not one email address|invalid address/],
  ['LIST_ID', 'Sudi weekly <weekly.news.example.org>\r\nX-Injected: yes', /control character/],
  ['LIST_ID', 'Sudi weekly <weekly>', /is not a list identifier \(expected a name and a dotted id in angle brackets/],
  ['SITE_TITLE', 'Sudi\r\nBcc: victim@example.org', /control character/],
  ['SITE_AUTHOR', 'Ann\nX: y', /control character/],
  ['SITE_URL', 'https://news.example.org/\r\n', /control character/],
  ['SITE_URL', 'https://news.example.org/a b', /contains a space \(expected a URL such as https:\/\/news\.example\.org\/\)/],
  ['SITE_URL', 'ftp://news.example.org/', /must start with https:\/\/ or http:\/\//],
  ['SITE_URL', 'https://news.example.org/?utm=1', /must not contain a user name, password, \?query or #fragment/],
  ['SMTP_URL', 'http://relay.example.org', /must start with smtp:\/\/ or smtps:\/\//],
  ['SMTP_URL', 'smtp://relay.example.org:587\r\nRCPT TO:<x@y>', /control character/],
  ['DKIM_DOMAIN', 'news.example.org\r\nX: y', /control character/, DKIM],
  ['DKIM_DOMAIN', 'not a domain', /is not a domain name \(expected e\.g\. news\.example\.org\)/, DKIM],
  ['DKIM_SELECTOR', 'sel;ector', /is not a DKIM selector/, DKIM],
  ['SITE_LANGUAGE', 'zh CN', /is not a language tag \(expected e\.g\. zh-CN or en\)/],
  ['TZ', 'Mars/Olympus_Mons', /is not a time zone \(expected an IANA name such as Asia\/Shanghai/],
  ['HOST', '127.0.0.1 evil', /is not a host name or IP address/],
];

describe('start-up checks of settings that reach a header, an address or a URL', () => {
  it.each(BAD)('%s %j → exit 2 naming the key and a valid value', async (key, value, message, extra = {}) => {
    const r = await check({ ...extra, [key]: value });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${key}: `);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/expected/);
    // The value is quoted escaped: no raw CR or LF from it reaches the output.
    expect(r.stderr).not.toMatch(/\r|\nBcc|\nX-/);
    expect(r.stdout).toBe('');
  });

  it('accepts non-ASCII display names and titles (they are encoded in headers, not refused)', async () => {
    const r = await check({ MAIL_FROM: '每周速递 <digest@news.example.org>', LIST_ID: '速递周报 <weekly.news.example.org>', SITE_TITLE: '每周AI论文速递 · Sudi', ...DKIM });
    expect(r.stderr).not.toMatch(/MAIL_FROM|LIST_ID|SITE_TITLE|DKIM_/);
  });
});

describe('no error prints a secret', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['a short SECRET', { SECRET: 'hunter2-short-secret' }, 'hunter2-short-secret'],
    ['a SECRET with a line break', { SECRET: `${'s3cr3t'.repeat(8)}\n` }, 's3cr3t'],
    ['a short ADMIN_TOKEN', { ADMIN_TOKEN: 'tok-hunter2' }, 'hunter2'],
    ['an SMTP password in a bad SMTP_URL', { SMTP_URL: 'smtp://mailer:pa/ss@hunter2@relay.example.org:587\n' }, 'hunter2'],
    ['a database password in a bad DATABASE_URL', { DATABASE_URL: 'mysql://sudi:db-hunter2@db.example.org/sudi' }, 'hunter2'],
  ];
  it.each(cases)('%s', async (_name, env, secret) => {
    const r = await check(env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/(SECRET|ADMIN_TOKEN|SMTP_URL|DATABASE_URL): .*expected/);
    expect(r.stderr).not.toContain(secret);
  });

  it('as a real process: `sudi serve` with LIST_ID carrying CR/LF and a short SECRET exits 2 before serving, naming both, showing neither secret', async () => {
    const p = spawnSudi(['serve', '--no-build'], {
      cwd: project.dir,
      env: { ...BASE, PORT: '0', LIST_ID: 'Sudi <weekly.news.example.org>\r\nBcc: all@example.org', SECRET: 'hunter2-too-short' },
    });
    expect((await p.exited).code).toBe(2);
    expect(p.stderr()).toMatch(/LIST_ID: contains a control character/);
    expect(p.stderr()).toMatch(/SECRET: is too short \(expected at least 32 characters\) \(got 17 characters, not shown\)/);
    expect(p.stderr()).not.toContain('hunter2');
    expect(p.stdout()).not.toMatch(/serving/);
  });

  it('as a real process: `sudi serve` with a DKIM key file that is not a key exits 2 at start, naming the file, showing none of it', async () => {
    await writeFile(path.join(project.dir, 'dkim.pem'), '-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL-hunter2\n-----END PRIVATE KEY-----\n');
    const p = spawnSudi(['serve', '--no-build'], { cwd: project.dir, env: { ...BASE, PORT: '0', ...DKIM } });
    expect((await p.exited).code).toBe(2);
    expect(p.stderr()).toMatch(/DKIM_PRIVATE_KEY_FILE .*dkim\.pem is not a PEM private key/);
    expect(p.stderr() + p.stdout()).not.toMatch(/hunter2|TOP-SECRET/);
    expect(p.stdout()).not.toMatch(/serving/);
  });
});
