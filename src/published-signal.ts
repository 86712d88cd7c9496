/**
 * "A new build of this folder has just been swapped in": the build announces it, a server of the
 * folder in the same process (`sudi serve` and its scheduler) reloads before the build returns, so
 * the first request after a rebuild already sees it. Builds from other processes are noticed by
 * the server's folder watch instead (http/static-files.ts).
 */
import path from 'node:path';

type Listener = () => Promise<void>;
const listeners = new Map<string, Set<Listener>>();

/** Calls `fn` after each build swapped into `dir`; returns the function that stops it. */
export function onPublished(dir: string, fn: Listener): () => void {
  const key = path.resolve(dir);
  let set = listeners.get(key);
  if (!set) listeners.set(key, (set = new Set()));
  set.add(fn);
  return () => {
    set.delete(fn);
    if (set.size === 0) listeners.delete(key);
  };
}

/** Resolves once every listener of `dir` has taken the new build in. */
export async function announcePublished(dir: string): Promise<void> {
  const set = listeners.get(path.resolve(dir));
  if (set) await Promise.all([...set].map((fn) => fn()));
}
