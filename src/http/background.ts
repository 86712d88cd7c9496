/**
 * Work the server does beside its requests: the confirmation sender (subscribers/confirmation-
 * sender.ts), which drains the Store's confirmation queue. A sign-up only queues its mail (durably,
 * with the 24-hour slot) and wakes the sender, so the response takes as long for a new address as
 * for a known one, and a crash loses nothing it acknowledged. Shutdown (drain) stops claiming,
 * finishes the mail in flight and leaves the rest queued for the next start.
 */
import { startConfirmationSender, type ConfirmationSender, type ConfirmationSenderDeps } from '../subscribers/confirmation-sender.ts';

export class Background {
  readonly #onError: (e: unknown) => void;
  #confirmations: ConfirmationSender | null = null;
  #draining = false;

  constructor(onError: (e: unknown) => void) {
    this.#onError = onError;
  }

  /** Starts the confirmation sender (once per server): it first sends what an earlier process left queued. */
  startConfirmations(deps: ConfirmationSenderDeps): void {
    if (!this.#confirmations && !this.#draining) this.#confirmations = startConfirmationSender(deps);
  }

  /** A confirmation mail was queued. */
  wakeConfirmations(): void {
    this.#confirmations?.wake();
  }

  /** Resolves once the confirmation sender has nothing in flight and nothing due (tests wait on it). */
  async idle(): Promise<void> {
    await this.#confirmations?.idle().catch(this.#onError);
  }

  /** Shutdown: the sender stops claiming and finishes its mail in flight. */
  async drain(): Promise<void> {
    this.#draining = true;
    await this.#confirmations?.stop().catch(this.#onError);
  }
}
