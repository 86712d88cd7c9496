/**
 * `sudi inbound` as an SMTP server on loopback: the shared bounces and own corpus sent to it over
 * SMTP (null sender, RCPT TO the VERP address, as a receiving MTA does) end in the manifest's
 * states; no relay; an oversize message is refused and the intake goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { runCli } from '../../src/cli/main.ts';
import { createIntake } from '../../src/inbound/intake.ts';
import { startSmtpListener } from '../../src/inbound/smtp-listener.ts';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import { tempDir } from '../helpers/run-cli.ts';
import { fillOwnFixture, ownManifest } from './own-fixtures.ts';
import { BOUNCE_DOMAIN, sentProject, type SentProject } from './inbound-project.ts';
import { SHARED_SKIP_REASON, fillSharedBounce, sharedBouncesPresent, sharedManifest } from './shared-bounces.ts';

let p: SentProject;
let port = 0;
let stdout = '';
let stderr = '';
let stop: AbortController;
let exited: Promise<number>;
const shared = sharedManifest();

beforeAll(async () => {
  p = await sentProject(shared.length + 3, { INBOUND_PORT: '0', INBOUND_MAX_BYTES: String(64 * 1024) });
  stop = new AbortController();
  let announced: (port: number) => void;
  const listening = new Promise<number>((resolve) => (announced = resolve));
  exited = runCli(['inbound'], {
    stdout: {
      write: (s: string) => {
        stdout += s;
        const m = /SMTP on 127\.0\.0\.1:(\d+)/.exec(stdout);
        if (m) announced(Number(m[1]));
      },
    },
    stderr: { write: (s: string) => (stderr += s) },
    env: p.project.env,
    cwd: p.project.dir,
    now: () => new Date(),
    shutdownSignal: stop.signal,
  });
  port = await Promise.race([listening, exited.then((code) => Promise.reject(new Error(`sudi inbound exited ${code}: ${stderr}`)))]);
}, 120_000);

afterAll(async () => {
  stop?.abort();
  if (exited !== undefined) expect(await exited).toBe(0);
  await p?.cleanup();
});

/** One SMTP transaction as a receiving MTA makes it: null reverse-path, our address as recipient. */
async function deliver(raw: Buffer, to: string) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    return await t.sendMail({ envelope: { from: '', to: [to] }, raw });
  } finally {
    t.close();
  }
}

describe.skipIf(!sharedBouncesPresent)(`sudi inbound over SMTP: shared real-world corpus${sharedBouncesPresent ? '' : ` (skipped: ${SHARED_SKIP_REASON})`}`, () => {
  it('all twelve, sent to their VERP address, end in the manifest\'s Subscriber states', async () => {
    for (const [i, b] of shared.entries()) {
      const m = p.sent[i]!;
      const info = await deliver(fillSharedBounce(b.file, { token: m.token, rcpt: m.email, messageId: m.messageId }), m.envelopeFrom);
      expect(info.response, b.file).toMatch(/^250 /);
    }
    for (const [i, b] of shared.entries()) expect(await p.statusOf(p.sent[i]!.email), b.file).toBe(b.expected);
    expect(stderr).toMatch(/inbound: smtp hard_bounce 5\.1\.1 subscriber #1 issue 2024-04-15: subscriber bounced; delivery failed/);
    // The server is a service: its stderr is JSON lines with the event's context, and at info
    // level no bounced recipient's address (the bounce's detail quotes it; that is debug only).
    const records = stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string } & Record<string, unknown>);
    expect(records).toContainEqual(expect.objectContaining({ level: 'info', source: 'smtp', kind: 'hard_bounce', status: '5.1.1', subscriberId: 1, issue: '2024-04-15' }));
    const addresses = p.sent.map((m) => m.email.toLowerCase());
    expect(records.filter((r) => r.level === 'info' && addresses.some((a) => JSON.stringify(r).toLowerCase().includes(a)))).toEqual([]);
  });
});

describe('sudi inbound over SMTP: limits', () => {
  it('refuses recipients outside BOUNCE_DOMAIN (no relay) and other mailboxes at it', async () => {
    const m = p.sent.at(-1)!;
    await expect(deliver(Buffer.from('Subject: hi\r\n\r\nhello\r\n'), 'someone@example.com')).rejects.toMatchObject({ responseCode: 550 });
    await expect(deliver(Buffer.from('Subject: hi\r\n\r\nhello\r\n'), `${m.envelopeFrom.split('@')[0]}@${BOUNCE_DOMAIN}.evil.example`)).rejects.toMatchObject({ responseCode: 550 });
    await expect(deliver(Buffer.from('Subject: spam\r\n\r\nhello\r\n'), `sales@${BOUNCE_DOMAIN}`)).rejects.toMatchObject({ responseCode: 550 });
    expect((await deliver(Buffer.from('Subject: hi\r\n\r\nhello\r\n'), `postmaster@${BOUNCE_DOMAIN}`)).response).toMatch(/^250 /);
  });

  it('refuses a message over INBOUND_MAX_BYTES with 552, and the next message still goes in; garbage is taken and ignored', async () => {
    const m = p.sent.at(-2)!;
    const huge = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(200 * 1024, 'a\r\n')]);
    await expect(deliver(huge, m.envelopeFrom)).rejects.toMatchObject({ responseCode: 552 });
    const garbage = await deliver(Buffer.from('\x00\x01\x02 no headers at all \xff\xfe\r\n'), m.envelopeFrom);
    expect(garbage.response).toMatch(/^250 /);
    expect(await p.statusOf(m.email)).toBe('active');
    const hard = fillOwnFixture(ownManifest()[0]!.file, { token: m.token, rcpt: m.email, messageId: m.messageId, unsubscribe: '' });
    expect((await deliver(hard, m.envelopeFrom)).response).toMatch(/^250 /);
    expect(await p.statusOf(m.email)).toBe('bounced');
    expect(stderr).toMatch(/refused a message over 65536 bytes/);
  });
});

describe('the SMTP listener when the Store fails', () => {
  it('answers 451 (the sending MTA keeps the bounce and retries) and goes on serving', async () => {
    const t = await tempDir('sudi-inbound-451-');
    const store = openSqliteStore(`${t.dir}/sudi.db`);
    await store.close(); // every statement on it now throws, as a lost database would
    const lines: string[] = [];
    const intake = createIntake({ config: { bounceDomain: BOUNCE_DOMAIN, softBounceLimit: 3, inboundDir: t.dir }, secret: 'x'.repeat(40), store, now: () => new Date(), log: (l) => lines.push(l) });
    const listener = await startSmtpListener({ host: '127.0.0.1', port: 0, bounceDomain: BOUNCE_DOMAIN, maxBytes: 1 << 20, intake, log: (l) => lines.push(l) });
    try {
      const t2 = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, ignoreTLS: true });
      for (let i = 0; i < 2; i++) {
        await expect(t2.sendMail({ envelope: { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, raw: Buffer.from(`Subject: ${i}\r\n\r\nhello\r\n`) })).rejects.toMatchObject({ responseCode: 451 });
      }
      t2.close();
      expect(lines.filter((l) => /could not record a message .*asked the sender to retry/.test(l))).toHaveLength(2);
    } finally {
      await listener.close();
      await t.cleanup();
    }
  });
});
