/**
 * SEND_RATE's two rules as pure functions (pacer.ts): the spacing between transaction starts, and
 * the one-second window of messages in flight or ended.
 */
import { describe, expect, it } from 'vitest';
import { spacingSlot, windowOpensAt } from '../../src/delivery/pacer.ts';

describe('spacing', () => {
  it.each([
    ['first message: at once', -Infinity, 1000, 20, { start: 1000, next: 1050 }],
    ['next slot still ahead: wait for it', 1050, 1010, 20, { start: 1050, next: 1100 }],
    ['late: starts now, no catching up with a burst', 1050, 5000, 20, { start: 5000, next: 5050 }],
    ['fractional rate: 0.5/s is one every 2 s', 0, 0, 0.5, { start: 0, next: 2000 }],
  ])('%s', (_name, next, now, rate, want) => expect(spacingSlot(next, now, rate)).toEqual(want));
});

describe('window', () => {
  it.each<[string, number[], number, number, number, number | null]>([
    ['empty: now', [], 0, 20, 1000, 1000],
    ['under the limit: now', [400, 500], 1, 4, 1000, 1000],
    ['at the limit with one in flight: when the oldest end leaves', [400, 500], 1, 3, 1000, 1400],
    ['full of recent ends: when the oldest leaves', [100, 200, 300], 0, 3, 1000, 1100],
    ['full, two in flight: when the newest end leaves', [100, 200, 300], 2, 3, 1000, 1300],
    ['ends older than a second do not count', [-500, 100, 200], 0, 3, 1000, 1000],
    ['all in flight: only once one ends', [], 3, 3, 1000, null],
    ['more in flight than allowed: only once one ends', [900], 5, 3, 1000, null],
    ['rate below 1: one message per window', [800], 0, 1, 1000, 1800],
  ])('%s', (_name, ended, inflight, perSecond, now, want) => expect(windowOpensAt(ended, inflight, perSecond, now)).toBe(want));
});
