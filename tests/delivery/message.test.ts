/**
 * Messages built by splicing pre-encoded chunks decode (with independent parsers: mailparser,
 * libqp, Node's base64) to exactly what personalize() produces, carry every required header once,
 * and verify under DKIM with mailauth (both List-Unsubscribe headers signed).
 */
import { unsubscribeAddress, verpAddress } from '../../src/inbound/addresses.ts';
import { generateKeyPairSync } from 'node:crypto';
import libqp from 'libqp';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { describe, expect, it } from 'vitest';
import { createDkimSigner } from '../../src/delivery/dkim.ts';
import { createMessageFactory, messageIdFor } from '../../src/delivery/message.ts';
import { canonicalLines, splicedBody, type TransferEncoding } from '../../src/delivery/spliced-body.ts';
import type { Lang } from '../../src/model.ts';
import { HTML_PLACEHOLDERS, personalize, renderEmail, TEXT_PLACEHOLDERS, type RenderedEmail } from '../../src/render/email.ts';
import { personalAddresses } from '../../src/personal-links.ts';
import { preferencesUrl, unsubscribeUrl } from '../../src/subscribers/links.ts';
import { NOW, seedIssue, testConfig } from '../render/fixtures.ts';

const SECRET = 'x'.repeat(40);
const config = testConfig({ MAIL_FROM: '每周论文 · Sudi <digest@news.example.org>', LIST_ID: 'Sudi weekly <weekly.news.example.org>' });
const addresses = personalAddresses(config, SECRET);
const raw = (chunks: readonly Buffer[] | Buffer | string) => (Array.isArray(chunks) ? Buffer.concat(chunks) : Buffer.from(chunks as Buffer));

/** Header fields of a raw message, unfolded, in order. */
function headerFields(message: Buffer): { name: string; value: string }[] {
  const head = message.subarray(0, message.indexOf('\r\n\r\n')).toString('utf8').replace(/\r\n[ \t]+/g, ' ');
  return head.split('\r\n').map((l) => ({ name: l.slice(0, l.indexOf(':')), value: l.slice(l.indexOf(':') + 1).trim() }));
}

/** The parts of a multipart message, decoded by hand (Node's base64, libqp) to compare bytes. */
function partsOf(message: Buffer): { type: string; decoded: string }[] {
  const text = message.toString('latin1');
  const boundary = /boundary="([^"]+)"/.exec(text)![1]!;
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  const sections = body.split(`--${boundary}`).slice(1, -1);
  return sections.map((sec) => {
    const s = sec.replace(/^\r\n/, '');
    const head = s.slice(0, s.indexOf('\r\n\r\n'));
    // The CRLF before the next delimiter belongs to the delimiter.
    const content = s.slice(s.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, '');
    const enc = /Content-Transfer-Encoding: (\S+)/i.exec(head)![1]!;
    const bytes = enc === 'base64' ? Buffer.from(content, 'base64') : libqp.decode(content);
    return { type: /Content-Type: ([^;\r\n]+)/i.exec(head)![1]!, decoded: bytes.toString('utf8') };
  });
}

