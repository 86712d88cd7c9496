/**
 * The SMTP relay being down, as one event rather than one strike per Delivery. When a message
 * cannot get a session at all (refused, DNS, a timeout at connect, greeting or TLS, a refused
 * login), every other message would fail the same way: the sender stops handing messages over,
 * puts the rows it claimed back (no attempt counted), waits one step, then probes the relay with
 * one connection before it claims again. Each failed probe doubles the step up to a cap, so the
 * sender resumes within one step of the relay coming back, and never more than the cap after.
 *
 * One per Transport (one relay) and process, made beside it by the composition root (app.ts):
 * every loop of a process (the scheduler's, the HTTP trigger's, each pass of `sudi worker`)
 * shares it, so an outage is not rediscovered per loop and its doubling carries across passes.
 * Waiting is a timer; an operator's explicit send wakes it.
 */

export interface OutagePolicy {
  /** Wait after the relay was first found down, before the first probe. */
  baseMs: number;
  /** The wait doubles after each failed probe, up to this. */
  maxMs: number;
}

/** How long to wait before the next probe after `failedProbes` failed probes in this outage (pure). */
export function outageStepMs(failedProbes: number, policy: OutagePolicy): number {
  return Math.min(policy.baseMs * 2 ** Math.max(0, failedProbes), Math.max(policy.baseMs, policy.maxMs));
}

export interface Outage {
  since: Date;
  /** The next probe is due then; messages are held until a probe succeeds. */
  until: Date;
  /** The connection error of the last failure (refused, timeout …). */
  reason: string;
  failedProbes: number;
}

export type WakeReason = 'time' | 'woken' | 'stopped';

export class RelayOutage {
  current: Outage | null = null;
  private wakers = new Set<() => void>();

  policy: OutagePolicy;

  constructor(policy: OutagePolicy) {
    this.policy = policy;
  }

  /** A message found the relay down. Starts an outage unless one is on (then nothing changes). */
  report(reason: string, now: Date): { outage: Outage; started: boolean } {
    if (this.current) return { outage: this.current, started: false };
    this.current = { since: now, until: new Date(now.getTime() + outageStepMs(0, this.policy)), reason, failedProbes: 0 };
    return { outage: this.current, started: true };
  }

  /** The probe at the end of a step failed: wait twice as long (up to the cap) before the next. */
  probeFailed(reason: string, now: Date): Outage {
    const o = this.current ?? { since: now, until: now, reason, failedProbes: -1 };
    const failedProbes = o.failedProbes + 1;
    this.current = { ...o, reason, failedProbes, until: new Date(now.getTime() + outageStepMs(failedProbes, this.policy)) };
    return this.current;
  }

  /** A probe got a session: the relay is back. Returns the outage that ended. */
  end(): Outage | null {
    const o = this.current;
    this.current = null;
    return o;
  }

  /** An operator asked to send now: the next probe is due at once, and every wait ends. */
  wake(now: Date): void {
    if (this.current) this.current = { ...this.current, until: now };
    const w = [...this.wakers];
    this.wakers.clear();
    for (const f of w) f();
  }

  /** Waits until `ms` has passed, wake() is called or the signal aborts; a timer, no polling. */
  sleep(ms: number, signal?: AbortSignal): Promise<WakeReason> {
    if (signal?.aborted) return Promise.resolve('stopped');
    return new Promise((resolve) => {
      const done = (why: WakeReason) => {
        clearTimeout(timer);
        this.wakers.delete(onWake);
        signal?.removeEventListener('abort', onAbort);
        resolve(why);
      };
      const onWake = () => done('woken');
      const onAbort = () => done('stopped');
      const timer = setTimeout(() => done('time'), Math.max(0, ms));
      this.wakers.add(onWake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

