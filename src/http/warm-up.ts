/**
 * Work the first visitor would otherwise wait for, done right after the server listens: the
 * confirmation mail's templates and its one MJML run. MJML runs in a child process, so the server
 * answers requests all the while; a sign-up that comes first waits for the same result in the
 * background (its response never waits for the mail).
 */
import type { Config } from '../config.ts';
import { mjmlInChild } from '../render/mjml-elsewhere.ts';
import { loadConfirmationMail } from '../subscribers/confirmation-mail.ts';

/** Resolves when done; never rejects (a failure is logged, and the first sign-up tries again). */
export async function warmUp(config: Config, log: (line: string) => void): Promise<void> {
  try {
    await loadConfirmationMail(config, mjmlInChild);
  } catch (e) {
    log(`warning: the confirmation mail could not be prepared at start: ${e instanceof Error ? e.message : String(e)}`);
  }
}
