/**
 * Work the server does beside its requests: the confirmation sender (subscribers/confirmation-
 * sender.ts), which drains the Store's confirmation queue, and any other task a request starts but
 * does not wait for. A sign-up only queues its mail (durably) and wakes the sender, so the response
 * takes as long for a new address as for a known one, and a crash loses nothing it acknowledged.
 * Shutdown (drain) stops claiming, finishes the mail in flight and leaves the rest queued for the
 * next start.
 */
import { startConfirmationSender, type ConfirmationSender, type ConfirmationSenderDeps } from '../subscribers/confirmation-sender.ts';

export class Background {
  readonly #tasks = new Set<Promise<void>>();
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

  track(work: Promise<unknown>): void {
    const task: Promise<void> = work.then(
      () => undefined,
      (e) => this.#onError(e),
    );
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }

  get size(): number {
    return this.#tasks.size;
  }

  /** Resolves once tracked tasks are done and the confirmation sender has nothing due (tests). */
  async idle(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    await this.#confirmations?.idle();
  }

  /** Shutdown: the sender stops claiming and finishes its mail in flight; tracked tasks finish. */
  async drain(): Promise<void> {
    this.#draining = true;
    await this.#confirmations?.stop();
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }
}
