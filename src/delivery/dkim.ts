/**
 * DKIM signing (RFC 6376, rsa-sha256, relaxed/relaxed) for messages built in chunks: the body hash
 * over the chunks as they are (the body is never joined or re-read) and the signature over the
 * header fields the factory already holds. The libraries that sign (nodemailer's `dkim` option,
 * mailauth's dkimSign) take a whole message and parse it again, for every recipient; what they would
 * do here is the two canonicalizations below and one RSA signature by node:crypto.
 * tests/delivery/message.test.ts verifies the result with mailauth, an independent verifier.
 */
import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { domainToASCII } from 'node:url';
import libmime from 'libmime';
import type { Config } from '../config.ts';
import { SudiError } from '../errors.ts';

/** Signed header fields; every message carries each of them exactly once. */
export const DKIM_SIGNED_HEADERS = [
  'From',
  'To',
  'Subject',
  'Date',
  'Message-ID',
  'List-Id',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'Feedback-ID',
  'MIME-Version',
  'Content-Type',
] as const;

export interface HeaderLine {
  /** Lower-case field name. */
  key: string;
  /** The whole field, folded, without the final CRLF. */
  line: string;
}

export interface DkimSigner {
  readonly domain: string;
  readonly selector: string;
  /** The complete `DKIM-Signature: …` field (folded, without the final CRLF). */
  sign(headers: readonly HeaderLine[], body: readonly Buffer[]): string;
}

export async function loadDkimSigner(dkim: NonNullable<Config['dkim']>): Promise<DkimSigner> {
  let pem: string;
  try {
    pem = await readFile(dkim.privateKeyFile, 'utf8');
  } catch (e) {
    throw new SudiError('E_CONFIG', `DKIM_PRIVATE_KEY_FILE ${dkim.privateKeyFile} cannot be read: ${(e as Error).message} (expected a PEM RSA private key)`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    throw new SudiError('E_CONFIG', `DKIM_PRIVATE_KEY_FILE ${dkim.privateKeyFile} is not a PEM private key (${(e as Error).message}); expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----"`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SudiError('E_CONFIG', `DKIM_PRIVATE_KEY_FILE ${dkim.privateKeyFile} holds a ${key.asymmetricKeyType} key (expected an RSA key, 2048 bits)`);
  }
  return createDkimSigner({ domain: dkim.domain, selector: dkim.selector, privateKey: pem });
}

/** Relaxed header canonicalization (RFC 6376 §3.4.2) of one field: `name:value` without the CRLF. */
export function relaxedHeader(line: string): string {
  const colon = line.indexOf(':');
  const value = line
    .slice(colon + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
  return `${line.slice(0, colon).trim().toLowerCase()}:${value}`;
}

export function createDkimSigner(opts: { domain: string; selector: string; privateKey: string }): DkimSigner {
  const key = createPrivateKey(opts.privateKey);
  const wanted = DKIM_SIGNED_HEADERS.map((n) => n.toLowerCase());
  const clean = (tag: string) => tag.replace(/[\x00-\x20\x7f;=]/g, '');
  // An internationalized domain goes in d= as A-labels (RFC 8616), as DNS holds it.
  const domain = domainToASCII(clean(opts.domain)) || clean(opts.domain);
  const tags = `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${domain}; q=dns/txt; s=${clean(opts.selector)}`;
  return {
    domain: opts.domain,
    selector: opts.selector,
    sign(headers, body) {
      const hash = createHash('sha256');
      for (const chunk of body) hash.update(relaxedBodyChunk(chunk));
      // The factory writes each signed field once (for a repeated one, RFC 6376 signs the last).
      const signed: HeaderLine[] = [];
      for (const k of wanted) {
        for (let i = headers.length - 1; i >= 0; i--) {
          if (headers[i]!.key === k) {
            signed.push(headers[i]!);
            break;
          }
        }
      }
      const head = libmime.foldLines(`DKIM-Signature: ${tags}; bh=${hash.digest('base64')}; h=${signed.map((h) => h.key).join(':')}`, 76).replace(/\r?\n/g, '\r\n');
      const field = `${head};\r\n b=`;
      // The signature covers the signed fields, then this field with an empty b= and no final CRLF,
      // as the bytes that go on the wire (the message head is written as UTF-8).
      const data = signed.map((h) => `${relaxedHeader(h.line)}\r\n`).join('') + relaxedHeader(field);
      let b: string;
      try {
        b = sign('sha256', Buffer.from(data, 'utf8'), key).toString('base64');
      } catch (e) {
        throw new SudiError('E_CONFIG', `DKIM signing failed: ${(e as Error).message} (check DKIM_PRIVATE_KEY_FILE)`);
      }
      return field + b.replace(/(^.{73}|.{75}(?!$))/g, '$&\r\n ');
    },
  };
}

/** Relaxed canonical forms of chunks seen before (the static chunks of a template come back for every message). */
const canonical = new WeakMap<Buffer, Buffer>();

/**
 * Relaxed body canonicalization of a run of whole lines: runs of spaces and tabs become one space,
 * and whitespace before a line break goes. Our bodies never end with empty lines (the closing
 * boundary is last), so the end-of-body rule has nothing to remove.
 */
export function relaxedBodyChunk(chunk: Buffer): Buffer {
  if (chunk.indexOf(0x20) === -1 && chunk.indexOf(0x09) === -1) return chunk;
  let c = canonical.get(chunk);
  if (!c) {
    c = Buffer.from(chunk.toString('latin1').replace(/[ \t]+/g, ' ').replace(/ \r\n/g, '\r\n'), 'latin1');
    if (chunk.length > 256) canonical.set(chunk, c);
  }
  return c;
}
