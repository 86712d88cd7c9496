/**
 * Who holds a lease: `<host>/<pid>/<random>`, one per sending process. A lease normally ends when
 * its holder records the outcome or when it expires. After `kill -9`, waiting for expiry would stall
 * a resume for minutes, so a sender on the same host recognises leases of processes that no longer
 * exist (or of an earlier process that had its own pid) and settles them at once. A pid reused by
 * an unrelated process only means waiting for the expiry, never taking a live lease.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';

export function newOwnerId(): string {
  return `${os.hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
}

const SHAPE = /^(.*)\/(\d+)\/([0-9a-f]+)$/;

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `owner` is a sender on this host that is certainly gone. */
export function isDeadLocalOwner(owner: string, self: string): boolean {
  if (owner === self) return false;
  const m = SHAPE.exec(owner);
  const me = SHAPE.exec(self);
  if (!m || !me || m[1] !== me[1]) return false;
  const pid = Number(m[2]);
  // Our own pid under another id: a previous process (e.g. pid 1 in a restarted container).
  if (pid === process.pid) return true;
  return !processExists(pid);
}
