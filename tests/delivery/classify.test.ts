/**
 * The pure delivery rules, table by table: what an SMTP result means (classify), what the ledger
 * does about it (decide: retry, backoff, pause, suppress, give up), and the relay outage backoff.
 */
import { describe, expect, it } from 'vitest';
import { classify, decide, DEFAULT_POLICY, enhancedStatus, type DecisionInput, type Verdict } from '../../src/delivery/classify.ts';
import { outageStepMs, RelayOutage } from '../../src/delivery/relay-outage.ts';
import type { SendResult } from '../../src/delivery/transport.ts';

const fail = (code: number | null, response: string, stage: string, extra: Partial<SendResult> = {}): SendResult => ({ accepted: false, code, response, stage, ...extra });

describe('classify', () => {
  it.each<[string, SendResult, Verdict]>([
    ['250 accepted', { accepted: true, code: 250, response: '250 2.0.0 queued' }, { kind: 'accepted' }],
    ['no reply after the final dot', fail(null, 'Timeout', 'reply', { maybeDelivered: true }), { kind: 'unknown' }],
    ['connection refused', fail(null, 'connect ECONNREFUSED 127.0.0.1:25', 'connect', { errorCode: 'ESOCKET' }), { kind: 'outage' }],
    ['no greeting', fail(null, 'Greeting never received', 'connect', { errorCode: 'ETIMEDOUT' }), { kind: 'outage' }],
    ['DNS', fail(null, 'getaddrinfo ENOTFOUND relay.invalid', 'connect', { errorCode: 'EDNS' }), { kind: 'outage' }],
    ['421 at the greeting', fail(421, '421 4.3.2 service not available', 'connect'), { kind: 'outage' }],
    ['EHLO refused', fail(554, '554 5.7.1 you are not welcome', 'EHLO'), { kind: 'outage' }],
    ['STARTTLS failed', fail(null, 'TLS handshake failed', 'STARTTLS', { errorCode: 'ETLS' }), { kind: 'outage' }],
    ['login refused', fail(535, '535 5.7.8 authentication failed', 'AUTH PLAIN', { errorCode: 'EAUTH' }), { kind: 'outage' }],
    ['451 temporary', fail(451, '451 4.3.0 try again later', 'DATA'), { kind: 'retry', pause: null }],
    ['connection lost mid-message', fail(null, 'connection closed', 'CONN', { errorCode: 'ECONNECTION' }), { kind: 'retry', pause: null }],
    ['4.7.x rate limit', fail(451, '451 4.7.1 slow down', 'DATA'), { kind: 'retry', pause: 'policy' }],
    ['5.7.x policy rejection', fail(550, '550 5.7.1 message refused by policy', 'RCPT TO'), { kind: 'retry', pause: 'policy' }],
    ['5.1.1 no such user', fail(550, '550 5.1.1 <x@example.org>: User unknown', 'RCPT TO'), { kind: 'fail', suppress: true }],
    ['5.1.8 for our sender', fail(553, '553 5.1.8 sender domain does not exist', 'MAIL FROM'), { kind: 'retry', pause: 'policy' }],
    ['other 5xx', fail(552, '552 5.2.2 mailbox full', 'RCPT TO'), { kind: 'fail', suppress: false }],
    ['5xx without an enhanced code', fail(554, '554 rejected', 'DATA'), { kind: 'fail', suppress: false }],
  ])('%s', (_name, result, verdict) => {
    expect(classify(result)).toEqual(verdict);
  });

  it.each([
    ['550 5.1.1 <x>: Recipient address rejected', '5.1.1'],
    ['550-5.7.1 first line', '5.7.1'],
    ['  451 4.7.0 greylisted ', '4.7.0'],
    ['250 2.0.0 Ok', '2.0.0'],
    ['554 rejected', null],
    ['Greeting never received', null],
  ])('enhancedStatus(%j) = %j', (response, code) => expect(enhancedStatus(response)).toBe(code));
});