describe('spliced body encoding', () => {
  // Deterministic pseudo-random text: CJK, ASCII, spaces, tabs, blank lines and dots at line starts.
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const pieces = ['论文', '速递', 'abc', ' ', '  ', '\t', '\n', '\r\n', '.', '=', 'x'.repeat(90), '中'.repeat(40), 'é', '😀'];
  const randomText = (max: number) => Array.from({ length: rnd(max) }, () => pieces[rnd(pieces.length)]).join('');

  for (const encoding of ['base64', 'quoted-printable'] as TransferEncoding[]) {
    it(`${encoding}: chunks concatenate to the encoding of the whole text, for any value lengths`, () => {
      for (let round = 0; round < 300; round++) {
        const statics = Array.from({ length: 1 + rnd(4) }, () => randomText(round % 3 === 0 ? 4 : 40));
        const body = splicedBody({ statics }, encoding);
        for (let v = 0; v < 3; v++) {
          const values = statics.slice(1).map(() => `https://x.org/u/${'a'.repeat(rnd(7))}`);
          const chunks: Buffer[] = [];
          body.encode(values, chunks);
          const wire = Buffer.concat(chunks).toString('latin1');
          expect(wire.endsWith('\r\n') || wire === '').toBe(true);
          for (const line of wire.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
          // The CRLF before the next boundary belongs to the boundary (RFC 2046).
          const content = wire.slice(0, -2);
          const decoded = encoding === 'base64' ? Buffer.from(content, 'base64') : libqp.decode(content);
          const expected = canonicalLines(statics.map((s, i) => s + (values[i] ?? '')).join(''));
          expect(decoded.toString('utf8')).toBe(expected);
        }
      }
    });
  }
});

describe('issue messages', () => {
  const issue = seedIssue();

  for (const lang of ['zh', 'en', 'both'] as Lang[]) {
    it(`${lang}: headers exactly once each; decoded text and HTML are personalize()'s output`, async () => {
      const rendered = await renderEmail(issue, { config, now: NOW, lang });
      const factory = createMessageFactory(rendered, { config, secret: SECRET, addresses });
      // Ids and addresses of different lengths move the base64 alignment around.
      for (const [subscriberId, email] of [
        [1, 'a@example.org'],
        [22, 'bb@example.org'],
        [333, 'ccc.dd@example.org'],
        [123456, 'x+tag@sub.example.org'],
      ] as const) {
        const msg = factory.build({ subscriberId, email }, { now: NOW });
        const bytes = raw(msg.raw);
        const fields = headerFields(bytes);
        for (const name of ['From', 'To', 'Subject', 'Date', 'Message-ID', 'List-Id', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'Feedback-ID', 'MIME-Version', 'Content-Type']) {
          expect(fields.filter((f) => f.name.toLowerCase() === name.toLowerCase()), name).toHaveLength(1);
        }
        // Header lines fold at spaces (a long URL cannot be split: RFC 5322 allows 998); body lines ≤ 76.
        const [head, body] = [bytes.subarray(0, bytes.indexOf('\r\n\r\n')), bytes.subarray(bytes.indexOf('\r\n\r\n') + 4)];
        for (const line of head.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
        for (const line of body.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);

        const parsed = await simpleParser(bytes);
        const values = { unsubscribeUrl: unsubscribeUrl(config, SECRET, { subscriberId, email }), preferencesUrl: preferencesUrl(config, SECRET, { subscriberId, email }), recipient: email };
        const want = personalize(rendered, values);
        // mailparser hands text back with LF line breaks, as personalize() writes them.
        expect(parsed.html).toBe(want.html);
        expect(parsed.text).toBe(want.text);
        // Byte for byte on the wire: each part decodes to the text in MIME canonical form (CRLF).
        const parts = partsOf(bytes);
        expect(parts.map((p) => p.type)).toEqual(['text/plain', 'text/html']);
        expect(parts[0]!.decoded).toBe(canonicalLines(want.text));
        expect(parts[1]!.decoded).toBe(canonicalLines(want.html));
        expect(parsed.subject).toBe(rendered.subject);
        expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : null).toBe(email);
        expect(parsed.from?.value[0]).toEqual({ name: '每周论文 · Sudi', address: 'digest@news.example.org' });
        expect(parsed.messageId).toBe(messageIdFor(SECRET, issue.id, subscriberId, 'news.example.org'));
        expect(parsed.date?.getTime()).toBe(NOW.getTime());
        const get = (n: string) => fields.find((f) => f.name.toLowerCase() === n)!.value;
        // The mailto and the envelope sender are signed addresses at MAIL_FROM's domain (no BOUNCE_DOMAIN here).
        expect(get('list-unsubscribe')).toBe(`<${values.unsubscribeUrl}>, <mailto:${unsubscribeAddress(SECRET, 'news.example.org', { id: subscriberId, email })}?subject=unsubscribe>`);
        expect(msg.from).toBe(verpAddress(SECRET, 'news.example.org', issue.id, subscriberId));
        expect(values.unsubscribeUrl).toMatch(/^https:\/\/news\.example\.org\/digest\/unsubscribe\//);
        expect(get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
        expect(get('list-id')).toBe('Sudi weekly <weekly.news.example.org>');
        // Gmail's campaign:customer:mailtype:sender, no field with a colon or a space.
        expect(get('feedback-id')).toBe(`${issue.id}.${lang}:weekly.news.example.org:newsletter:news.example.org`);
        // A Chinese subject travels as GB18030 encoded words (SpamAssassin's SUBJ_ALL_CAPS), decoded back exactly.
        expect(get('subject')).toMatch(lang === 'en' ? /^=\?UTF-8\?B\?/ : /^=\?GB18030\?B\?[^?]+\?=$/);
        expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
        expect(parsed.attachments).toHaveLength(0);
      }
    });
  }

  it('quoted-printable parts (ASCII issues): decoded exactly, and DKIM passes despite runs of spaces', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dkim = createDkimSigner({ domain: 'news.example.org', selector: 'qp', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const resolver = async () => [[`v=DKIM1; k=rsa; p=${p}`]];
    const line = 'Papers  of the week:\tone, two  and three. ';
    const rendered: RenderedEmail = {
      issueId: '2024-04-15',
      lang: 'en',
      subject: 'Weekly papers (240415-240419)',
      preheader: '',
      html: `<p>${line.repeat(8)}</p>\n.dot at line start\n<a href="${HTML_PLACEHOLDERS.unsubscribeUrl}">unsubscribe</a>  <a href="${HTML_PLACEHOLDERS.preferencesUrl}">prefs</a>   \n`,
      text: `${line.repeat(5)}\n\nUnsubscribe: ${TEXT_PLACEHOLDERS.unsubscribeUrl}\nPreferences: ${TEXT_PLACEHOLDERS.preferencesUrl}`,
      htmlBytes: 0,
    };
    const factory = createMessageFactory(rendered, { config, secret: SECRET, addresses, dkim });
    const ref = { subscriberId: 77, email: 'qp@example.org' };
    const bytes = raw(factory.build(ref, { now: NOW }).raw);
    const want = personalize(rendered, { unsubscribeUrl: unsubscribeUrl(config, SECRET, ref), preferencesUrl: preferencesUrl(config, SECRET, ref), recipient: ref.email });
    const parts = partsOf(bytes);
    expect(bytes.toString('latin1')).toContain('Content-Transfer-Encoding: quoted-printable');
    expect(parts[0]!.decoded).toBe(canonicalLines(want.text));
    expect(parts[1]!.decoded).toBe(canonicalLines(want.html));
    const parsed = await simpleParser(bytes);
    expect(parsed.html).toBe(want.html);
    expect(parsed.text).toBe(want.text);
    const result = await dkimVerify(bytes, { resolver });
    expect(result.results[0]!.status.result).toBe('pass');
  });

  it('Message-ID: stable for (issue, subscriber), different otherwise, not derivable without SECRET', async () => {
    const rendered = await renderEmail(issue, { config, now: NOW, lang: 'both' });
    const a = createMessageFactory(rendered, { config, secret: SECRET, addresses });
    const b = createMessageFactory(rendered, { config, secret: SECRET, addresses });
    const one = a.build({ subscriberId: 5, email: 'e@example.org' }, { now: NOW }).messageId;
    expect(b.build({ subscriberId: 5, email: 'e@example.org' }, { now: new Date(NOW.getTime() + 99_000) }).messageId).toBe(one);
    expect(a.build({ subscriberId: 6, email: 'e@example.org' }, { now: NOW }).messageId).not.toBe(one);
    expect(messageIdFor('y'.repeat(40), issue.id, 5, 'news.example.org')).not.toBe(one);
    expect(one).toMatch(/^<[A-Za-z0-9_-]{32}\.2024-04-15@news\.example\.org>$/);
    // A recorded id is reused as is (a resend after the SECRET changed still matches the first copy).
    expect(a.build({ subscriberId: 5, email: 'e@example.org' }, { now: NOW, messageId: '<old@x>' }).messageId).toBe('<old@x>');
  });

  it('DKIM: mailauth verifies the signature, and h= covers both List-Unsubscribe headers', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const dkim = createDkimSigner({ domain: 'news.example.org', selector: 'sudi2024', privateKey: pem });
    const resolver = async (name: string, type: string) => {
      if (name === 'sudi2024._domainkey.news.example.org' && type === 'TXT') return [[`v=DKIM1; k=rsa; p=${p}`]];
      throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
    };
    for (const lang of ['zh', 'en'] as Lang[]) {
      const rendered = await renderEmail(issue, { config, now: NOW, lang });
      const factory = createMessageFactory(rendered, { config, secret: SECRET, addresses, dkim });
      for (const [id, email] of [[1, 'a@example.org'], [4242, 'long.address+x@example.org']] as const) {
        const bytes = raw(factory.build({ subscriberId: id, email }, { now: NOW }).raw);
        const result = await dkimVerify(bytes, { resolver });
        expect(result.results).toHaveLength(1);
        const r = result.results[0]!;
        expect(r.status.result, JSON.stringify(r.status)).toBe('pass');
        expect(r.signingDomain).toBe('news.example.org');
        const h = String((r as unknown as { signingHeaders: { keys: string } }).signingHeaders.keys).toLowerCase().split(': ');
        expect(h).toEqual(expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post', 'feedback-id', 'from', 'to', 'subject', 'date', 'message-id']));

        // Tampering with the one-click header breaks the signature.
        const forged = Buffer.from(bytes.toString('utf8').replace('List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'List-Unsubscribe-Post: List-Unsubscribe=Nope'));
        const bad = await dkimVerify(forged, { resolver });
        expect(bad.results[0]!.status.result).not.toBe('pass');
      }
    }
  });

  it('DKIM for an internationalized domain: d= in A-labels, and mailauth finds the key there', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const dkim = createDkimSigner({ domain: '速递.example', selector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const resolver = async (name: string, type: string) => {
      if (name === 'sel._domainkey.xn--e93aza.example' && type === 'TXT') return [[`v=DKIM1; k=rsa; p=${p}`]];
      throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
    };
    const factory = createMessageFactory(await renderEmail(issue, { config, now: NOW, lang: 'en' }), { config, secret: SECRET, addresses, dkim });
    const bytes = raw(factory.build({ subscriberId: 7, email: 'g@example.org' }, { now: NOW }).raw);
    expect(bytes.toString('latin1')).toMatch(/^DKIM-Signature: [^]*?\bd=xn--e93aza\.example;/);
    const result = await dkimVerify(bytes, { resolver });
    expect(result.results[0]!.status.result, JSON.stringify(result.results[0]!.status)).toBe('pass');
  });
});
