/**
 * Work a request starts but does not wait for (the confirmation mail): the response must not take
 * longer for a new address than for a known one, or its timing would reveal which is which.
 * Shutdown drains what is in flight, so a SIGTERM never drops a confirmation half-sent.
 */
export class Background {
  readonly #tasks = new Set<Promise<void>>();
  readonly #onError: (e: unknown) => void;

  constructor(onError: (e: unknown) => void) {
    this.#onError = onError;
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

  /** Resolves once nothing is in flight (including work started while draining). */
  async drain(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }
}
