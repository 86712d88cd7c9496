/**
 * DRAFT_SCHEDULE in `sudi serve`: node-cron (in TZ) runs assembleWeekDraft on its own schedule,
 * beside the send schedule and independent of it. No catch-up tick at start: the job only ever
 * writes a file that is missing, so the next tick does whatever a missed one would have done.
 */
import type { Config } from '../config.ts';
import type { Transport } from '../delivery/transport.ts';
import { logEvent, type LineLog } from '../log.ts';
import { sourcesFor } from '../sources/paper-sources.ts';
import type { TranslateIssue } from '../sources/week-issue.ts';
import { assembleWeekDraft, type DraftReport } from './draft-week.ts';
import { createScheduler, type CronLike, type Scheduler } from './scheduler.ts';

/** What the draft schedule needs from the process (the composition root hands it the App). */
export interface DraftScheduleDeps {
  config: Config;
  now: () => Date;
  transport(): Transport;
}

export function startDraftScheduler(app: DraftScheduleDeps, opts: { log: LineLog; cron?: CronLike; translate?: TranslateIssue }): Scheduler | null {
  const { config } = app;
  if (!config.draft) return null;
  const scheduler = createScheduler({
    expression: config.draft.schedule,
    timezone: config.tz,
    log: opts.log,
    cron: opts.cron,
    catchUp: false,
    setting: 'DRAFT_SCHEDULE',
    tick: async (signal) => {
      const r = await assembleWeekDraft({
        config,
        now: app.now,
        log: opts.log,
        sources: sourcesFor(config, { signal, now: app.now }),
        transport: () => app.transport(),
        translate: opts.translate,
      });
      describeDraft(r, opts.log);
    },
  });
  logEvent(opts.log, 'info', { draftSchedule: config.draft.schedule, tz: config.tz }, `draft schedule: "${config.draft.schedule}" in ${config.tz}: assemble the week's draft from Hugging Face`);
  return scheduler;
}

export function describeDraft(r: DraftReport, log: LineLog): void {
  if (r.outcome === 'exists') logEvent(log, 'info', { week: r.week, file: r.file }, `draft schedule: ${r.file} exists; left as it is`);
  else if (r.outcome === 'no papers') {
    logEvent(log, 'warn', { week: r.week, listed: r.listed }, `draft schedule: Hugging Face lists ${r.listed} paper(s) for ${r.week}, none past the cut; no draft written`);
  } else {
    logEvent(
      log,
      'info',
      { week: r.week, file: r.file, papers: r.papers, needs: r.needs.length, mailedTo: r.mailedTo },
      `draft schedule: wrote ${r.file} with ${r.papers} paper(s); ${r.needs.length} need a person; ${r.mailedTo ? `mailed ${r.mailedTo}` : 'EDITOR_EMAIL is not set: nobody was mailed'}`,
    );
  }
}
