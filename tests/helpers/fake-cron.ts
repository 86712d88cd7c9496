/**
 * A cron for scheduler tests that never fires by itself: the test calls fire(). Expressions are
 * validated by the real node-cron, and each scheduled one is recorded with its time zone.
 */
import cron from 'node-cron';
import type { CronLike } from '../../src/schedule/scheduler.ts';

export function fakeCron(): CronLike & { fire(): Promise<unknown>; expressions: string[] } {
  let fn: (() => unknown) | null = null;
  const expressions: string[] = [];
  return {
    expressions,
    validate: (e) => cron.validate(e),
    schedule(expression, f, opts) {
      expressions.push(`${expression} ${opts.timezone}`);
      fn = f;
      return { stop: () => (fn = null) };
    },
    fire: async () => fn?.(),
  };
}
