/**
 * `sudi inbound --file` and the `sudi inbound` SMTP server, end to end: an Issue really sent over
 * SMTP, then the shared real-world bounces and Sudi's own corpus, answered to what was sent, go
 * back in and leave each Subscriber and Delivery in the manifest's state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { verpAddress } from '../../src/inbound/addresses.ts';
import { TEST_SECRET } from '../helpers/delivery-project.ts';
import { fillOwnFixture, ownManifest } from './own-fixtures.ts';
import { BOUNCE_DOMAIN, ISSUE, sentProject, type SentProject } from './inbound-project.ts';
import { SHARED_SKIP_REASON, fillSharedBounce, sharedBouncesPresent, sharedManifest } from './shared-bounces.ts';

let p: SentProject;
const shared = sharedManifest();
const own = ownManifest();

beforeAll(async () => {
  p = await sentProject(shared.length + own.length + 3);
}, 120_000);
afterAll(async () => {
  await p?.cleanup();
});

describe('what Sudi sends', () => {
  it('each message has its own signed VERP envelope sender and a signed mailto unsubscribe at BOUNCE_DOMAIN', async () => {
    for (const [i, m] of p.sent.entries()) {
      expect(m.envelopeFrom).toBe(verpAddress(TEST_SECRET, BOUNCE_DOMAIN, ISSUE, i + 1));
      const lu = (await simpleParser(m.raw)).headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
      expect(lu).toMatch(new RegExp(`<mailto:unsubscribe\\+${i + 1}\\.[0-9a-f]{20}@bounces\\.example\\.org\\?subject=unsubscribe>`));
    }
  });
});

describe.skipIf(!sharedBouncesPresent)(`sudi inbound --file: shared real-world corpus${sharedBouncesPresent ? '' : ` (skipped: ${SHARED_SKIP_REASON})`}`, () => {
  it('all twelve end in the manifest\'s Subscriber states; hard bounces fail the Delivery with the diagnostic; a second run changes nothing', async () => {
    const files: string[] = [];
    for (const [i, b] of shared.entries()) {
      const m = p.sent[i]!;
      files.push(await p.save(`shared-${b.file}`, fillSharedBounce(b.file, { token: m.token, rcpt: m.email, messageId: m.messageId })));
    }
    const r = await p.run(['inbound', '--file', ...files]);
    expect(r.code, r.stderr).toBe(0);
    for (const [i, b] of shared.entries()) {
      expect(await p.statusOf(p.sent[i]!.email), b.file).toBe(b.expected);
      expect(r.stdout).toContain(`${files[i]}: ${{ hard: 'hard_bounce', soft: 'soft_bounce', complaint: 'complaint', autoreply: 'autoreply' }[b.kind]}`);
    }
    const app = p.project.app();
    const store = await app.store();
    for (const [i, b] of shared.entries()) {
      const [d] = await store.listDeliveries({ issueId: ISSUE, afterSubscriberId: i, limit: 1 });
      expect(d!.state, b.file).toBe(b.kind === 'hard' ? 'failed' : 'accepted');
      if (b.kind === 'hard') expect(d!.lastResponse).toContain(b.status!);
    }
    await app.close();
    const again = await p.run(['inbound', '--file', ...files]);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/seen before, nothing changed/g)).toHaveLength(shared.length);
  });
});

describe('sudi inbound --file: own RFC-shaped corpus, and what must change nothing', () => {
  it('DSN, ARF, auto-replies and the mailto unsubscribe end in their states', async () => {
    const base = shared.length;
    const files: string[] = [];
    for (const [i, f] of own.entries()) {
      const m = p.sent[base + i]!;
      const lu = (await simpleParser(m.raw)).headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
      const unsubscribe = /mailto:([^?>]+)/.exec(lu)![1]!;
      files.push(await p.save(`own-${f.file}`, fillOwnFixture(f.file, { token: m.token, rcpt: m.email, messageId: m.messageId, unsubscribe })));
    }
    const r = await p.run(['inbound', '--file', ...files]);
    expect(r.code, r.stderr).toBe(0);
    for (const [i, f] of own.entries()) expect(await p.statusOf(p.sent[base + i]!.email), f.file).toBe(f.expected);
  });

  it('a bounce to a tampered VERP address changes nothing and is logged; the Message-ID alone still finds the Delivery', async () => {
    const victim = p.sent.at(-3)!;
    const other = p.sent.at(-2)!;
    const tampered = victim.token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const forged = fillOwnFixture('rfc3464-hard-rfc822-headers.eml', { token: tampered, rcpt: victim.email, messageId: '<not-ours@example.org>', unsubscribe: '' });
    const byId = fillOwnFixture('rfc3464-hard-rfc822-headers.eml', { token: 'x', rcpt: other.email, messageId: other.messageId, unsubscribe: '' }).toString('utf8').replaceAll('bounces+x@', 'bounces@');
    const r = await p.run(['inbound', '--file', await p.save('forged.eml', forged), await p.save('by-id.eml', Buffer.from(byId))]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/tampered VERP address bounces\+2024-04-15\.\d+\.[0-9a-f]{20}@bounces\.example\.org/);
    expect(r.stdout).toMatch(/forged\.eml: ignored 5\.1\.1: nothing/);
    expect(await p.statusOf(victim.email)).toBe('active');
    expect(r.stdout).toMatch(/by-id\.eml: hard_bounce 5\.1\.1 subscriber #\d+ issue 2024-04-15: subscriber bounced; delivery failed/);
    expect(await p.statusOf(other.email)).toBe('bounced');
  });

  it('a missing file is named with exit 2, and the other files still go in', async () => {
    const last = p.sent.at(-1)!;
    const ok = await p.save('ooo.eml', fillOwnFixture('rfc3834-out-of-office.eml', { token: last.token, rcpt: last.email, messageId: last.messageId, unsubscribe: '' }));
    const huge = await p.save('huge.eml', Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(11 * 1024 * 1024, 'a\r\n')]));
    const r = await p.run(['inbound', '--file', `${p.project.dir}/missing.eml`, huge, ok]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.eml: cannot read: ENOENT/);
    expect(r.stderr).toMatch(/huge\.eml: \d+ bytes, over INBOUND_MAX_BYTES \(10485760\); not read/);
    expect(r.stdout).toMatch(/ooo\.eml: autoreply subscriber #\d+ issue 2024-04-15: nothing/);
  });
});

describe.skipIf(!sharedBouncesPresent)('what came back, as the operator sees it', () => {
  it('sudi status ISSUE counts and lists the events; sudi subscribers show ADDRESS lists one Subscriber\'s', async () => {
    const status = await p.run(['status', ISSUE]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/came back: .*hard_bounce \d+/);
    expect(status.stdout).toMatch(/complaint 2/);
    expect(status.stdout).toMatch(new RegExp(`hard_bounce 5\\.1\\.1  ${p.sent[0]!.email.replace('.', '\\.')}  "550 5\\.1\\.1 Address rejected.*→ subscriber bounced; delivery failed  \\(file\\)`));
    expect(status.stdout).toMatch(/failed \(\d+\):\n {2}reader0@example\.org {2}5\.1\.1 550 5\.1\.1 Address rejected/);

    const show = await p.run(['subscribers', 'show', p.sent[0]!.email]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^reader0@example\.org {2}#1 {2}bounced {2}lang \w+ {2}source test\n {2}created \S+ {2}confirmed \S+ {2}suppressed \S+/);
    expect(show.stdout).toMatch(/hard_bounce 5\.1\.1 {2}issue 2024-04-15 {2}"550 5\.1\.1 Address rejected/);
    const quiet = await p.run(['subscribers', 'show', p.sent.at(-1)!.email.toUpperCase()]);
    expect(quiet.stdout).toMatch(/inbound events: |autoreply/);
    const none = await p.run(['subscribers', 'show', 'nobody@example.org']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/no Subscriber nobody@example\.org/);
  });
});
