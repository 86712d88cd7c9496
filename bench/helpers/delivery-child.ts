/**
 * One measured send for bench/delivery.ts (bench/helpers: not a benchmark itself), in its own process (so its CPU time and peak RSS are its
 * own): the real composition root and delivery engine, from a project folder whose SQLite file
 * already holds the Subscribers. The issue is rendered once before the clock starts (a send's
 * one-off cost, reported separately), then runDeliveries sends to everyone. Prints one JSON line.
 */
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { issueMessages } from '../../src/delivery/issue-messages.ts';
import { runDeliveries, startIssueSend } from '../../src/delivery/send-issue.ts';
import { findIssue } from '../../src/content/load-issues.ts';

const [dir, issueId] = process.argv.slice(2) as [string, string];
const app = createApp(parseConfig(process.env, dir), { now: () => new Date(), log: (l) => console.error(l) });
const issue = await findIssue(app.config.issuesDir, issueId);

const warmStart = performance.now();
for (const lang of ['zh', 'en', 'both'] as const) await issueMessages(app).factory(issue.id, lang);
const renderMs = performance.now() - warmStart;

const rssBeforeSnapshot = process.memoryUsage().rss;
await startIssueSend(app, issue, 'cli');
const rssBefore = process.memoryUsage().rss;
let peakRss = 0;
const samples: number[] = [];
const sampler = setInterval(() => {
  const rss = process.memoryUsage().rss;
  samples.push(rss);
  peakRss = Math.max(peakRss, rss);
}, 100);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const report = await runDeliveries(app, { issueId: issue.id });
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
await app.close();
console.log(
  JSON.stringify({
    accepted: report.counts.accepted,
    attempted: report.run.attempted,
    failed: report.counts.failed + report.counts.deferred + report.counts.unknown,
    ms,
    renderMs,
    cpuUs: cpu.user + cpu.system,
    peakRss,
    rssBeforeSnapshot,
    rssBefore,
    maxRssKb: process.resourceUsage().maxRSS,
    // RSS a quarter, half, three quarters of the way through the send, and at its end: flat or not.
    rssQuarters: [0.25, 0.5, 0.75, 1].map((f) => samples[Math.min(samples.length - 1, Math.floor(f * (samples.length - 1)))] ?? 0),
  }),
);
