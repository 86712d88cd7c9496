/**
 * The shared real-world corpus (/work/shared/bounces, BSD-2-Clause, from sisimai/set-of-emails),
 * read where it is at test time and never copied into the project. Placeholders are filled by
 * literal byte replacement (10 has other literal braces). Tests skip, saying why, without it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const SHARED_BOUNCES_DIR = process.env.SUDI_SHARED_BOUNCES_DIR || '/work/shared/bounces';
export const sharedBouncesPresent = existsSync(path.join(SHARED_BOUNCES_DIR, 'manifest.json'));
export const SHARED_SKIP_REASON = `shared bounce corpus not found at ${SHARED_BOUNCES_DIR} (set SUDI_SHARED_BOUNCES_DIR)`;

export interface SharedBounce {
  file: string;
  kind: 'hard' | 'soft' | 'complaint' | 'autoreply';
  status: string | null;
  expected: 'bounced' | 'active' | 'complained';
}

export function sharedManifest(): SharedBounce[] {
  return sharedBouncesPresent ? JSON.parse(readFileSync(path.join(SHARED_BOUNCES_DIR, 'manifest.json'), 'utf8')) : [];
}

/** The message with {TOKEN}, {RCPT} and {MESSAGE_ID} (with its angle brackets) filled in. */
export function fillSharedBounce(file: string, v: { token: string; rcpt: string; messageId: string }): Buffer {
  const s = readFileSync(path.join(SHARED_BOUNCES_DIR, file)).toString('latin1');
  return Buffer.from(s.split('{TOKEN}').join(v.token).split('{RCPT}').join(v.rcpt).split('{MESSAGE_ID}').join(v.messageId), 'latin1');
}
