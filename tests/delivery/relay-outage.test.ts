/**
 * The SMTP relay down or hanging when a send starts, through the real CLI (`sudi send` as a child
 * process) against real servers on loopback: a port nothing listens on, a TCP server that accepts
 * and never greets, then a real SMTP server started on that same port. The outage is one event:
 * nothing is counted as an attempt, waiting costs no CPU, the send resumes within one backoff step
 * of the relay coming back, and `--retry-wait` ends the process with exit code 75 and a summary.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { findIssue } from '../../src/content/load-issues.ts';
import { createServer as createHttpServer } from '../../src/http/server.ts';
import { startAppScheduler, type CronLike } from '../../src/schedule/scheduler.ts';
import { deliveryProject, type DeliveryProject } from '../helpers/delivery-project.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { spawnSudi, type SudiProcess } from '../helpers/sudi-process.ts';
import { runCliCaptured } from '../helpers/run-cli.ts';
import { freePort } from '../http/web-fixture.ts';

const ISSUE = '2024-04-15';
const TOKEN = 'admin-token-0123456789abcdef';
/** Backoff per outage in these tests: 0.2 s doubling to 0.8 s (production: 30 s to 5 min). */
const STEP = { RELAY_RETRY_SECONDS: '0.2', RELAY_RETRY_MAX_SECONDS: '0.8' };

let project: DeliveryProject;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  project = await deliveryProject({ env: { SMTP_URL: '', ADMIN_TOKEN: TOKEN, ...STEP } });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await project.cleanup();
});

/** Resolves when the process has written `count` lines matching `re` (stdout or stderr): an event, not a sleep. */
function lines(p: SudiProcess, re: RegExp, count = 1): Promise<void> {
  const seen = () => (p.stdout() + p.stderr()).split('\n').filter((l) => re.test(l)).length >= count;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!seen()) return;
      p.child.stdout!.off('data', check);
      p.child.stderr!.off('data', check);
      resolve();
    };
    p.child.stdout!.on('data', check);
    p.child.stderr!.on('data', check);
    void p.exited.then(() => (seen() ? resolve() : reject(new Error(`exited before ${count} line(s) matching ${re}:\n${p.stdout()}\n${p.stderr()}`))));
    check();
  });
}

