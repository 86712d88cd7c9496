/**
 * Every edition is deliverable: Debian's SpamAssassin, offline (`-L`: no DNS, no network tests; its
 * state in a temp HOME, Bayes off), scores each edition of the seed week at most 0.5, as composed
 * for a Subscriber by the delivery engine and DKIM-signed with a key made here. One spamassassin
 * process per edition, all at once (each takes about a second to load its rules).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDkimSigner } from '../../src/delivery/dkim.ts';
import { createMessageFactory } from '../../src/delivery/message.ts';
import type { Lang } from '../../src/model.ts';
import { renderEmail } from '../../src/render/email.ts';
import { NOW, seedIssue, testConfig } from '../render/fixtures.ts';

const MAX_SCORE = 0.5;
const LANGS: Lang[] = ['zh', 'en', 'both'];

let home: string;
beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'sudi-spamassassin-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** SpamAssassin's verdict on one message: the score, the rules that hit, and its report table. */
function spamassassin(message: Buffer): Promise<{ score: number; rules: string[]; report: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'spamassassin',
      ['-L', '-t', '-x', '--cf=use_bayes 0', '--cf=bayes_auto_learn 0', '--cf=use_auto_whitelist 0'],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' }, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`spamassassin failed: ${err.message}\n${stderr}`));
        const head = stdout.slice(0, stdout.indexOf('\n\n')).replace(/\n[ \t]+/g, ' ');
        const status = /^X-Spam-Status: (.*)$/m.exec(head)?.[1];
        if (!status) return reject(new Error(`no X-Spam-Status header in spamassassin's output:\n${stdout.slice(0, 2000)}`));
        const score = Number(/\bscore=(-?[\d.]+)/.exec(status)?.[1]);
        const rules = (/\btests=(\S*)/.exec(status)?.[1] ?? '').split(',').filter((r) => r !== '' && r !== 'none');
        const at = stdout.indexOf('Content analysis details');
        // -t appends the report (a table of the rules that hit) to the message.
        resolve({ score, rules, report: at === -1 ? status : stdout.slice(at).trim() });
      },
    );
    child.stdin!.end(message);
  });
}

describe('SpamAssassin (offline)', () => {
  it(`scores every edition of the seed week at most ${MAX_SCORE}, DKIM-signed`, async () => {
    const config = testConfig({ MAIL_FROM: 'Sudi <digest@news.example.org>', LIST_ID: 'Sudi weekly AI papers <weekly.news.example.org>' });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dkim = createDkimSigner({ domain: 'news.example.org', selector: 'sudi', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const messages = await Promise.all(
      LANGS.map(async (lang) => {
        const factory = createMessageFactory(await renderEmail(seedIssue(), { config, now: NOW, lang }), { config, secret: 's'.repeat(40), dkim });
        return Buffer.concat(factory.build({ subscriberId: 42, email: 'reader@example.com' }, { now: NOW }).raw as Buffer[]);
      }),
    );
    for (const m of messages) expect(m.toString('latin1')).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256;/);

    const verdicts = await Promise.all(messages.map(spamassassin));
    const scores = Object.fromEntries(LANGS.map((lang, i) => [lang, verdicts[i]!.score]));
    const hits = LANGS.map((lang, i) => `${lang}: ${verdicts[i]!.score} (${verdicts[i]!.rules.join(', ')})\n${verdicts[i]!.report}`).join('\n');
    for (const lang of LANGS) expect(scores[lang], `SpamAssassin rule hits:\n${hits}`).toBeLessThanOrEqual(MAX_SCORE);
    // The two rules that hit before: shouting subject (a Chinese subject's "AI"), white preheader text.
    for (const v of verdicts) expect(v.rules, hits).not.toEqual(expect.arrayContaining(['SUBJ_ALL_CAPS']));
    for (const v of verdicts) expect(v.rules, hits).not.toEqual(expect.arrayContaining(['HTML_FONT_LOW_CONTRAST']));
  });
});
