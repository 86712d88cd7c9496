/**
 * The Feeds whose change the WebSub hub has not yet acknowledged, kept in `DATA_DIR/websub-pending.json`
 * so a failed ping is retried by the next tick, also after a restart. Written to a temporary file
 * and renamed, so a crash leaves the old list or the new one, never half of one. A list recorded
 * for another hub (WEBSUB_HUB changed) is dropped: every Feed names the new hub, so all changed.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const PENDING_FILE = 'websub-pending.json';

interface PendingFile {
  version: 1;
  hub: string;
  feeds: string[];
}

export function pendingPath(dataDir: string): string {
  return path.join(dataDir, PENDING_FILE);
}

/** The feed URLs waiting for `hub` (empty when none, or when the file is unreadable or for another hub). */
export async function readPending(dataDir: string, hub: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(pendingPath(dataDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  try {
    const data = JSON.parse(text) as Partial<PendingFile>;
    return data.version === 1 && data.hub === hub && Array.isArray(data.feeds) ? data.feeds.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return []; // a damaged list costs at most the pings it held; the next changed Feed writes a new one
  }
}

export async function writePending(dataDir: string, hub: string, feeds: readonly string[]): Promise<void> {
  const file = pendingPath(dataDir);
  await mkdir(dataDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const data: PendingFile = { version: 1, hub, feeds: [...new Set(feeds)].sort() };
  await writeFile(temp, `${JSON.stringify(data, null, 1)}\n`);
  await rename(temp, file);
}

/** Adds `feeds` to what is pending (before the build that changed them is swapped in: at least once). */
export async function addPending(dataDir: string, hub: string, feeds: readonly string[]): Promise<void> {
  if (feeds.length === 0) return;
  await writePending(dataDir, hub, [...(await readPending(dataDir, hub)), ...feeds]);
}
