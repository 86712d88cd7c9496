/**
 * Polling a mailbox for bounces (INBOUND_IMAP_URL, imapflow), for operators whose bounces land in
 * an existing mailbox instead of an MX pointed at `sudi inbound`.
 *
 * `imaps://USER:PASSWORD@HOST[:PORT]/MAILBOX?processed=FOLDER&rejected=FOLDER`: each message in
 * MAILBOX (default INBOX) goes through the intake, then is moved to `processed` (default
 * Processed); one over INBOUND_MAX_BYTES is moved unread to `rejected` (default Rejected). A Store
 * failure leaves the message where it is, to be read again on the next poll (the event table's
 * fingerprint makes the second reading change nothing if the first one did commit).
 */
import { ImapFlow } from 'imapflow';
import { SudiError } from '../errors.ts';
import type { Intake } from './intake.ts';

export interface ImapTarget {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  pass: string;
  mailbox: string;
  processed: string;
  rejected: string;
}

/** Pure: the URL as the poller uses it; E_CONFIG naming INBOUND_IMAP_URL when it is not usable. */
export function parseImapUrl(url: string): ImapTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SudiError('E_CONFIG', 'INBOUND_IMAP_URL is not a URL (expected imaps://USER:PASSWORD@HOST/INBOX)');
  }
  const secure = u.protocol === 'imaps:';
  if (!secure && u.protocol !== 'imap:') throw new SudiError('E_CONFIG', `INBOUND_IMAP_URL must start with imap:// or imaps:// (got ${u.protocol})`);
  if (!u.username) throw new SudiError('E_CONFIG', 'INBOUND_IMAP_URL has no user (expected imaps://USER:PASSWORD@HOST/INBOX)');
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 993 : 143,
    secure,
    user: decodeURIComponent(u.username),
    pass: decodeURIComponent(u.password),
    mailbox: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX',
    processed: u.searchParams.get('processed') || 'Processed',
    rejected: u.searchParams.get('rejected') || 'Rejected',
  };
}

export interface PollResult {
  taken: number;
  rejected: number;
  /** Left in the mailbox for the next poll (the Store failed). */
  left: number;
}

const BATCH = 200;

/** One poll: connect, read up to BATCH messages, move each one done, log out. */
export async function pollImapOnce(target: ImapTarget, opts: { intake: Intake; maxBytes: number; log: (line: string) => void }): Promise<PollResult> {
  const client = new ImapFlow({
    host: target.host,
    port: target.port,
    secure: target.secure,
    auth: { user: target.user, pass: target.pass },
    logger: false,
  });
  const result: PollResult = { taken: 0, rejected: 0, left: 0 };
  await client.connect();
  try {
    // `Sudi/Done` means a folder Done inside Sudi whatever the server's delimiter ('.' or '/'):
    // imapflow joins an array with the server's own. An existing folder is not an error.
    const [processed, rejected] = await Promise.all([target.processed, target.rejected].map(async (f) => (await client.mailboxCreate(f.split('/'))).path));
    const move = async (uid: number, to: string) => {
      if (!(await client.messageMove(String(uid), to, { uid: true }))) throw new Error(`could not move message uid ${uid} to ${to}`);
    };
    const lock = await client.getMailboxLock(target.mailbox);
    try {
      // Sizes first, so a huge message is never downloaded; no other command may run during a fetch.
      const list: { uid: number; size: number }[] = [];
      for await (const m of client.fetch('1:*', { uid: true, size: true })) {
        list.push({ uid: m.uid, size: m.size ?? 0 });
        if (list.length >= BATCH) break;
      }
      for (const { uid, size } of list) {
        if (size > opts.maxBytes) {
          await move(uid, rejected!);
          opts.log(`inbound: imap message uid ${uid} is ${size} bytes, over ${opts.maxBytes}: moved unread to ${rejected}`);
          result.rejected++;
          continue;
        }
        const msg = await client.fetchOne(String(uid), { source: true }, { uid: true });
        if (!msg || !msg.source) continue;
        try {
          const r = await opts.intake.take(msg.source, { source: 'imap' });
          if (!r.ok) result.rejected++;
          else result.taken++;
        } catch (e) {
          opts.log(`inbound: imap message uid ${uid} left in ${target.mailbox}: ${(e as Error).message}`);
          result.left++;
          continue;
        }
        await move(uid, processed!);
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return result;
}

/** Polls every `intervalMs` until `signal` aborts; a failed poll is logged and retried next time. */
export function startImapPolling(target: ImapTarget, opts: { intake: Intake; maxBytes: number; intervalMs: number; log: (line: string) => void; signal: AbortSignal }): Promise<void> {
  return (async () => {
    while (!opts.signal.aborted) {
      try {
        const r = await pollImapOnce(target, opts);
        if (r.taken + r.rejected + r.left > 0) opts.log(`inbound: imap ${target.host}/${target.mailbox}: ${r.taken} read, ${r.rejected} set aside, ${r.left} left for the next poll`);
      } catch (e) {
        opts.log(`inbound: imap poll of ${target.host} failed: ${(e as Error).message}; trying again in ${opts.intervalMs / 1000} s`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.intervalMs);
        opts.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  })();
}
