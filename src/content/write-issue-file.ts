/**
 * Writing an issue file safely: `sudi import`, `sudi fetch` and the draft schedule all go through here.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SudiError } from '../errors.ts';

/**
 * Temp file, then into place: a reader never sees half a file. `create`: never replaces a file that
 * appeared meanwhile (a hard link fails if the name exists, where a rename would overwrite it).
 */
export async function writeIssueFile(file: string, text: string, opts: { create: boolean }): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  // Not *.md, so a concurrent `check` or build never picks up the temp file.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    if (opts.create) {
      try {
        await link(tmp, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new SudiError('E_CONFLICT', `${file} already exists; not overwritten`);
        throw e;
      }
      await unlink(tmp);
    } else await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
