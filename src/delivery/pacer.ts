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

/**
 * The spacing rule (pure): when a transaction asked for at `now` may start, given the slot the
 * previous one left (`next`); and the slot it leaves for the one after.
 */
export function spacingSlot(next: number, now: number, rate: number): { start: number; next: number } {
  const start = Math.max(now, next);
  return { start, next: start + 1000 / rate };
}

/**
 * The window rule (pure): the earliest time ≥ now at which fewer than `perSecond` messages are in
 * flight or ended within the last second, given the end times (oldest first) and the number in
 * flight; null when that can only happen once an in-flight message ends.
 */
export function windowOpensAt(ended: readonly number[], inflight: number, perSecond: number, now: number): number | null {
  const recent = ended.filter((t) => t > now - 1000);
  const allowed = perSecond - inflight; // ends that may still be in the window
  if (allowed <= 0) return null;
  if (recent.length < allowed) return now;
  // The (len − allowed)th oldest recent end must have left the window.
  return recent[recent.length - allowed]! + 1000;
}

export function createPacer(rate: number, clock: () => number = () => performance.now()): Pacer {
  if (!(rate > 0)) return { take: async (signal) => (signal?.aborted ? null : NOOP) };
  const perSecond = Math.max(1, Math.floor(rate));
  let next = -Infinity;
  let inflight = 0;
  const ended: number[] = []; // end times within the last second, oldest first
  let wakeOnEnd: (() => void)[] = [];

  return {
    async take(signal) {
      try {
        const slot = spacingSlot(next, clock(), rate);
        next = slot.next;
        if (slot.start > clock()) await sleep(slot.start - clock(), undefined, { signal });
        for (;;) {
          while (ended.length > 0 && ended[0]! <= clock() - 1000) ended.shift();
          const opens = windowOpensAt(ended, inflight, perSecond, clock());
          if (signal?.aborted || (opens !== null && opens <= clock())) break;
          // Wait until the oldest end leaves the window, or an in-flight message ends.
          let onAbort = () => {};
          const ends = new Promise<void>((resolve) => {
            wakeOnEnd.push(resolve);
            onAbort = () => resolve();
            signal?.addEventListener('abort', onAbort, { once: true });
          });
          try {
            await Promise.race([ends, opens !== null ? sleep(Math.max(1, opens - clock()), undefined, { signal }) : ends]);
          } finally {
            signal?.removeEventListener('abort', onAbort);
          }
        }
      } catch {
        return null;
      }
      if (signal?.aborted) return null;
      inflight++;
      next = Math.max(next, clock() + 1000 / rate);
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