const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
/** User + system CPU time of a process so far, in ms (/proc/PID/stat fields 14 and 15). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

/** A TCP server that accepts connections and never says a word (no SMTP greeting). */
async function silentServer(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function smtpOn(port: number): Promise<SmtpCapture> {
  const smtp = await startSmtpCapture({}, { port, headersOnly: true });
  cleanups.push(() => smtp.close());
  return smtp;
}

async function ledger() {
  const app = project.app();
  const store = await app.store();
  const rows = await store.listDeliveries({ issueId: ISSUE, limit: 1000 });
  const send = await store.getSend(ISSUE);
  await app.close();
  return { rows, send };
}

it('relay refusing connections, then back: no attempt counted, near-zero CPU while waiting, every Delivery accepted within one step', async () => {
  await project.addSubscribers(30);
  const port = await freePort(); // nothing listens there: connections are refused
  const send = spawnSudi(['send', ISSUE, '--retry-wait', '120'], { cwd: project.dir, env: { ...project.env, SMTP_URL: `smtp://127.0.0.1:${port}` } });
  cleanups.push(() => send.child.kill('SIGKILL'));

  await lines(send, /SMTP relay unreachable: .*ECONNREFUSED/);
  // Waiting out the outage: probes at 0.2, 0.4, 0.8, 0.8 … s. Measure CPU across three of them.
  await lines(send, /SMTP relay still unreachable/, 1);
  const [cpu0, t0] = [cpuMs(send.child.pid!), performance.now()];
  await lines(send, /SMTP relay still unreachable/, 4);
  const [cpu1, t1] = [cpuMs(send.child.pid!), performance.now()];
  expect(t1 - t0).toBeGreaterThan(1500);
  // The old loop polled every 5 ms (~19 % of a core); a timer-driven wait costs next to nothing.
  expect(cpu1 - cpu0, `${cpu1 - cpu0} ms CPU in ${(t1 - t0).toFixed(0)} ms`).toBeLessThan((t1 - t0) * 0.05);

  // Nothing was handed over and nothing counted: every row is back in the queue, attempts 0.
  const during = await ledger();
  expect(during.rows.map((r) => [r.state, r.attempts])).toEqual(during.rows.map(() => ['queued', 0]));
  expect(during.send?.pausedUntil).not.toBeNull();
  expect(during.send?.pauseReason).toMatch(/SMTP relay unreachable: .*ECONNREFUSED/);
  const status = await runCliCaptured(['status', ISSUE], { cwd: project.dir, env: project.env });
  // Paused until the next probe (or, if `status` ran in the instant between two probes, just after it).
  expect(status.stdout).toMatch(/(paused until \S+|its last pause ended \S+): SMTP relay unreachable: .*ECONNREFUSED/);
  expect(status.stdout).toContain('queued (30): not attempted yet');

  // The relay comes back on the same port.
  const failedProbes = () => send.stderr().split('\n').filter((l) => /SMTP relay still unreachable/.test(l)).length;
  const smtp = await smtpOn(port);
  const failedBefore = failedProbes();
  expect((await send.exited).code, send.stderr()).toBe(0);
  expect(smtp.accepted()).toHaveLength(30);
  expect(new Set(smtp.messages.map((m) => m.to[0])).size).toBe(30);
  // Resumed at the first probe after the relay came back, so within one backoff step (at most one
  // probe that had already begun may still have failed); the old engine waited up to an hour.
  expect(failedProbes() - failedBefore).toBeLessThanOrEqual(1);
  expect(send.stderr()).toMatch(/SMTP relay reachable again/);
  expect(send.stdout()).toContain('this run: 30 message(s) handed to SMTP, 30 accepted');
  expect(send.stdout()).toContain('send finished');
  const after = await ledger();
  expect(after.rows.every((r) => r.state === 'accepted' && r.attempts === 1)).toBe(true);
}, 90_000);

it('relay accepting TCP but never greeting: --retry-wait ends `sudi send` with exit 75 and a summary; an explicit rerun resumes at once', async () => {
  await project.addSubscribers(12);
  const port = await freePort();
  const silent = await silentServer(port);
  cleanups.push(() => silent.close());
  const env = { ...project.env, SMTP_URL: `smtp://127.0.0.1:${port}/?greetingTimeout=300&connectionTimeout=300`, RELAY_RETRY_SECONDS: '0.3', RELAY_RETRY_MAX_SECONDS: '5' };

  const first = spawnSudi(['send', ISSUE, '--retry-wait', '1'], { cwd: project.dir, env });
  cleanups.push(() => first.child.kill('SIGKILL'));
  const exit = await first.exited;
  expect(exit.code, first.stdout() + first.stderr()).toBe(75);
  const out = first.stdout();
  expect(out).toMatch(/SMTP relay unreachable since \S+: Greeting never received.*; next probe at \S+/);
  expect(out).toMatch(/send of 2024-04-15 paused until \S+: SMTP relay unreachable: Greeting never received/);
  expect(out).toContain('not finished after waiting up to --retry-wait 1 s: `sudi send 2024-04-15` resumes it now');
  expect(out).toMatch(/this run: 0 message\(s\) handed to SMTP, 0 accepted .*; \d+ claimed and put back unsent \(not counted as attempts\)/);
  expect(out).toContain('12 queued (not attempted yet)');
  const held = await ledger();
  expect(held.rows.every((r) => r.state === 'queued' && r.attempts === 0)).toBe(true);
  expect(held.send?.pauseReason).toMatch(/^SMTP relay unreachable: Greeting never received/);

  // Still silent, and now a long backoff: the rerun finds it down again and leaves at once, paused for 10 min.
  const long = { ...env, RELAY_RETRY_SECONDS: '600', RELAY_RETRY_MAX_SECONDS: '600' };
  const second = spawnSudi(['send', ISSUE, '--retry-wait', '1'], { cwd: project.dir, env: long });
  cleanups.push(() => second.child.kill('SIGKILL'));
  expect((await second.exited).code, second.stdout() + second.stderr()).toBe(75);
  const paused = (await ledger()).send!.pausedUntil!;
  expect(paused.getTime() - Date.now()).toBeGreaterThan(500_000);

  // The relay is fixed; the operator runs the send again by hand: the pause is lifted at once.
  await silent.close();
  const smtp = await smtpOn(port);
  const again = spawnSudi(['send', ISSUE], { cwd: project.dir, env: long });
  cleanups.push(() => again.child.kill('SIGKILL'));
  expect((await again.exited).code, again.stderr()).toBe(0);
  expect(again.stdout()).toContain(`the send of 2024-04-15 was paused until ${paused.toISOString()} (SMTP relay unreachable: Greeting never received`);
  expect(again.stdout()).toContain('resuming it now because you asked');
  expect(again.stdout()).toContain('send finished');
  expect(smtp.accepted()).toHaveLength(12);
  expect((await ledger()).rows.every((r) => r.state === 'accepted' && r.attempts === 1)).toBe(true);
}, 90_000);

it('POST /admin/send resumes a paused Send at once and says so; a finished Send answers running: false', async () => {
  await project.addSubscribers(5);
  const smtp = await startSmtpCapture();
  cleanups.push(() => smtp.close());
  const app = project.app({ env: { SMTP_URL: smtp.url } });
  const store = await app.store();
  await store.startSend(ISSUE, { trigger: 'cli', now: new Date() });
  const until = new Date(Date.now() + 3_600_000);
  await store.pauseSend(ISSUE, until, '550 5.7.1 message refused by policy');
  const fastify = await createHttpServer(app);
  cleanups.push(() => fastify.close());
  const post = () =>
    fastify.inject({ method: 'POST', url: '/admin/send', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, payload: JSON.stringify({ issue: ISSUE }) });

  const r = await post();
  expect(r.statusCode).toBe(202);
  expect(r.json()).toMatchObject({ issue: ISSUE, created: false, resumed: { pausedUntil: until.toISOString(), reason: '550 5.7.1 message refused by policy' } });
  await smtp.waitFor(5, 60_000);
  // Wait for the background loop to end (its promise: an event, not a sleep), then ask again.
  await (await (await app.runner()).start(await findIssue(app.config.issuesDir, ISSUE), 'http')).done;
  const done = await post();
  expect(done.json()).toMatchObject({ issue: ISSUE, running: false, resumed: null, counts: { accepted: 5 } });
  expect(done.json().send.finishedAt).not.toBeNull();
}, 60_000);

it('`sudi worker` and `sudi run-due` follow the same rules: one outage, nothing counted, resumed after the relay is back', async () => {
  await project.addSubscribers(10);
  const port = await freePort();
  const env = { ...project.env, SMTP_URL: `smtp://127.0.0.1:${port}` };
  // The scheduler's tick does not wait: it finds the relay down, pauses the Send and says why.
  const tick = await runCliCaptured(['run-due', '--no-build'], { cwd: project.dir, env, now: new Date('2024-04-21T00:00:00Z') });
  expect(tick.code, tick.stderr).toBe(0);
  expect(tick.stdout).toMatch(/2024-04-15 \(started\): 0 accepted this run; total 0 accepted.*; paused until \S+: SMTP relay unreachable: .*ECONNREFUSED/);
  expect((await ledger()).rows.every((r) => r.state === 'queued' && r.attempts === 0)).toBe(true);

  const worker = spawnSudi(['worker', '--poll', '0.2'], { cwd: project.dir, env });
  cleanups.push(() => worker.child.kill('SIGKILL'));
  await lines(worker, /SMTP relay still unreachable/, 2);
  const smtp = await smtpOn(port);
  await smtp.waitFor(10, 60_000);
  await lines(worker, /SMTP relay reachable again/);
  worker.child.kill('SIGTERM');
  expect((await worker.exited).code, worker.stderr()).toBe(0);
  expect(worker.stdout()).toMatch(/stopped after [\d.]+ s: 10 accepted, 0 deferred, 0 failed/);
  const after = await ledger();
  expect(after.rows.every((r) => r.state === 'accepted' && r.attempts === 1)).toBe(true);
  expect(after.send?.finishedAt).not.toBeNull();
}, 90_000);

it("`sudi serve`'s scheduler looks again when the outage step ends, not at the next SCHEDULE tick", async () => {
  await project.addSubscribers(6);
  const port = await freePort();
  const logs: string[] = [];
  let onHeld = () => {};
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  const log = (l: string) => {
    logs.push(l);
    if (/looking at the held send\(s\) again at/.test(l)) onHeld();
  };
  // A clock that runs from the day after the issue was due (within the scheduler's catch-up window).
  const t0 = Date.now();
  const now = () => new Date(Date.parse('2024-04-21T00:00:00Z') + (Date.now() - t0));
  const app = project.app({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` }, log, now });
  // A cron that never fires: only the catch-up tick and the scheduler's own follow-ups run.
  const never: CronLike = { validate: () => true, schedule: () => ({ stop: () => {} }) };
  const scheduler = startAppScheduler(app, { log, cron: never });
  cleanups.push(() => scheduler.stop());
  await held;
  expect(logs.join('\n')).toMatch(/2024-04-15 \(started\): 0 accepted this run; .*paused until \S+: SMTP relay unreachable/);
  const smtp = await smtpOn(port);
  await smtp.waitFor(6, 60_000);
  await scheduler.stop();
  expect(smtp.accepted()).toHaveLength(6);
  expect((await ledger()).rows.every((r) => r.state === 'accepted' && r.attempts === 1)).toBe(true);
}, 60_000);
