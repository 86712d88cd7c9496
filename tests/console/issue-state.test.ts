/** Where an Issue stands in the Console's list (src/console/issue-state.ts). */
import { describe, expect, it } from 'vitest';
import { issueState } from '../../src/console/issue-state.ts';
import { DELIVERY_STATES, type DeliveryState, type Send } from '../../src/store/store.ts';

const NOW = new Date('2024-04-20T02:00:00.000Z');
const counts = (c: Partial<Record<DeliveryState, number>> = {}) => ({ ...Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])), ...c }) as Record<DeliveryState, number>;
const send = (s: Partial<Send> = {}): Send => ({ issueId: '2024-04-15', trigger: 'http', total: 3, createdAt: NOW, finishedAt: null, pausedUntil: null, pauseReason: null, ...s });
const ready = { status: 'ready' as const, publish_at: '2024-04-20T09:00:00+08:00' };

describe('issueState', () => {
  it('names each state', () => {
    expect(issueState({ ...ready, status: 'draft' }, null, null, NOW)).toEqual({ kind: 'draft', label: 'draft' });
    expect(issueState(ready, null, null, new Date('2024-04-20T00:59:00Z'))).toEqual({ kind: 'due', label: 'due at 2024-04-20 01:00 UTC' });
    expect(issueState(ready, null, null, NOW)).toEqual({ kind: 'ready', label: 'ready' });
    expect(issueState(ready, send(), counts({ queued: 3 }), NOW)).toEqual({ kind: 'sending', label: 'sending' });
    expect(issueState(ready, send({ pausedUntil: new Date(NOW.getTime() + 1) }), counts(), NOW)).toEqual({ kind: 'sending', label: 'sending (paused)' });
    expect(issueState(ready, send({ pausedUntil: NOW }), counts(), NOW).label).toBe('sending');
    expect(issueState(ready, send({ finishedAt: NOW }), counts({ accepted: 3 }), NOW)).toEqual({ kind: 'sent', label: 'sent' });
    expect(issueState(ready, send({ finishedAt: NOW }), counts({ accepted: 1, failed: 2 }), NOW)).toEqual({ kind: 'partly-failed', label: 'partly failed (2 failed)' });
  });

  it('goes by the Send once there is one, whatever the file says now', () => {
    expect(issueState({ ...ready, status: 'draft' }, send({ finishedAt: NOW }), counts({ accepted: 3 }), NOW).kind).toBe('sent');
  });
});
