/**
 * DKIM signing (RFC 6376) for messages built in chunks. nodemailer's signer (dkim/sign.js) makes the
 * header signature (relaxed header canonicalization, rsa-sha256); the body hash is computed here
 * over the chunks, so the body is never joined or re-read. Its default header list leaves out
 * List-Unsubscribe-Post, which RFC 8058 requires to be signed: we pass our own list.
 */
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import signHeaders from 'nodemailer/lib/dkim/sign.js';
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

export function createDkimSigner(opts: { domain: string; selector: string; privateKey: string }): DkimSigner {
  const headerFieldNames = DKIM_SIGNED_HEADERS.join(':');
  return {
    domain: opts.domain,
    selector: opts.selector,
    sign(headers, body) {
      const hash = createHash('sha256');
      for (const chunk of body) hash.update(relaxedBodyChunk(chunk));
      const field = signHeaders([...headers], 'sha256', hash.digest('base64'), {
        domainName: opts.domain,
        keySelector: opts.selector,
        privateKey: opts.privateKey,
        headerFieldNames,
      });
      if (!field) throw new SudiError('E_CONFIG', 'DKIM signing failed (check DKIM_PRIVATE_KEY_FILE)');
      return field;
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
