/**
 * Writes an issue file whole or not at all: a temp file in the same directory, then a rename, so
 * a reader (`check`, a build, the preview's watcher) never sees a half-written issue.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function writeIssueFile(file: string, text: string): Promise<void> {
  // Not *.md, so a concurrent `check` or build never picks up the temp file.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
