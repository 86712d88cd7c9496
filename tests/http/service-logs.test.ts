/**
 * What an operator's log collector reads: a real `sudi serve` with stderr piped writes one JSON
 * object a line, each with a level and context fields, and no Subscriber's address at info level
 * after a sign-up, its confirmation mail, a wrong admin token and a send. The terminal format and
 * the settings are checked on the logger itself.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, logSettings, prettyLine } from '../../src/log.ts';
import { deliveryProject, sendFinished, type DeliveryProject } from '../helpers/delivery-project.ts';
import { runCliCaptured } from '../helpers/run-cli.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { outputOf, spawnSudi, type SudiProcess } from '../helpers/sudi-process.ts';
import { freePort } from './web-fixture.ts';

const ISSUE = '2024-04-15';
const TOKEN = 'admin-token-0123456789abcdef';

interface Record {
  level: string;
  time: string;
  msg: string;
  [field: string]: unknown;
}

/** Every stderr line, parsed by JSON.parse; a line that is not JSON fails the test. */
function records(p: SudiProcess): Record[] {
  return p
    .stderr()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record;
      } catch {
        throw new Error(`stderr line is not JSON: ${l}`);
      }
    });
}

/** Resolves once a record matching `test` has been written (an event, whatever the machine's load). */
function logged(p: SudiProcess, test: (r: Record) => boolean): Promise<Record> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = p.stderr().endsWith('\n') ? records(p).find(test) : undefined;
      if (found) {
        p.child.stderr!.off('data', check);
        resolve(found);
      }
    };
    p.child.stderr!.on('data', check);
    void p.exited.then(() => reject(new Error(`exited before logging it:\n${p.stdout()}\n${p.stderr()}`)));
    check();
  });
}


let smtp: SmtpCapture;
let project: DeliveryProject;
beforeEach(async () => {
  smtp = await startSmtpCapture({}, { headersOnly: true });
  project = await deliveryProject({ env: { SMTP_URL: smtp.url, ADMIN_TOKEN: TOKEN } });
});
afterEach(async () => {
  await project.cleanup();
  await smtp.close();
});

