/** Sudi's own inbound corpus (tests/fixtures/inbound): RFC-shaped DSN, ARF, auto-replies, mailto unsubscribe. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ReportKind } from '../../src/inbound/read-message.ts';

export const OWN_FIXTURES_DIR = path.resolve(import.meta.dirname, '..', 'fixtures', 'inbound');

export interface OwnFixture {
  file: string;
  kind: ReportKind;
  status: string | null;
  expected: 'bounced' | 'active' | 'complained' | 'unsubscribed';
}

export const ownManifest = (): OwnFixture[] => JSON.parse(readFileSync(path.join(OWN_FIXTURES_DIR, 'manifest.json'), 'utf8'));

export function fillOwnFixture(file: string, v: { token: string; rcpt: string; messageId: string; unsubscribe: string }): Buffer {
  const s = readFileSync(path.join(OWN_FIXTURES_DIR, file), 'utf8');
  const filled = s.replaceAll('{TOKEN}', v.token).replaceAll('{RCPT}', v.rcpt).replaceAll('{MESSAGE_ID}', v.messageId).replaceAll('{UNSUBSCRIBE}', v.unsubscribe);
  return Buffer.from(filled, 'utf8');
}
