/**
 * Every edition is deliverable: Debian's SpamAssassin, offline (`-L`: no DNS, no network tests; its
 * state in a temp HOME, Bayes off), scores each edition of the seed week (Chinese abstracts only)
 * and the en edition of a week with English abstracts and `title_en` at most 0.5, as composed for a
 * Subscriber by the delivery engine and DKIM-signed with a key made here. One spamassassin run
 * over all of them (loading its rules takes about a second).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDkimSigner } from '../../src/delivery/dkim.ts';
import { createMessageFactory } from '../../src/delivery/message.ts';
import { parseIssue } from '../../src/content/parse-issue.ts';
import type { Issue, Lang } from '../../src/model.ts';
import { personalAddresses } from '../../src/personal-links.ts';
import { renderEmail } from '../../src/render/email.ts';
import { mixedIssueText, NOW, seedIssue, testConfig } from '../render/fixtures.ts';

const MAX_SCORE = 0.5;
const withEnglish = parseIssue('2024-05-06.md', mixedIssueText({ title: '每周AI论文速递 (240506-240510)', frontExtra: 'title_en: "Weekly AI Papers, May 6–10"\n', note: 'Three papers this week.' }));
const CASES: { name: string; issue: Issue; lang: Lang }[] = [
  ...(['zh', 'en', 'both'] as Lang[]).map((lang) => ({ name: `seed ${lang}`, issue: seedIssue(), lang })),
  { name: 'English abstracts, en', issue: withEnglish, lang: 'en' },
];

let home: string;
beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'sudi-spamassassin-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Each message's mbox separator names it: SpamAssassin does not keep the order. */
const mboxFrom = (i: number) => `From message${i}@sudi.localhost Sat Apr 20 01:00:00 2024`;

/**
 * SpamAssassin's verdict on each message: the score, the rules that hit, and its report table.
 * One process over an mbox of them all (mboxrd: body lines starting with "From " are quoted), so
 * the rules load once. Its output comes back in another order, matched by the separator line.
 */
function spamassassin(messages: readonly Buffer[]): Promise<{ score: number; rules: string[]; report: string }[]> {
  const mbox = messages.map((m, i) => `${mboxFrom(i)}\n${m.toString('utf8').replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1')}\n`).join('');
  return new Promise((resolve, reject) => {
    const child = execFile(
      'spamassassin',
      ['-L', '-t', '-x', '--mbox', '--cf=use_bayes 0', '--cf=bayes_auto_learn 0', '--cf=use_auto_whitelist 0'],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' }, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`spamassassin failed: ${err.message}\n${stderr}`));
        const out: string[] = [];
        const parts = stdout.split(/^From message(\d+)@sudi\.localhost .*\n/m);
        for (let i = 1; i < parts.length; i += 2) out[Number(parts[i])] = parts[i + 1]!;
        if (out.filter(Boolean).length !== messages.length) return reject(new Error(`spamassassin returned ${out.filter(Boolean).length} messages for ${messages.length}:\n${stdout.slice(0, 2000)}`));
        resolve(
          out.map((one) => {
            const head = one.slice(0, one.indexOf('\n\n')).replace(/\n[ \t]+/g, ' ');
            const status = /^X-Spam-Status: (.*)$/m.exec(head)?.[1] ?? '';
            const at = one.indexOf('Content analysis details');
            return {
              score: status ? Number(/\bscore=(-?[\d.]+)/.exec(status)?.[1]) : Number.NaN,
              // The list may be folded after any comma: everything up to the next tag, spaces dropped.
              rules: (/\btests=(.*?)(?= \w+=|$)/.exec(status)?.[1] ?? '').replace(/\s+/g, '').split(',').filter((r) => r !== '' && r !== 'none'),
              // -t appends the report (a table of the rules that hit) to each message.
              report: at === -1 ? status || 'no X-Spam-Status header' : one.slice(at).trim(),
            };
          }),
        );
      },
    );
    child.stdin!.end(mbox);
  });
}

describe('SpamAssassin (offline)', () => {
  it(`scores every edition at most ${MAX_SCORE}, DKIM-signed`, async () => {
    const config = testConfig({ MAIL_FROM: 'Sudi <digest@news.example.org>', LIST_ID: 'Sudi weekly AI papers <weekly.news.example.org>' });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dkim = createDkimSigner({ domain: 'news.example.org', selector: 'sudi', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const messages = await Promise.all(
      CASES.map(async ({ issue, lang }) => {
        const factory = createMessageFactory(await renderEmail(issue, { config, now: NOW, lang }), { config, secret: 's'.repeat(40), addresses: personalAddresses(config, 's'.repeat(40)), dkim });
        return Buffer.concat(factory.build({ subscriberId: 42, email: 'reader@example.com' }, { now: NOW }).raw as Buffer[]);
      }),
    );
    for (const m of messages) expect(m.toString('latin1')).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256;/);

    const verdicts = await spamassassin(messages);
    const hits = CASES.map((c, i) => `${c.name}: ${verdicts[i]!.score} (${verdicts[i]!.rules.join(', ')})\n${verdicts[i]!.report}`).join('\n');
    for (const [i, c] of CASES.entries()) expect(verdicts[i]!.score, `${c.name}; SpamAssassin rule hits:\n${hits}`).toBeLessThanOrEqual(MAX_SCORE);
    // The two rules that hit before: shouting subject (a Chinese subject's "AI"), white preheader text.
    for (const v of verdicts) expect(v.rules, hits).not.toEqual(expect.arrayContaining(['SUBJ_ALL_CAPS']));
    for (const v of verdicts) expect(v.rules, hits).not.toEqual(expect.arrayContaining(['HTML_FONT_LOW_CONTRAST']));
  });
});