describe('sudi serve logs', () => {
  it('writes JSON lines with levels and context, and no Subscriber address at info level', async () => {
    await project.addSubscribers(2); // reader0@example.org, reader1@example.org
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const serve = spawnSudi(['serve', '--no-build'], { cwd: project.dir, env: { ...project.env, PORT: String(port), SITE_URL: `${base}/` } });
    try {
      await outputOf(serve, 'serving ');
      await logged(serve, (r) => r.msg.startsWith('Server listening at'));

      const signUp = await fetch(`${base}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ann.signup@example.org', lang: 'en' }) });
      expect(signUp.status).toBeLessThan(300);
      const confirmation = await logged(serve, (r) => r.msg.startsWith('confirmation mail to subscriber'));
      expect(confirmation).toMatchObject({ level: 'info', subscriberId: 3, outcome: 'done' });

      const wrong = await fetch(`${base}/admin/send`, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: '{}' });
      expect(wrong.status).toBe(401);
      const refused = await logged(serve, (r) => r.msg.startsWith('admin: wrong bearer token'));
      expect(refused).toMatchObject({ level: 'warn', clientAddress: '127.0.0.1', status: 401, failures: 1 });

      const send = await fetch(`${base}/admin/send`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ issue: ISSUE }) });
      expect(send.status).toBe(202);
      expect(await logged(serve, (r) => r.msg.startsWith('admin: started the send of'))).toMatchObject({ level: 'info', issue: ISSUE, clientAddress: '127.0.0.1', created: true });
      await smtp.waitFor(3, 60_000); // one confirmation, the Issue to both active Subscribers
      const app = project.app();
      const store = await app.store();
      await sendFinished(store, ISSUE, 120_000);
      await app.close();
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }

    const all = records(serve);
    for (const r of all) {
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(r.level);
      expect(new Date(r.time).toISOString()).toBe(r.time);
      expect(typeof r.msg).toBe('string');
    }
    // Fastify logs through the same logger, but not one line per request at info.
    expect(all.filter((r) => r.msg === 'incoming request' || r.msg === 'request completed')).toEqual([]);
    const addresses = ['ann.signup@example.org', 'reader0@example.org', 'reader1@example.org'];
    const leaks = all.filter((r) => r.level === 'info' && addresses.some((a) => JSON.stringify(r).toLowerCase().includes(a)));
    expect(leaks).toEqual([]);
    // The stdout summary stays human: the operator's own terminal, not the collector's.
    expect(serve.stdout()).toMatch(/^serving .* at http:\/\/127\.0\.0\.1:\d+/m);
  });

  it('sudi worker logs its start and each pass as JSON with the worker, the issue and delivery states', async () => {
    await project.addSubscribers(2);
    expect((await runCliCaptured(['send', ISSUE, '--no-wait'], { cwd: project.dir, env: project.env })).code).toBe(0);
    const worker = spawnSudi(['worker', '--once', '--poll', '0.2'], { cwd: project.dir, env: project.env });
    expect((await worker.exited).code, worker.stderr()).toBe(0);
    const all = records(worker);
    const owner = all[0]!.worker;
    expect(all[0]).toMatchObject({ level: 'info', store: 'sqlite', worker: expect.any(String) });
    expect(all).toContainEqual(expect.objectContaining({ level: 'info', worker: owner, issues: [ISSUE], deliveryStates: expect.objectContaining({ accepted: 2, failed: 0 }) }));
    expect(all.filter((r) => r.level === 'info' && /reader\d@example\.org/i.test(JSON.stringify(r)))).toEqual([]);
    expect(worker.stdout()).toMatch(/stopped after [\d.]+ s: 2 accepted/); // the summary stays human
  });

  it('refuses a bad LOG_LEVEL or LOG_FORMAT with exit 2, saying what is valid', async () => {
    const level = await runCliCaptured(['serve', '--no-build'], { cwd: project.dir, env: { ...project.env, LOG_LEVEL: 'loud' } });
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/LOG_LEVEL: "loud" is not a level \(expected one of fatal, error, warn, info, debug, trace, silent/);
    const format = await runCliCaptured(['worker', '--once'], { cwd: project.dir, env: { ...project.env, LOG_FORMAT: 'xml' } });
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/LOG_FORMAT: "xml" is not a format \(expected json or pretty\)/);
  });
});

describe('the logger', () => {
  function capture(isTTY: boolean) {
    const lines: string[] = [];
    return { lines, stream: { isTTY, write: (s: string) => void lines.push(s) } };
  }

  it('writes JSON off a terminal and a short human line on one; LOG_FORMAT overrides either', () => {
    const off = capture(false);
    createLogger(off.stream, {}).warn({ issue: ISSUE, subscriberId: 7 }, 'send paused');
    expect(JSON.parse(off.lines[0]!)).toMatchObject({ level: 'warn', issue: ISSUE, subscriberId: 7, msg: 'send paused' });

    const tty = capture(true);
    createLogger(tty.stream, {}).info({ issue: ISSUE, reason: 'relay down' }, 'schedule: tick');
    expect(tty.lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}schedule: tick issue=2024-04-15 reason="relay down"\n$/);

    expect(logSettings({ LOG_FORMAT: 'json' }, { isTTY: true, write: () => {} }).format).toBe('json');
    expect(logSettings({ LOG_FORMAT: 'pretty' }, { write: () => {} }).format).toBe('pretty');
  });

  it('LOG_LEVEL decides what is written: debug records only at debug', () => {
    const info = capture(false);
    createLogger(info.stream, {}).debug({ detail: 'ann@example.org: user unknown' }, 'inbound detail');
    expect(info.lines).toEqual([]);
    const debug = capture(false);
    createLogger(debug.stream, { LOG_LEVEL: 'debug' }).debug('inbound detail');
    expect(debug.lines).toHaveLength(1);
    expect(prettyLine(debug.lines[0]!)).toMatch(/ DEBUG inbound detail\n$/);
  });
});
