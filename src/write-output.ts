/**
 * Writes OutputFile[] to a folder atomically enough for a web server reading it: everything goes
 * into a fresh temporary folder beside the target (same file system, so rename is atomic), then the
 * old folder is renamed away, the new one renamed in, and the old one deleted.
 *
 * A failure while writing leaves the previous output untouched (the temporary folder is removed).
 * Between the two renames the target is briefly absent (microseconds); POSIX has no portable
 * directory exchange, and a symlink flip would make `public/` a symlink, surprising users who sync it.
 */
import { chmod, link, mkdir, mkdtemp, readdir, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SudiError } from './errors.ts';
import type { OutputFile } from './model.ts';

/** Rejects paths that would escape the output folder (they come from templates' callers, not users, but still). */
function safeJoin(root: string, rel: string): string {
  const full = path.resolve(root, rel);
  if (rel === '' || path.isAbsolute(rel) || !full.startsWith(root + path.sep)) {
    throw new SudiError('E_BUILD', `output path "${rel}" is outside the output folder (expected a relative path such as issues/2024-04-15/index.html)`);
  }
  return full;
}

/** The folder's permission bits, or null when it does not exist. */
async function modeOf(p: string): Promise<number | null> {
  try {
    return (await stat(p)).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Replaced folders this process is deleting now, so a build started meanwhile leaves them to it. */
const removing = new Set<string>();

export interface WriteOptions {
  /**
   * `later`: resolve once the new folder is in place and remove the replaced one in the background,
   * resolving `removed` when it is gone (an archive of thousands of Paper pages takes most of a
   * second to delete, and readers see the new build from the swap on). Default: wait for it.
   */
  removeOld?: 'wait' | 'later';
}

/** Resolves when the replaced folder is deleted (at once with `removeOld: 'wait'`). */
export async function writeOutputAtomic(targetDir: string, files: readonly OutputFile[], opts: WriteOptions = {}): Promise<{ removed: Promise<void> }> {
  // A symlinked output folder (public -> /srv/www/sudi) keeps its link: we swap the real folder.
  const target = await realpath(path.resolve(targetDir)).catch(() => path.resolve(targetDir));
  const parent = path.dirname(target);
  const base = path.basename(target);
  let previousMode: number | null;
  let temp: string;
  try {
    await mkdir(parent, { recursive: true });
    previousMode = await modeOf(target);
    temp = await mkdtemp(path.join(parent, `.${base}.new-`));
  } catch (e) {
    // The new output is written beside the target and swapped in, so the parent must be writable.
    throw new SudiError(
      'E_BUILD',
      `cannot write the output beside ${target}: ${(e as Error).message} (expected a folder ${parent} this user can create folders in)`,
      { cause: e },
    );
  }
  try {
    // mkdtemp makes the folder 0700; a web server running as another user must still read it.
    await chmod(temp, previousMode ?? 0o755);
    await writeFiles(temp, files);
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e instanceof SudiError ? e : new SudiError('E_BUILD', `could not write the output to ${temp}: ${(e as Error).message}; ${target} was not changed`, { cause: e });
  }

  const old = previousMode !== null ? path.join(parent, `.${base}.old-${path.basename(temp).slice(base.length + 6)}`) : null;
  try {
    if (old) await rename(target, old);
    try {
      await rename(temp, target);
    } catch (e) {
      if (old) await rename(old, target); // put the previous output back
      throw e;
    }
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw new SudiError('E_BUILD', `could not replace ${target}: ${(e as Error).message}; the previous output is unchanged`, { cause: e });
  }
  // A folder left by a process that stopped before deleting it goes too (they are ours by name).
  const leftovers = (await readdir(parent).catch(() => [] as string[]))
    .filter((n) => n.startsWith(`.${base}.old-`))
    .map((n) => path.join(parent, n))
    .filter((d) => d !== old && !removing.has(d));
  const removed = Promise.all(
    [old, ...leftovers]
      .filter((d): d is string => d !== null)
      .map((d) => {
        removing.add(d);
        return rm(d, { recursive: true, force: true }).finally(() => removing.delete(d));
      }),
  ).then(
    () => undefined,
    () => undefined, // a folder that cannot be deleted costs disk space only; the next build tries again
  );
  if (opts.removeOld !== 'later') await removed;
  return { removed };
}

/** Files written at once: enough to keep libuv's thread pool busy on thousands of small pages. */
const WRITE_CONCURRENCY = 16;

async function writeFiles(root: string, files: readonly OutputFile[]): Promise<void> {
  const dirs = new Map<string, Promise<unknown>>();
  const ensureDir = (dir: string) => {
    let made = dirs.get(dir);
    if (!made) dirs.set(dir, (made = mkdir(dir, { recursive: true })));
    return made;
  };
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++] as OutputFile;
      const full = safeJoin(root, f.path);
      await ensureDir(path.dirname(full));
      if (f.linkFrom) {
        // A hard link shares the previous file's bytes and mtime, which are this file's.
        const linked = await link(f.linkFrom, full).then(
          () => true,
          () => false,
        );
        if (linked) continue;
      }
      await writeFile(full, f.contents);
      if (f.mtime) await utimes(full, f.mtime, f.mtime);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, files.length) }, worker));
}
