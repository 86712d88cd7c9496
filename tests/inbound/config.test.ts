import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { runCliCaptured } from '../helpers/run-cli.ts';

describe('inbound settings', () => {
  it('BOUNCE_DOMAIN defaults to MAIL_FROM\'s domain, lower case; the rest have their documented defaults', () => {
    const c = parseConfig({ MAIL_FROM: 'Papers <Digest@News.Example.org>' }, '/srv/sudi');
    expect(c).toMatchObject({ bounceDomain: 'news.example.org', softBounceLimit: 3, inboundPort: 2525, inboundHost: '127.0.0.1', inboundMaxBytes: 10 * 1024 * 1024, inboundDir: '/srv/sudi/data/inbound', inboundImapUrl: undefined, inboundImapInterval: 60 });
    expect(parseConfig({ MAIL_FROM: 'digest@news.example.org', BOUNCE_DOMAIN: 'Bounces.News.Example.org' }, '/').bounceDomain).toBe('bounces.news.example.org');
  });

  it('an invalid value stops with exit 2 naming the key and what a valid one looks like', async () => {
    const bad = await runCliCaptured(['inbound', '--file', 'x.eml'], { env: { BOUNCE_DOMAIN: 'not a domain', INBOUND_IMAP_URL: 'http://x' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/BOUNCE_DOMAIN: is not a domain name \(expected e\.g\. news\.example\.org\) \(got "not a domain"\)/);
    expect(bad.stderr).toMatch(/INBOUND_IMAP_URL: expected imaps:\/\/USER:PASSWORD@HOST/);
  });
});
