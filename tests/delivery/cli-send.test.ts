/**
 * `sudi send`, `sudi status` and `sudi run-due` as an operator uses them (in-process runCli with
 * real files, a real SQLite ledger and a real SMTP server).
 */
import { generateKeyPairSync } from 'node:crypto';
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/run-cli.ts';
import { deliveryProject, type DeliveryProject } from '../helpers/delivery-project.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';

let smtp: SmtpCapture;
let project: DeliveryProject;
const run = (argv: string[], now = new Date('2024-04-21T00:00:00Z')) => runCliCaptured(argv, { cwd: project.dir, env: project.env, now });

beforeEach(async () => {
  smtp = await startSmtpCapture();
  project = await deliveryProject({ env: { SMTP_URL: '' } });
  project.env.SMTP_URL = smtp.url;
});
afterEach(async () => {
  await project.cleanup();
  await smtp.close();
});

/** A DKIM key for the project (the test's own, made here), and the settings that use it. */
async function configureDkim(domain: string): Promise<void> {
  const file = path.join(project.dir, 'dkim.pem');
  await writeFile(file, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  Object.assign(project.env, { DKIM_DOMAIN: domain, DKIM_SELECTOR: 'sudi', DKIM_PRIVATE_KEY_FILE: file });
}

describe('sudi send', () => {
  it('--dry-run prints recipients by language, subjects, sizes and problems; sends nothing, writes no ledger row', async () => {
    await project.addSubscribers(7); // langs cycle zh, en, both
    await configureDkim('news.example.org');
    await appendFile(path.join(project.dir, 'issues', '2024-04-15.md'), '本周编者按：九篇论文。\n');
    const r = await run(['send', 'latest', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('dry run: nothing is sent');
    expect(r.stdout).toMatch(/recipients: 7 active subscriber\(s\): 3 zh, 2 en, 2 both/);
    expect(r.stdout).toMatch(/subject: +每周AI论文速递/);
    expect(r.stdout).toContain('subject en: Weekly AI Papers (240415–240419)\n');
    expect(r.stdout).toContain("note:       the editor's note has Chinese text: the en edition leaves it out");
    expect(r.stdout).toMatch(/message: +zh +\d+\.\d KB on the wire \(HTML part \d+\.\d KB, base64\)/);
    expect(r.stdout).toContain('problems:   none found');
    expect(smtp.messages).toHaveLength(0);
    const app = project.app();
    expect(await (await app.store()).listSends()).toEqual([]);
  });

  it('--dry-run reports problems: nobody to send to, a draft, a non-https SITE_URL', async () => {
    await project.writeIssue('2024-04-22', { status: 'draft' });
    project.env.SITE_URL = 'http://news.example.org/';
    const r = await run(['send', '2024-04-22', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('problems:   4');
    expect(r.stdout).toMatch(/status is draft/);
    expect(r.stdout).toMatch(/no active \(confirmed\) subscribers/);
    expect(r.stdout).toMatch(/SITE_URL http:\/\/news\.example\.org\/ is not https/);
    expect(r.stdout).toContain('  - no DKIM signing: set DKIM_DOMAIN (news.example.org), DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE;');
    expect(r.stdout).not.toContain('subject en:');
  });

  it('--dry-run: a DKIM domain that does not align with the From domain is a problem; the parent domain aligns', async () => {
    await project.addSubscribers(1);
    await configureDkim('mail.other.example.net');
    const r = await run(['send', 'latest', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('problems:   1');
    expect(r.stdout).toContain(
      "  - DKIM_DOMAIN mail.other.example.net does not match MAIL_FROM's domain news.example.org: DMARC fails unless the signing domain is the From domain or shares its organizational domain (expected DKIM_DOMAIN=news.example.org or example.org)",
    );
    project.env.DKIM_DOMAIN = 'example.org';
    const aligned = await run(['send', 'latest', '--dry-run']);
    expect(aligned.stdout).toContain('problems:   none found');
  });

  it('refuses a draft with a clear error (exit 2), and sends nothing', async () => {
    await project.addSubscribers(2);
    await project.writeIssue('2024-04-22', { status: 'draft' });
    const r = await run(['send', '2024-04-22']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/issue 2024-04-22 is a draft \(.*2024-04-22\.md: status: draft\); set status: ready to send it/);
    expect(smtp.messages).toHaveLength(0);
  });

  it('--to sends one test copy (drafts too) without touching the ledger', async () => {
    await project.addSubscribers(3);
    await project.writeIssue('2024-04-22', { status: 'draft' });
    const r = await run(['send', '2024-04-22', '--to', 'editor@example.org']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('test copy of 2024-04-22 (both) sent to editor@example.org');
    expect(smtp.messages.map((m) => m.to)).toEqual([['editor@example.org']]);
    const parsed = await simpleParser(smtp.messages[0]!.raw);
    expect(parsed.messageId).toMatch(/^<test\./);
    expect(parsed.html).toBeTruthy();
    expect(await (await project.app().store()).listSends()).toEqual([]);
    expect((await run(['send', 'latest', '--to', 'not-an-address'])).code).toBe(2);

    // --lang picks the edition: the en copy is the English edition, with no Chinese anywhere in it.
    const en = await run(['send', '2024-04-22', '--to', 'editor@example.org', '--lang', 'en']);
    expect(en.code, en.stderr).toBe(0);
    expect(en.stdout).toContain('test copy of 2024-04-22 (en) sent to editor@example.org');
    const english = await simpleParser(smtp.messages[1]!.raw);
    expect(`${english.subject ?? ''}${english.text ?? ''}`).not.toMatch(/\p{Script=Han}/u);
    const bad = await run(['send', '2024-04-22', '--to', 'editor@example.org', '--lang', 'fr']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--lang fr is not a language edition \(expected zh, en or both\)/);
    expect(smtp.messages).toHaveLength(2);
  });

  it('sends, reports, and a rerun says it is already sent; status shows the ledger', async () => {
    await project.addSubscribers(9);
    smtp.faults = { rcpt: (to) => (to === 'reader4@example.org' ? { code: 550, message: '5.1.1 <reader4@example.org>: User unknown' } : null) };
    const r = await run(['send', 'latest']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('started the send of 2024-04-15 to 9 subscriber(s)');
    expect(r.stdout).toContain('2024-04-15: 8 accepted, 0 deferred, 1 failed, 0 suppressed, 0 unknown');
    expect(r.stdout).toMatch(/this run: 9 message\(s\) handed to SMTP, 8 accepted in [\d.]+ s/);
    expect(r.stdout).toContain('send finished');

    const again = await run(['send', '2024-04-15']);
    expect(again.stdout).toMatch(/2024-04-15 was already sent \(finished .*\): 8 accepted, 1 failed/);
    expect(smtp.accepted()).toHaveLength(8);

    const status = await run(['status', '2024-04-15']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/send: started .* \(cli\), 9 deliveries, finished/);
    expect(status.stdout).toContain('queued 0  sending 0  accepted 8  deferred 0  failed 1  suppressed 0  unknown 0');
    expect(status.stdout).toMatch(/failed \(1\):\n {2}reader4@example\.org {2}550 5\.1\.1 <reader4@example\.org>: User unknown {2}\(attempts 1\)/);
  });

  it('status of an issue never sent, and of deferred deliveries with their retry times', async () => {
    await project.addSubscribers(3);
    expect((await run(['status', 'latest'])).stdout).toContain('not sent: no send has been started for it');
    smtp.faults = { data: (m) => (m.to[0] === 'reader1@example.org' ? { code: 451, message: '4.3.2 try later' } : 'accept') };
    const r = await run(['send', 'latest', '--retry-wait', '0']);
    // Not finished within --retry-wait: exit 75 and what waits, in the ledger's words.
    expect(r.code, r.stderr).toBe(75);
    expect(r.stdout).toMatch(/^1 deferred deliveries wait for their retry; the next is due at 20\d\d-/m);
    expect(r.stdout).toContain('not finished after waiting up to --retry-wait 0 s: `sudi send 2024-04-15` resumes it now');
    const status = await run(['status', 'latest']);
    expect(status.stdout).toMatch(/send: .*, not finished\n/);
    expect(status.stdout).toMatch(/deferred \(1\): retries due from .* to /);
    expect(status.stdout).toMatch(/reader1@example\.org {2}451 4\.3\.2 try later {2}\(attempts 1, retry due /);
  });

  it('an unknown outcome is reported as unknown with its resend due (not made), never as deferred or resent', async () => {
    await project.addSubscribers(3);
    smtp.faults = { data: (m) => (m.to[0] === 'reader2@example.org' ? 'drop' : 'accept') };
    const r = await run(['send', 'latest', '--retry-wait', '0']);
    expect(r.code).toBe(75);
    expect(r.stdout).toContain('2024-04-15: 2 accepted, 0 deferred, 0 failed, 0 suppressed, 1 unknown');
    expect(r.stdout).toMatch(/^1 unknown for their one resend; the next is due at /m);
    expect(r.stdout).not.toMatch(/deferred deliveries/);
    const status = await run(['status', 'latest']);
    expect(status.stdout).toMatch(/unknown \(1\): the whole message was sent and the connection was lost before the reply; it may have been delivered/);
    expect(status.stdout).toMatch(/reader2@example\.org {2}<[^>]+> {2}to be resent once with the same Message-ID, due 20\d\d-/);
    expect(status.stdout).not.toMatch(/resent once at/);
    // The resend, then an unanswered resend: final, and said so.
    const again = await run(['send', 'latest', '--retry-wait', '120'], new Date(Date.now() + 3_600_000));
    expect(again.code, again.stdout).toBe(0);
    const final = await run(['status', 'latest']);
    expect(final.stdout).toMatch(/reader2@example\.org {2}<[^>]+> {2}left as unknown: its one resend also went unanswered/);
    expect(smtp.messages.filter((m) => m.to[0] === 'reader2@example.org')).toHaveLength(2);
  });

  it('--no-wait only creates the send; run-due then delivers it', async () => {
    await project.addSubscribers(4);
    const r = await run(['send', 'latest', '--no-wait']);
    expect(r.stdout).toContain('not waiting (--no-wait)');
    expect(smtp.messages).toHaveLength(0);
    const due = await run(['run-due', '--no-build']);
    expect(due.code, due.stderr).toBe(0);
    expect(due.stdout).toMatch(/2024-04-15 \(resumed\): 4 accepted this run/);
    expect(smtp.messages).toHaveLength(4);
  });
});

describe('sudi run-due', () => {
  it('builds, sends what is due once, leaves what is not due; a second run sends nothing', async () => {
    await project.addSubscribers(5);
    await project.writeIssue('2024-04-22'); // due 2024-04-27
    const first = await run(['run-due']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/built \d+ file\(s\): 1 issue\(s\) published/);
    expect(first.stdout).toMatch(/2024-04-15 \(started\): 5 accepted this run; total 5 accepted.*finished/);
    expect(first.stdout).toContain('not yet due: 2024-04-22');
    const second = await run(['run-due', '--no-build']);
    expect(second.stdout).toContain('nothing due to send');
    expect(smtp.messages).toHaveLength(5);
  });
});