describe('decide', () => {
  const now = new Date('2024-04-20T01:00:00Z');
  const min = 60_000;
  const input = (verdict: DecisionInput['verdict'], o: Partial<DecisionInput> = {}): DecisionInput => ({
    verdict,
    attempts: 1,
    previousState: 'queued',
    sendCreatedAt: new Date(now.getTime() - 3_600_000),
    now,
    pausesSoFar: 0,
    ...o,
  });
  const at = (ms: number) => new Date(now.getTime() + ms);

  it.each<[string, DecisionInput, Partial<ReturnType<typeof decide>>]>([
    ['accepted', input({ kind: 'accepted' }), { state: 'accepted', nextAttemptAt: null, suppress: false, pauseMs: null }],
    ['5.1.1: failed and suppressed', input({ kind: 'fail', suppress: true }), { state: 'failed', nextAttemptAt: null, suppress: true }],
    ['other 5xx: failed, not suppressed', input({ kind: 'fail', suppress: false }), { state: 'failed', suppress: false }],
    ['unknown: resent once after unknownRetryMs', input({ kind: 'unknown' }), { state: 'unknown', nextAttemptAt: at(min), note: null }],
    ['unknown after the resend: final', input({ kind: 'unknown' }, { attempts: 2, previousState: 'unknown' }), { state: 'unknown', nextAttemptAt: null }],
    ['unknown after a taken-over lease: final', input({ kind: 'unknown' }, { attempts: 2, previousState: 'sending' }), { state: 'unknown', nextAttemptAt: null }],
    ['first temporary failure: 1 min', input({ kind: 'retry', pause: null }), { state: 'deferred', nextAttemptAt: at(min), pauseMs: null }],
    ['third: 4 min', input({ kind: 'retry', pause: null }, { attempts: 3 }), { state: 'deferred', nextAttemptAt: at(4 * min) }],
    ['seventh: capped at 1 h', input({ kind: 'retry', pause: null }, { attempts: 7 }), { state: 'deferred', nextAttemptAt: at(60 * min) }],
    ['eighth: gives up', input({ kind: 'retry', pause: null }, { attempts: 8 }), { state: 'failed', nextAttemptAt: null, note: 'gave up after 8 attempts' }],
    [
      'a Send older than 3 days: gives up',
      input({ kind: 'retry', pause: null }, { sendCreatedAt: new Date(now.getTime() - 3 * 24 * 3_600_000) }),
      { state: 'failed', note: 'gave up: the Send is older than 72 h' },
    ],
    ['policy: pauses 5 min, retries after it', input({ kind: 'retry', pause: 'policy' }), { state: 'deferred', pauseMs: 5 * min, nextAttemptAt: at(5 * min), suppress: false }],
    ['policy again: 10 min', input({ kind: 'retry', pause: 'policy' }, { pausesSoFar: 1 }), { pauseMs: 10 * min, nextAttemptAt: at(10 * min) }],
    ['policy, many times: capped at 1 h', input({ kind: 'retry', pause: 'policy' }, { pausesSoFar: 6 }), { pauseMs: 60 * min }],
    ['policy at the attempt cap: fails but still pauses', input({ kind: 'retry', pause: 'policy' }, { attempts: 8 }), { state: 'failed', pauseMs: 5 * min }],
  ])('%s', (_name, i, want) => {
    expect(decide(i, DEFAULT_POLICY)).toMatchObject(want);
  });
});

describe('relay outage backoff', () => {
  it.each([
    [0, 30_000],
    [1, 60_000],
    [2, 120_000],
    [3, 240_000],
    [4, 300_000],
    [20, 300_000],
  ])('after %i failed probe(s): wait %i ms', (n, ms) => expect(outageStepMs(n, { baseMs: 30_000, maxMs: 300_000 })).toBe(ms));

  it('is one outage however many messages fail; probes double the step; a success ends it', () => {
    const o = new RelayOutage({ baseMs: 1000, maxMs: 4000 });
    const t = (s: number) => new Date(Date.UTC(2024, 3, 20) + s * 1000);
    expect(o.report('refused', t(0))).toMatchObject({ started: true, outage: { until: t(1), failedProbes: 0 } });
    // Seven more messages fail the same way at once: the same outage, nothing doubles.
    for (let i = 0; i < 7; i++) expect(o.report('refused', t(0.1)).started).toBe(false);
    expect(o.current?.until).toEqual(t(1));
    expect(o.probeFailed('refused', t(1)).until).toEqual(t(3));
    expect(o.probeFailed('no greeting', t(3))).toMatchObject({ until: t(7), reason: 'no greeting', since: t(0) });
    expect(o.probeFailed('refused', t(7)).until).toEqual(t(11));
    expect(o.end()?.since).toEqual(t(0));
    expect(o.current).toBeNull();
    // The next outage starts from the base step again.
    expect(o.report('refused', t(20)).outage.until).toEqual(t(21));
  });

  it('wake() ends a wait at once and makes the next probe due now', async () => {
    const o = new RelayOutage({ baseMs: 1000, maxMs: 4000 });
    o.report('refused', new Date(0));
    const waiting = o.sleep(3_600_000);
    o.wake(new Date(5));
    expect(await waiting).toBe('woken');
    expect(o.current?.until).toEqual(new Date(5));
    const ac = new AbortController();
    const stopped = o.sleep(3_600_000, ac.signal);
    ac.abort();
    expect(await stopped).toBe('stopped');
  });
});
