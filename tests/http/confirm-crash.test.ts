/**
 * kill -9 of `sudi serve` in the middle of a sign-up flood, against a real SMTP server that answers
 * slowly (so mail is still queued at the kill), then a restart: every sign-up answered with 200
 * ("check your inbox") gets its confirmation mail, exactly one (one Message-ID per address; a copy
 * can only come from a mail that was in flight at the kill, and it carries the same Message-ID).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { deliveryProject, type DeliveryProject } from '../helpers/delivery-project.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { spawnSudi, type SudiProcess } from '../helpers/sudi-process.ts';
import { freePort } from './web-fixture.ts';

let smtp: SmtpCapture;
let project: DeliveryProject;
let port: number;
const slow = () => new Promise<'accept'>((resolve) => setTimeout(() => resolve('accept'), 10));

beforeAll(async () => {
  smtp = await startSmtpCapture({ data: slow });
  port = await freePort();
  project = await deliveryProject({
    env: { SMTP_URL: smtp.url, SEND_CONCURRENCY: '4', SUBSCRIBE_RATE_LIMIT: '1000000', HOST: '127.0.0.1', PORT: String(port) },
  });
  await project.writeIssue('2024-04-15');
});
afterAll(async () => {
  await project.cleanup();
  await smtp.close();
});

async function serve(): Promise<SudiProcess> {
  const p = spawnSudi(['serve', '--no-build'], { cwd: project.dir, env: project.env });
  await new Promise<void>((resolve, reject) => {
    const check = () => (p.stdout().includes('serving ') ? resolve() : undefined);
    p.child.stdout!.on('data', check);
    void p.exited.then(() => reject(new Error(`serve exited: ${p.stderr()}`)));
  });
  return p;
}

/** Sign-ups from 8 clients until the server stops answering (or 600 were made); the addresses answered with 200. */
async function flood(prefix: string): Promise<{ acked: Set<string>; done: Promise<void> }> {
  const acked = new Set<string>();
  let n = 0;
  const client = async () => {
    while (n < 600) {
      const email = `${prefix}${n++}@example.org`;
      try {
        const r = await fetch(`http://127.0.0.1:${port}/subscribe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ email }),
        });
        if (r.status === 200 && (await r.json()).ok === true) acked.add(email);
      } catch {
        return; // the server is gone
      }
    }
  };
  return { acked, done: Promise.all(Array.from({ length: 8 }, client)).then(() => undefined) };
}

const recipients = () => new Set(smtp.messages.map((m) => m.to[0]!));

it('kill -9 during a sign-up flood, restart: every acknowledged sign-up gets exactly one confirmation mail', async () => {
  const first = await serve();
  const { acked, done } = await flood('flood');
  await Promise.race([smtp.waitFor(30, 60_000), done]);
  first.child.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');
  await done;

  // What the kill left: acknowledged sign-ups without mail (the old code lost exactly these), and
  // mails leased by the dead process (in flight: the only possible copies).
  const missing = [...acked].filter((a) => !recipients().has(a));
  const app = project.app();
  const queued = await (await app.store()).listQueuedConfirmations(100_000);
  await app.close();
  const inflight = queued.filter((q) => q.leaseOwner !== null).length;
  expect(missing.length, `acked ${acked.size}, mailed ${smtp.messages.length}`).toBeGreaterThan(0);

  const second = await serve();
  while (![...acked].every((a) => recipients().has(a))) await smtp.waitFor(smtp.messages.length + 1, 60_000);
  second.child.kill('SIGTERM');
  expect((await second.exited).code, second.stderr()).toBe(0);

  const ids = new Map<string, Set<string>>();
  for (const m of smtp.messages) ids.set(m.to[0]!, (ids.get(m.to[0]!) ?? new Set()).add(m.messageId!));
  for (const a of acked) expect(ids.get(a)?.size, a).toBe(1);
  const copies = smtp.messages.length - ids.size;
  expect(copies, `in flight at the kill: ${inflight}`).toBeLessThanOrEqual(inflight);
  console.log(`confirm crash: ${acked.size} acknowledged, ${missing.length} without mail at the kill, ${inflight} in flight, ${copies} copies`);

  // Nothing is left queued, and a mail sent after the restart is a real confirmation for its address.
  const after = project.app();
  expect(await (await after.store()).listQueuedConfirmations(10)).toEqual([]);
  await after.close();
  const late = smtp.messages.find((m) => m.to[0] === missing[0])!;
  const parsed = await simpleParser(late.raw);
  expect(parsed.to && !Array.isArray(parsed.to) && parsed.to.value[0]?.address).toBe(missing[0]);
  expect(parsed.text).toMatch(/https:\/\/news\.example\.org\/confirm\/\d+\.[0-9a-z]+\.[\w-]{43}/);
}, 180_000);
