/**
 * Watches the issue file and the templates folder for the preview. Editors save by writing a temp
 * file and renaming it over the original, which replaces the inode a watch on the file itself
 * would follow; so we watch the file's folder and filter by name. Bursts of events (one save can
 * fire several) are folded into one call after a short quiet period.
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

export interface WatchTargets {
  files: readonly string[];
  /** Watched recursively (templates/ with its partials/). */
  dirs: readonly string[];
}

export function watchForChanges(targets: WatchTargets, onChange: (changed: string[]) => void, quietMs = 120): () => void {
  const watchers: FSWatcher[] = [];
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const changed = (file: string) => {
    if (closed) return;
    pending.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const batch = [...pending].sort();
      pending = new Set();
      onChange(batch);
    }, quietMs);
  };

  const add = (dir: string, recursive: boolean, accept: (name: string) => boolean) => {
    const w = watch(dir, { recursive, persistent: true }, (_event, name) => {
      const rel = name === null ? '' : name.toString();
      if (accept(rel)) changed(path.join(dir, rel));
    });
    // A folder that disappears mid-session must not crash the preview; the next render reports it.
    w.on('error', () => undefined);
    watchers.push(w);
  };

  const byDir = new Map<string, Set<string>>();
  for (const f of targets.files) {
    const dir = path.dirname(f);
    byDir.set(dir, (byDir.get(dir) ?? new Set()).add(path.basename(f)));
  }
  for (const [dir, names] of byDir) add(dir, false, (name) => names.has(name));
  for (const dir of targets.dirs) add(dir, true, (name) => name !== '' && !path.basename(name).startsWith('.'));

  return () => {
    closed = true;
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
