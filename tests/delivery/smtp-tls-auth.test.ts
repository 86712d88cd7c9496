/**
 * The SMTP pool against a real smtp-server that offers STARTTLS (a self-signed certificate made by
 * the openssl CLI for this test) and accepts AUTH only inside TLS: the session is upgraded, the
 * credentials from SMTP_URL are used, and the certificate is checked unless the URL says otherwise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { smtpPoolTransport } from '../../src/delivery/smtp-pool.ts';

interface Seen {
  /** Per AUTH attempt: method, user, and whether the session was TLS at that moment. */
  auths: { method: string; user: string; secure: boolean }[];
  /** Per message: the authenticated user, TLS or not, the negotiated protocol, the body. */
  messages: { user: unknown; secure: boolean; protocol: string | undefined; raw: Buffer }[];
}

const USER = 'sudi';
const PASS = 'correct horse battery staple';
let dir: string;
let server: SMTPServer;
let port: number;
const seen: Seen = { auths: [], messages: [] };

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sudi-smtp-tls-'));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  server = new SMTPServer({
    key: readFileSync(key),
    cert: readFileSync(cert),
    authMethods: ['PLAIN', 'LOGIN'],
    // The default, spelled out: AUTH is refused until STARTTLS has been done.
    allowInsecureAuth: false,
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, session, cb) {
      seen.auths.push({ method: auth.method, user: auth.username ?? '', secure: session.secure });
      if (auth.username === USER && auth.password === PASS) return cb(null, { user: USER });
      return cb(Object.assign(new Error('5.7.8 authentication failed'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const socket = (session as unknown as { tlsOptions?: { version?: string } }).tlsOptions;
        seen.messages.push({ user: session.user, secure: session.secure, protocol: socket?.version, raw: Buffer.concat(chunks) });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const message = (to: string) => ({
  from: 'digest@news.example.org',
  to,
  messageId: `<${to}>`,
  raw: [Buffer.from(`From: <digest@news.example.org>\r\nTo: <${to}>\r\nSubject: over TLS\r\nMessage-ID: <${to}>\r\n\r\n`), Buffer.from('.a line that starts with a dot\r\n')],
});
const url = (user: string, pass: string, query: string) => `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}/?${query}`;

it('upgrades with STARTTLS, then authenticates; the message arrives over TLS from the authenticated user', async () => {
  // The certificate is self-signed: this URL opts out of verifying it (the next test shows the default).
  const t = smtpPoolTransport({ url: url(USER, PASS, 'requireTLS=true&tls.rejectUnauthorized=false'), connections: 1 });
  const r1 = await t.send(message('a@example.org'));
  const r2 = await t.send(message('b@example.org'));
  await t.close();
  expect(r1).toMatchObject({ accepted: true, code: 250 });
  expect(r2).toMatchObject({ accepted: true, code: 250 });
  // One login for the connection, made inside TLS, and both messages from that session.
  expect(seen.auths).toEqual([{ method: 'PLAIN', user: USER, secure: true }]);
  expect(seen.messages.map((m) => [m.user, m.secure])).toEqual([
    [USER, true],
    [USER, true],
  ]);
  expect(seen.messages[0]!.protocol).toMatch(/^TLSv1\.[23]$/);
  const parsed = await simpleParser(seen.messages[0]!.raw);
  expect(parsed.subject).toBe('over TLS');
  expect(parsed.text).toBe('.a line that starts with a dot\n');
});

it('a wrong password: refused at AUTH with the server\'s 535, nothing sent', async () => {
  const before = seen.messages.length;
  seen.auths.length = 0;
  const t = smtpPoolTransport({ url: url(USER, 'wrong', 'tls.rejectUnauthorized=false'), connections: 1 });
  const r = await t.send(message('c@example.org'));
  await t.close();
  expect(r).toMatchObject({ accepted: false, code: 535, maybeDelivered: false });
  expect(r.stage).toMatch(/^AUTH/);
  expect(seen.auths).toEqual([{ method: 'PLAIN', user: USER, secure: true }]);
  expect(seen.messages).toHaveLength(before);
});

it('the certificate is verified by default: a self-signed one fails the connection before any AUTH', async () => {
  const before = seen.messages.length;
  seen.auths.length = 0;
  const t = smtpPoolTransport({ url: url(USER, PASS, ''), connections: 1 });
  const r = await t.send(message('d@example.org'));
  await t.close();
  expect(r).toMatchObject({ accepted: false, code: null, maybeDelivered: false });
  expect(r.response).toMatch(/self[- ]signed/i);
  expect(seen.auths).toEqual([]);
  expect(seen.messages).toHaveLength(before);
});
