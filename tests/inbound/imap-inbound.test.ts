/**
 * `sudi inbound --imap-once` against a real IMAP server (dovecot on loopback, started here): the
 * shared bounces and own corpus appended to INBOX are read into the ledger, moved to Processed;
 * an oversize message is moved unread to Rejected; a second poll finds nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';
import { startDovecot, dovecotPresent, DOVECOT, type Dovecot } from './dovecot.ts';
import { fillOwnFixture, ownManifest } from './own-fixtures.ts';
import { sentProject, type SentProject } from './inbound-project.ts';
import { fillSharedBounce, sharedManifest } from './shared-bounces.ts';

const shared = sharedManifest();
const own = ownManifest().filter((f) => f.kind !== 'other');
let dovecot: Dovecot;
let p: SentProject;
let cleanupTmp: () => Promise<void>;

async function imap<T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.pass }, logger: false });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout();
  }
}

const count = (folder: string) => imap(async (c) => { const s = await c.status(folder, { messages: true }); return s ? s.messages : null; });

describe.skipIf(!dovecotPresent)(`sudi inbound --imap-once${dovecotPresent ? '' : ` (skipped: ${DOVECOT} not installed; apt-get install dovecot-imapd)`}`, () => {
  beforeAll(async () => {
    const t = await tempDir('sudi-dovecot-');
    cleanupTmp = t.cleanup;
    dovecot = await startDovecot(t.dir);
    p = await sentProject(shared.length + own.length, {
      INBOUND_IMAP_URL: `imap://${dovecot.user}:${dovecot.pass}@127.0.0.1:${dovecot.port}/INBOX?processed=Sudi%2FDone`,
      INBOUND_MAX_BYTES: String(64 * 1024),
    });
  }, 120_000);
  afterAll(async () => {
    await dovecot?.stop();
    await p?.cleanup();
    await cleanupTmp?.();
  });

  it('reads every message into the ledger, moves it to the processed folder, sets a huge one aside, and a second poll finds nothing', async () => {
    const messages: Buffer[] = [];
    for (const [i, b] of shared.entries()) {
      const m = p.sent[i]!;
      messages.push(fillSharedBounce(b.file, { token: m.token, rcpt: m.email, messageId: m.messageId }));
    }
    for (const [i, f] of own.entries()) {
      const m = p.sent[shared.length + i]!;
      messages.push(fillOwnFixture(f.file, { token: m.token, rcpt: m.email, messageId: m.messageId, unsubscribe: '' }));
    }
    const huge = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(100 * 1024, 'a\r\n')]);
    await imap(async (c) => {
      for (const raw of [...messages, huge]) await c.append('INBOX', raw);
    });

    const r = await p.run(['inbound', '--imap-once']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${messages.length} read and moved to Sudi/Done, 1 set aside, 0 left`);
    for (const [i, b] of shared.entries()) expect(await p.statusOf(p.sent[i]!.email), b.file).toBe(b.expected);
    for (const [i, f] of own.entries()) expect(await p.statusOf(p.sent[shared.length + i]!.email), f.file).toBe(f.expected);
    expect(await count('INBOX')).toBe(0);
    // dovecot's Maildir++ delimiter is '.': the folder is Sudi.Done on the server.
    expect(await count('Sudi.Done')).toBe(messages.length);
    expect(await count('Rejected')).toBe(1);

    const again = await p.run(['inbound', '--imap-once']);
    expect(again.stdout).toContain('0 read and moved to Sudi/Done, 0 set aside, 0 left');
  });

  it('without INBOUND_IMAP_URL, --imap-once says what to set', async () => {
    const bad = await runCliCaptured(['inbound', '--imap-once'], { cwd: p.project.dir, env: { ...p.project.env, INBOUND_IMAP_URL: '' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--imap-once needs INBOUND_IMAP_URL/);
  });
});
