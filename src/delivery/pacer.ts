/**
 * SEND_RATE for one sending process, as the receiving server sees it: no one-second window holds
 * more than rate + 1 messages, whatever the latency of each transaction.
 *
 * Two rules, both checked right before a transaction starts:
 * - spacing (GCRA, burst of one): transactions start at least 1000/rate ms apart; a late start never
 *   "catches up" with a burst;
 * - a sliding window: at most `rate` messages may be in flight or have finished within the last
 *   second. Spacing alone is not enough: a message that travels slower than the next one (a cold
 *   connection, a busy server) would arrive bunched with it.
 *
 * Why the window rule bounds what the server sees: take any one-second window at the server and the
 * message in it that started last, at time h. Every other message in the window started no later
 * than h and ended (its reply came) no earlier than the window's start, which is after h − 1 s; so
 * at h each of them was in flight or had finished within the last second: at most `rate` of them.
 *
 * (Fleet-wide pacing of several `sudi worker` processes lives in the PostgreSQL store.)
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Pacer {
  /**
   * Resolves when the next transaction may start, with a function to call when it has ended (reply
   * or failure); null if the signal aborted first.
   */
  take(signal?: AbortSignal): Promise<(() => void) | null>;
}

const NOOP = () => {};

export function createPacer(rate: number, clock: () => number = () => performance.now()): Pacer {
  if (!(rate > 0)) return { take: async (signal) => (signal?.aborted ? null : NOOP) };
  const interval = 1000 / rate;
  const perSecond = Math.max(1, Math.floor(rate));
  let next = -Infinity;
  let inflight = 0;
  const ended: number[] = []; // end times within the last second, oldest first
  let wakeOnEnd: (() => void)[] = [];

  const recent = (now: number) => {
    while (ended.length > 0 && ended[0]! <= now - 1000) ended.shift();
    return ended.length + inflight;
  };

  return {
    async take(signal) {
      try {
        const slot = Math.max(clock(), next);
        next = slot + interval;
        if (slot > clock()) await sleep(slot - clock(), undefined, { signal });
        while (!signal?.aborted && recent(clock()) >= perSecond) {
          // Wait until the oldest end leaves the window, or an in-flight message ends.
          const until = ended.length > 0 ? ended[0]! + 1000 - clock() : Infinity;
          let onAbort = () => {};
          const ends = new Promise<void>((resolve) => {
            wakeOnEnd.push(resolve);
            onAbort = () => resolve();
            signal?.addEventListener('abort', onAbort, { once: true });
          });
          try {
            await Promise.race([ends, Number.isFinite(until) ? sleep(Math.max(1, until), undefined, { signal }) : ends]);
          } finally {
            signal?.removeEventListener('abort', onAbort);
          }
        }
      } catch {
        return null;
      }
      if (signal?.aborted) return null;
      inflight++;
      next = Math.max(next, clock() + interval);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        inflight--;
        ended.push(clock());
        const w = wakeOnEnd;
        wakeOnEnd = [];
        for (const f of w) f();
      };
    },
  };
}
