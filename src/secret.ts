/**
 * SECRET signs links and Message-IDs. When it is not configured, one is generated on first run
 * into DATA_DIR/secret (mode 0600) so links keep working across restarts, with a warning: an
 * operator running several machines must set the same SECRET everywhere.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function resolveSecret(configured: string | undefined, dataDir: string, warn: (line: string) => void): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, 'secret');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process generated it first: use theirs so both sign alike.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw e;
  }
  warn(`warning: SECRET is not set; generated one into ${file} (mode 0600). Set SECRET to the same value on every machine.`);
  return secret;
}
