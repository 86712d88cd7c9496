/**
 * The SMTP pool against a real server: the message arrives byte for byte (dots at line starts,
 * bare LFs), each result says how far the message got, and a refused message leaves the
 * connection usable.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
// nodemailer's own dot-stuffer: the override must write exactly what it would.
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import { DotStuffer } from '../../src/delivery/smtp-connection.ts';
import { smtpPoolTransport } from '../../src/delivery/smtp-pool.ts';
import type { Transport } from '../../src/delivery/transport.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { freePort } from '../http/web-fixture.ts';

let smtp: SmtpCapture;
let transport: Transport;
const msg = (to: string, raw: Buffer | Buffer[] | string) => ({ from: 'digest@news.example.org', to, raw, messageId: '<x@y>' });

beforeEach(async () => {
  smtp = await startSmtpCapture();
  transport = smtpPoolTransport({ url: `${smtp.url}?socketTimeout=2000`, connections: 2 });
});
afterEach(async () => {
  await transport.close();
  await smtp.close();
});

it('delivers the bytes as written: dots at line starts, a dot-only line, chunks split anywhere', async () => {
  const text = 'Subject: dots\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nmiddle . dot\r\n.';
  const bytes = Buffer.from(text);
  const chunks = [bytes.subarray(0, 17), bytes.subarray(17, 18), bytes.subarray(18, 40), bytes.subarray(40)];
  const r = await transport.send(msg('a@example.org', chunks));
  expect(r).toMatchObject({ accepted: true, code: 250 });
  // The server removes the dot-stuffing; what it keeps must be exactly what we meant (plus the CRLF
  // that ends the last line before the terminating dot).
  expect(smtp.messages[0]!.raw.toString()).toBe(`${text}\r\n`);
});

it('a message larger than the socket buffers arrives whole (no stall between stream and socket)', async () => {
  const line = `${'中文 and ASCII '.repeat(5)}\r\n`;
  const body = `Subject: big\r\n\r\n${line.repeat(Math.ceil(300_000 / Buffer.byteLength(line)))}`;
  const r = await transport.send(msg('big@example.org', [Buffer.from(body)]));
  expect(r.accepted).toBe(true);
  expect(smtp.messages[0]!.raw.equals(Buffer.from(body))).toBe(true);
});

const through = async (stream: NodeJS.ReadWriteStream, pieces: Buffer[]): Promise<string> => {
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((r) => stream.on('end', r));
  for (const p of pieces) stream.write(p);
  stream.end();
  await done;
  return Buffer.concat(out).toString('latin1');
};

it('DotStuffer: same result as the byte loop for bare LFs and dots, chunk boundaries anywhere', async () => {
  const input = Buffer.from('a\n.b\r\n.\n..c\nd\r\n');
  for (let cut = 0; cut <= input.length; cut++) {
    const got = await through(new DotStuffer(), [input.subarray(0, cut), input.subarray(cut)]);
    expect(got, `cut at ${cut}`).toBe('a\r\n..b\r\n..\r\n...c\r\nd\r\n.\r\n');
  }
});

it("DotStuffer writes what nodemailer's DataStream writes: dots, bare CR and LF, any chunking", async () => {
  // Inputs over the four bytes that matter (plus one that does not), split into random chunks.
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const alphabet = ['a', '.', '\r', '\n', '\r\n'];
  for (let round = 0; round < 400; round++) {
    const input = Buffer.from(Array.from({ length: 1 + rand(24) }, () => alphabet[rand(alphabet.length)]).join(''), 'latin1');
    const pieces: Buffer[] = [];
    for (let at = 0; at < input.length; ) {
      const len = 1 + rand(5);
      pieces.push(input.subarray(at, at + len));
      at += len;
    }
    const theirs = await through(new DataStream(), pieces);
    expect(await through(new DotStuffer(), pieces), JSON.stringify(input.toString('latin1'))).toBe(theirs);
  }
});

it('a big chunk shared by several messages (as the static body pieces are) is stuffed for where it stands each time', async () => {
  const shared = Buffer.from(`.dot first\r\n${'x'.repeat(2000)}\r\n.dot again\r\n`);
  const bodies = [
    [Buffer.from('Subject: a\r\n\r\n'), shared], // the shared chunk starts a line: its first dot is stuffed
    [Buffer.from('Subject: b\r\n\r\nno break:'), shared], // it does not: no stuffing there
    [Buffer.from('Subject: c\r\n\r\n'), shared],
  ];
  for (const [i, body] of bodies.entries()) expect(await transport.send(msg(`shared${i}@example.org`, body))).toMatchObject({ accepted: true });
  expect(smtp.messages.map((m) => m.raw.toString())).toEqual(bodies.map((b) => Buffer.concat(b).toString()));
});

it('a bare CR before a dot cannot end the data early (SMTP smuggling): the server gets the whole message', async () => {
  const r = await transport.send(msg('cr@example.org', [Buffer.from('Subject: cr\r\n\r\nfirst\r.\rsecond\r\n')]));
  expect(r.accepted).toBe(true);
  // The lone CRs became line breaks and the dot after one was stuffed, so it is still text.
  expect(smtp.messages[0]!.raw.toString('latin1')).toBe('Subject: cr\r\n\r\nfirst\r\n.\r\nsecond\r\n');
});

it('reports the stage: refused at RCPT (connection kept), refused after DATA, lost after DATA (maybe delivered)', async () => {
  smtp.faults = {
    rcpt: (to) => (to === 'gone@example.org' ? { code: 550, message: '5.1.1 no such user' } : null),
    data: (m) => (m.to[0] === 'later@example.org' ? { code: 451, message: '4.3.0 later' } : m.to[0] === 'drop@example.org' ? 'drop' : 'accept'),
  };
  const t1 = smtpPoolTransport({ url: smtp.url, connections: 1 });
  const gone = await t1.send(msg('gone@example.org', 'Subject: x\r\n\r\nx'));
  expect(gone).toMatchObject({ accepted: false, code: 550, stage: 'RCPT TO', maybeDelivered: false });
  expect(gone.response).toContain('5.1.1');
  const later = await t1.send(msg('later@example.org', 'Subject: x\r\n\r\nx'));
  expect(later).toMatchObject({ accepted: false, code: 451, maybeDelivered: false });
  // After the refusals the same session goes on (one connection: RSET worked).
  expect(await t1.send(msg('ok@example.org', 'Subject: x\r\n\r\nx'))).toMatchObject({ accepted: true });
  expect(new Set(smtp.messages.map((m) => m.session)).size).toBe(1);
  const dropped = await t1.send(msg('drop@example.org', 'Subject: x\r\n\r\nx'));
  expect(dropped).toMatchObject({ accepted: false, code: null, maybeDelivered: true });
  // The pool never resends by itself: the server saw the dropped message exactly once.
  expect(smtp.messages.filter((m) => m.to[0] === 'drop@example.org')).toHaveLength(1);
  expect(await t1.send(msg('ok2@example.org', 'Subject: x\r\n\r\nx'))).toMatchObject({ accepted: true });
  await t1.close();
});

it('without PIPELINING: one command at a time, same results', async () => {
  const plain = await startSmtpCapture({ rcpt: (to) => (to === 'gone@example.org' ? { code: 550, message: '5.1.1 no such user' } : null) }, { noPipelining: true });
  const t = smtpPoolTransport({ url: plain.url, connections: 1 });
  expect(await t.send(msg('a@example.org', [Buffer.from('Subject: x\r\n\r\n.dot\r\n')]))).toMatchObject({ accepted: true });
  expect(await t.send(msg('gone@example.org', 'Subject: x\r\n\r\nx'))).toMatchObject({ accepted: false, code: 550, stage: 'RCPT TO' });
  expect(await t.send(msg('b@example.org', 'Subject: y\r\n\r\ny'))).toMatchObject({ accepted: true });
  expect(plain.messages.map((m) => m.raw.toString())).toEqual(['Subject: x\r\n\r\n.dot\r\n', 'Subject: y\r\n\r\ny\r\n']);
  await t.close();
  await plain.close();
});

it('a server that never answers the final dot: timeout, maybe delivered; nobody listening: stage connect', async () => {
  smtp.faults = { data: () => 'hang' };
  const hung = await transport.send(msg('hang@example.org', 'Subject: x\r\n\r\nx'));
  expect(hung).toMatchObject({ accepted: false, code: null, maybeDelivered: true });
  const nobody = smtpPoolTransport({ url: `smtp://127.0.0.1:${await freePort()}`, connections: 1 });
  expect(await nobody.send(msg('a@example.org', 'x'))).toMatchObject({ accepted: false, code: null, stage: 'connect', maybeDelivered: false });
  await nobody.close();
});
