/**
 * The Sends this process is delivering in the background (the HTTP trigger, the scheduler), one
 * delivery loop per Issue. Starting a Send always goes through the ledger's unique insert, so
 * other processes can never start a second one; this registry only keeps one process from running
 * two loops over the same Send and lets the web server answer "already running" (409).
 */
import type { Issue } from '../model.ts';
import type { Send, SendTrigger } from '../store/store.ts';
import { emptyCounts, resumePausedSend, runDeliveries, startIssueSend, type DeliveryReport, type RunOptions, type SendDeps, type StateCounts } from './send-issue.ts';

export interface SendStatus {
  issueId: string;
  /** Delivered by a loop of this process right now (never true once the Send is finished). */
  running: boolean;
  send: Send | null;
  counts: StateCounts;
}

export interface StartResult {
  /** This process was already delivering this Send: nothing new was started. */
  alreadyRunning: boolean;
  /** The Send was created now (false: an existing one is resumed). */
  created: boolean;
  /** Settles when this loop ends (with its report), or with the running loop's when alreadyRunning. */
  done: Promise<DeliveryReport>;
  /** The pause an explicit trigger (`resume`) lifted, null if the Send was not paused. */
  resumed: { pausedUntil: Date; reason: string | null } | null;
}

export interface DeliveryRunner {
  /**
   * Starts (or resumes) the Send and a loop delivering it, unless one runs here. `resume`: an
   * operator asked for it, so a paused Send resumes at once (the scheduler never passes it).
   */
  start(issue: Issue, trigger: SendTrigger, opts?: Omit<RunOptions, 'issueId' | 'signal'>, how?: { resume?: boolean }): Promise<StartResult>;
  running(issueId: string): boolean;
  status(issueId: string): Promise<SendStatus>;
  /** Stops claiming in every loop, lets messages in flight finish, and waits for them. */
  stop(): Promise<void>;
}

/** The runner of a process: the composition root (app.ts) makes one and hands it to the scheduler and the server. */
export function createRunner(app: SendDeps): DeliveryRunner {
  const loops = new Map<string, Promise<DeliveryReport>>();
  const stopping = new AbortController();

  const status = async (issueId: string): Promise<SendStatus> => {
    const store = await app.store();
    const send = await store.getSend(issueId);
    return { issueId, running: loops.has(issueId) && !send?.finishedAt, send, counts: send ? await store.deliveryCounts(issueId) : emptyCounts() };
  };

  return {
    async start(issue, trigger, opts = {}, how = {}) {
      const existing = loops.get(issue.id);
      if (existing) return { alreadyRunning: true, created: false, done: existing, resumed: how.resume ? await resumePausedSend(app, issue.id) : null };
      // Registered before the first await, so two calls in the same tick cannot both start a loop.
      const starting = startIssueSend(app, issue, trigger).then(async (s) => ({ ...s, resumed: how.resume ? await resumePausedSend(app, issue.id) : null }));
      const done = starting.then(() => runDeliveries(app, { ...opts, issueId: issue.id, signal: stopping.signal }));
      loops.set(issue.id, done);
      void done.then(
        () => loops.delete(issue.id),
        (e) => {
          loops.delete(issue.id);
          // A refused start (a draft) is reported to the caller below; anything later is logged here.
          void starting.then(() => app.log(`send of ${issue.id} stopped with an error: ${(e as Error).message}`), () => {});
        },
      );
      const started = await starting;
      return { alreadyRunning: false, created: started.created, done, resumed: started.resumed };
    },
    running: (issueId) => loops.has(issueId),
    status,
    async stop() {
      stopping.abort();
      await Promise.allSettled([...loops.values()]);
    },
  };
}
