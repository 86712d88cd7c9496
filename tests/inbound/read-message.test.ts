import { describe, expect, it } from 'vitest';
import { unsubscribeAddress, verpAddress, verpToken } from '../../src/inbound/addresses.ts';
import { parseDsnFields } from '../../src/inbound/dsn-fields.ts';
import { readInboundMessage } from '../../src/inbound/read-message.ts';
import { statusFromText } from '../../src/inbound/non-standard.ts';
import { fillOwnFixture, ownManifest } from './own-fixtures.ts';
import { SHARED_SKIP_REASON, fillSharedBounce, sharedBouncesPresent, sharedManifest } from './shared-bounces.ts';

const SECRET = 's'.repeat(40);
const DOMAIN = 'bounces.example.org';
const RCPT = 'reader@example.net';
const MESSAGE_ID = '<Zx9.2024-04-15@example.org>';
const TOKEN = verpToken(SECRET, '2024-04-15', 42);
const KIND = { hard: 'hard_bounce', soft: 'soft_bounce', complaint: 'complaint', autoreply: 'autoreply' } as const;

describe('readInboundMessage: own RFC-shaped corpus', () => {
  for (const f of ownManifest()) {
    it(`${f.file}: ${f.kind} ${f.status ?? ''}`, async () => {
      const unsubscribe = unsubscribeAddress(SECRET, DOMAIN, { id: 42, email: RCPT });
      const r = await readInboundMessage(fillOwnFixture(f.file, { token: TOKEN, rcpt: RCPT, messageId: MESSAGE_ID, unsubscribe }), { bounceDomain: DOMAIN });
      expect(r.kind).toBe(f.kind);
      expect(r.status).toBe(f.status);
      if (f.kind !== 'other') {
        expect(r.addresses.map((a) => a.address)).toContain(verpAddress(SECRET, DOMAIN, '2024-04-15', 42));
        expect(r.messageIds).toContain(MESSAGE_ID);
      } else {
        expect(r.addresses.map((a) => a.address)).toEqual([unsubscribe]);
      }
    });
  }

  it('the DSN identifiers come from the returned headers, not the report\'s own Message-Id', async () => {
    const r = await readInboundMessage(fillOwnFixture('rfc3464-hard-rfc822-headers.eml', { token: TOKEN, rcpt: RCPT, messageId: MESSAGE_ID, unsubscribe: '' }), { bounceDomain: DOMAIN });
    expect(r.messageIds).not.toContain('<20240422021011.A1B2C3@mx.example.net>');
    expect(r.recipient).toBe(RCPT);
    expect(r.diagnostic).toMatch(/^550 5\.1\.1 <reader@example\.net>: Recipient address rejected: User unknown/);
  });

  it('the same bytes give the same fingerprint whatever the line endings', async () => {
    const raw = fillOwnFixture('rfc5965-arf-abuse.eml', { token: TOKEN, rcpt: RCPT, messageId: MESSAGE_ID, unsubscribe: '' });
    const a = await readInboundMessage(raw, { bounceDomain: DOMAIN });
    const b = await readInboundMessage(raw.toString('utf8').replace(/\n/g, '\r\n'), { bounceDomain: DOMAIN });
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.feedbackType).toBe('abuse');
  });

  it('garbage is "other", never a bounce', async () => {
    const r = await readInboundMessage(Buffer.from('\x00\x01not a message at all\n\n\xff'), { bounceDomain: DOMAIN });
    expect(r.kind).toBe('other');
    expect(r.addresses).toEqual([]);
  });
});

describe('DSN fields and non-standard status codes', () => {
  it('parses per-recipient blocks with continuation lines', () => {
    const f = parseDsnFields('Reporting-MTA: dns; a\n\nFinal-Recipient: rfc822; X@Y.Z\nAction: Failed\nStatus: 5.7.1 (policy)\nDiagnostic-Code: smtp; 550 5.7.1\n  blocked\n');
    expect(f.perMessage['reporting-mta']).toBe('dns; a');
    expect(f.recipients).toEqual([{ recipient: 'X@Y.Z', action: 'failed', status: '5.7.1', diagnostic: '550 5.7.1 blocked' }]);
  });

  it('reads status codes after reply codes and in qmail style, never from IP addresses', () => {
    expect(statusFromText('host 10.4.5.1 said: 550-5.1.1 The email account does not exist')).toBe('5.1.1');
    expect(statusFromText('Sorry, no mailbox here by that name. (#5.1.1)')).toBe('5.1.1');
    expect(statusFromText('connected to 192.0.4.5.1 and 10.4.5.1')).toBeNull();
    expect(statusFromText('Remote host said: 554 delivery error')).toBe('5.0.0');
  });
});

describe.skipIf(!sharedBouncesPresent)(`readInboundMessage: shared real-world corpus${sharedBouncesPresent ? '' : ` (skipped: ${SHARED_SKIP_REASON})`}`, () => {
  for (const b of sharedManifest()) {
    it(`${b.file}: ${b.kind} ${b.status ?? ''}`, async () => {
      const r = await readInboundMessage(fillSharedBounce(b.file, { token: TOKEN, rcpt: RCPT, messageId: MESSAGE_ID }), { bounceDomain: DOMAIN });
      expect(r.kind).toBe(KIND[b.kind]);
      expect(r.status).toBe(b.status);
      expect(r.addresses[0]).toMatchObject({ kind: 'verp', issueId: '2024-04-15', subscriberId: 42 });
      expect(r.messageIds).toContain(MESSAGE_ID);
    });
  }
});
