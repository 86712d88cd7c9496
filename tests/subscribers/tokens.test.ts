import { describe, expect, it } from 'vitest';
import { confirmUrl, preferencesUrl, unsubscribeUrl } from '../../src/subscribers/links.ts';
import { checkToken, parseToken, signToken, type TokenPurpose } from '../../src/subscribers/tokens.ts';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const ANN = { id: 42, email: 'ann@example.org' };
const T0 = new Date('2024-04-20T01:00:00.000Z');
const DAY = 86_400_000;

const verify = (token: string, purpose: TokenPurpose, email = ANN.email, now = T0, secret = SECRET) => {
  const p = parseToken(token);
  return p ? checkToken(secret, purpose, p, email, now) : 'malformed';
};

describe('purpose-bound tokens', () => {
  it('round-trips the subscriber id and issue time and verifies for its own purpose', () => {
    for (const purpose of ['confirm', 'unsubscribe', 'preferences'] as const) {
      const t = signToken(SECRET, purpose, ANN, T0);
      expect(t).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(parseToken(t)).toMatchObject({ subscriberId: 42, issuedAt: T0 });
      expect(verify(t, purpose)).toBe('ok');
    }
  });

  it('a token for one purpose never verifies for another', () => {
    const purposes = ['confirm', 'unsubscribe', 'preferences'] as const;
    for (const a of purposes) for (const b of purposes) if (a !== b) expect(verify(signToken(SECRET, a, ANN, T0), b)).toBe('forged');
  });

  it('is bound to the email, the id, the time and the secret', () => {
    const t = signToken(SECRET, 'unsubscribe', ANN, T0);
    expect(verify(t, 'unsubscribe', 'bob@example.org')).toBe('forged');
    expect(verify(t, 'unsubscribe', ANN.email, T0, `${SECRET}x`)).toBe('forged');
    const [id, iat, mac] = t.split('.') as [string, string, string];
    expect(verify(`43.${iat}.${mac}`, 'unsubscribe')).toBe('forged');
    expect(verify(`${id}.${(parseInt(iat, 36) + 1).toString(36)}.${mac}`, 'unsubscribe')).toBe('forged');
    // Every single-character change of the MAC is caught.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < mac.length; i++) {
      const c = alphabet[(alphabet.indexOf(mac[i]!) + 1) % 64]!;
      const tampered = `${id}.${iat}.${mac.slice(0, i)}${c}${mac.slice(i + 1)}`;
      expect(['forged', 'malformed']).toContain(verify(tampered, 'unsubscribe'));
    }
  });

  it('confirm tokens expire after 7 days; unsubscribe and preferences never do', () => {
    const c = signToken(SECRET, 'confirm', ANN, T0);
    expect(verify(c, 'confirm', ANN.email, new Date(T0.getTime() + 7 * DAY))).toBe('ok');
    expect(verify(c, 'confirm', ANN.email, new Date(T0.getTime() + 7 * DAY + 1))).toBe('expired');
    const u = signToken(SECRET, 'unsubscribe', ANN, T0);
    expect(verify(u, 'unsubscribe', ANN.email, new Date(T0.getTime() + 3650 * DAY))).toBe('ok');
  });

  it('rejects anything not shaped like a token', () => {
    for (const bad of ['', 'abc', '0.1.x', '1.2', `1.zz.${'A'.repeat(42)}`, `1.zz.${'A'.repeat(44)}`, `01.zz.${'A'.repeat(43)}`, `1.z!.${'A'.repeat(43)}`, `99999999999999999.1.${'A'.repeat(43)}`]) {
      expect(parseToken(bad)).toBeNull();
    }
  });
});

describe('links', () => {
  const config = { siteUrl: 'https://news.example.org/sudi/' };
  it('builds absolute URLs under SITE_URL, keeping its path', () => {
    expect(confirmUrl(config, SECRET, ANN, T0)).toMatch(/^https:\/\/news\.example\.org\/sudi\/confirm\/42\.[0-9a-z]+\.[\w-]{43}$/);
    expect(unsubscribeUrl(config, SECRET, ANN)).toMatch(/^https:\/\/news\.example\.org\/sudi\/unsubscribe\/42\./);
    expect(preferencesUrl(config, SECRET, ANN)).toMatch(/^https:\/\/news\.example\.org\/sudi\/preferences\/42\./);
  });
  it('unsubscribe and preference links are stable per subscriber and accept a claimed Delivery', () => {
    expect(unsubscribeUrl(config, SECRET, ANN)).toBe(unsubscribeUrl(config, SECRET, { subscriberId: 42, email: ANN.email }));
    expect(unsubscribeUrl(config, SECRET, ANN)).not.toBe(unsubscribeUrl(config, SECRET, { id: 43, email: ANN.email }));
    const token = unsubscribeUrl(config, SECRET, ANN).split('/').at(-1)!;
    expect(verify(token, 'unsubscribe')).toBe('ok');
  });
});
