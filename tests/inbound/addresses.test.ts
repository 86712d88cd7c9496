import { describe, expect, it } from 'vitest';
import {
  checkUnsubscribe,
  checkVerp,
  findReturnAddresses,
  readReturnAddress,
  unsubscribeAddress,
  verpAddress,
} from '../../src/inbound/addresses.ts';

const SECRET = 'x'.repeat(40);
const DOMAIN = 'bounces.example.org';

describe('signed return addresses', () => {
  it('a VERP address names its Delivery and verifies under SECRET, in any case', () => {
    const a = verpAddress(SECRET, DOMAIN, '2024-04-15', 42);
    expect(a).toMatch(/^bounces\+2024-04-15\.42\.[0-9a-f]{20}@bounces\.example\.org$/);
    expect(a.split('@')[0]!.length).toBeLessThanOrEqual(64);
    const r = readReturnAddress(a.toUpperCase(), DOMAIN);
    expect(r).toMatchObject({ kind: 'verp', issueId: '2024-04-15', subscriberId: 42 });
    expect(r?.kind === 'verp' && checkVerp(SECRET, r)).toBe(true);
    expect(r?.kind === 'verp' && checkVerp('y'.repeat(40), r)).toBe(false);
  });

  it('a tampered VERP address (another Subscriber, another Issue, another MAC) fails the check', () => {
    const a = verpAddress(SECRET, DOMAIN, '2024-04-15', 42);
    const flipped = a.replace(/([0-9a-f])@/, (_, c: string) => `${c === '0' ? '1' : '0'}@`);
    for (const forged of [a.replace('.42.', '.43.'), a.replace('2024-04-15', '2024-04-22'), flipped]) {
      expect(forged).not.toBe(a);
      const r = readReturnAddress(forged, DOMAIN);
      expect(r?.kind).toBe('verp');
      expect(r?.kind === 'verp' && checkVerp(SECRET, r)).toBe(false);
    }
  });

  it('unsigned addresses at our domain are read as unsigned; other domains are not ours', () => {
    expect(readReturnAddress(`bounces@${DOMAIN}`, DOMAIN)).toMatchObject({ kind: 'unsigned' });
    expect(readReturnAddress(`bounces+hello@${DOMAIN}`, DOMAIN)).toMatchObject({ kind: 'unsigned' });
    expect(readReturnAddress(`unsubscribe+1@${DOMAIN}`, DOMAIN)).toMatchObject({ kind: 'unsigned' });
    expect(readReturnAddress('bounces+2024-04-15.1.0123456789abcdef0123@example.com', DOMAIN)).toBeNull();
    expect(readReturnAddress(`postmaster@${DOMAIN}`, DOMAIN)).toBeNull();
  });

  it('the mailto unsubscribe address is bound to the Subscriber and their email', () => {
    const a = unsubscribeAddress(SECRET, DOMAIN, { id: 7, email: 'reader@example.net' });
    const r = readReturnAddress(a, DOMAIN);
    expect(r).toMatchObject({ kind: 'unsubscribe', subscriberId: 7 });
    expect(r?.kind === 'unsubscribe' && checkUnsubscribe(SECRET, r, 'reader@example.net')).toBe(true);
    // The same id re-used for another address (row deleted and re-created) does not match.
    expect(r?.kind === 'unsubscribe' && checkUnsubscribe(SECRET, r, 'other@example.net')).toBe(false);
  });

  it('finds our addresses in text, including Yahoo\'s bounces+TOKEN=domain@… form', () => {
    const a = verpAddress(SECRET, DOMAIN, '2024-04-15', 42);
    const token = a.slice('bounces+'.length, a.indexOf('@'));
    const text = `Return-Path: <bounces+${token}=bounces.example.org@returns.bulk.yahoo.com>\nTo: ${a}\nDelivered-To: ${a.toUpperCase()}\n`;
    const found = findReturnAddresses(text, DOMAIN);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'verp', subscriberId: 42 });
  });
});
