/**
 * The one intake every way in (SMTP, --file, IMAP) goes through: read the message, identify it,
 * apply it to the Store, log one line. A message that cannot be read at all is set aside as a file
 * under INBOUND_DIR/rejected/ (never lost, never stopping the intake); a Store failure is thrown so
 * the way in can ask the sender to try again later.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import type { InboundResult } from '../store/inbound-store.ts';
import type { Store } from '../store/store.ts';
import { logEvent, type LineLog } from '../log.ts';
import { identify } from './identify.ts';
import { readInboundMessage } from './read-message.ts';

export interface IntakeDeps {
  config: Pick<Config, 'bounceDomain' | 'softBounceLimit' | 'inboundDir'>;
  secret: string;
  store: Store;
  now: () => Date;
  log: LineLog;
}

export type IntakeOutcome = { ok: true; result: InboundResult } | { ok: false; setAsideAt: string; error: string };

export interface Intake {
  take(raw: Buffer, opts: { source: string; envelopeTo?: readonly string[] }): Promise<IntakeOutcome>;
  /** Keeps a message the way in could not take whole (too big, cut off) for the operator. */
  setAside(raw: Buffer, why: string): Promise<string>;
}

export function createIntake(deps: IntakeDeps): Intake {
  const rejectedDir = path.join(deps.config.inboundDir, 'rejected');
  async function setAside(raw: Buffer, why: string): Promise<string> {
    await mkdir(rejectedDir, { recursive: true });
    const name = `${deps.now().toISOString().replace(/[:.]/g, '-')}-${createHash('sha256').update(raw).digest('hex').slice(0, 16)}.eml`;
    const tmp = path.join(rejectedDir, `.${name}.tmp`);
    await writeFile(tmp, raw);
    await rename(tmp, path.join(rejectedDir, name));
    logEvent(deps.log, 'warn', { setAsideAt: path.join(rejectedDir, name) }, `inbound: set aside ${path.join(rejectedDir, name)}: ${why}`);
    return path.join(rejectedDir, name);
  }
  return {
    setAside,
    async take(raw, { source, envelopeTo }) {
      let report;
      try {
        report = await readInboundMessage(raw, { bounceDomain: deps.config.bounceDomain, envelopeTo });
      } catch (e) {
        const error = `unreadable message: ${(e as Error).message}`;
        return { ok: false, setAsideAt: await setAside(raw, error), error };
      }
      const found = await identify(report, deps.secret, deps.store);
      const result = await deps.store.applyInboundEvent({ ...found, fingerprint: report.fingerprint, source }, { now: deps.now(), softBounceLimit: deps.config.softBounceLimit });
      const e = result.event;
      const who = e.subscriberId === null ? '' : ` subscriber #${e.subscriberId}${e.issueId ? ` issue ${e.issueId}` : ''}`;
      const what = result.recorded ? `: ${e.outcome}` : ': seen before, nothing changed';
      const line = `inbound: ${source} ${e.kind}${e.status ? ` ${e.status}` : ''}${who}${what}`;
      if (deps.log.logger) {
        // The detail quotes the message (a recipient's address, say): debug level only.
        const fields = { source, kind: e.kind, status: e.status, subscriberId: e.subscriberId, issue: e.issueId, recorded: result.recorded };
        deps.log.logger.info(fields, line);
        if (e.detail) deps.log.logger.debug({ ...fields, detail: e.detail }, `${line} (${e.detail})`);
      } else deps.log(`${line}${e.detail ? ` (${e.detail})` : ''}`);
      return { ok: true, result };
    },
  };
}
