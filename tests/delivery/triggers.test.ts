/**
 * Every trigger starts a Send through the same unique insert: two `sudi send` processes and an
 * HTTP trigger at once make one Send, and each Subscriber gets at most one message. And the admin
 * endpoint itself: disabled without a token, 401 on a wrong one, 202 to start, 409 while running.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from '../../src/http/server.ts';
import { tokenMatches } from '../../src/http/admin-routes.ts';
import { deliveryProject, sendFinished, type DeliveryProject } from '../helpers/delivery-project.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { outputOf, spawnSudi } from '../helpers/sudi-process.ts';
import { freePort } from '../http/web-fixture.ts';

const ISSUE = '2024-04-15';

const TOKEN = 'admin-token-0123456789abcdef';

let smtp: SmtpCapture;
let project: DeliveryProject;

beforeEach(async () => {
  smtp = await startSmtpCapture({}, { headersOnly: true });
  project = await deliveryProject({ env: { SMTP_URL: '', ADMIN_TOKEN: TOKEN } });
  project.env.SMTP_URL = smtp.url;
});
afterEach(async () => {
  await project.cleanup();
  await smtp.close();
});

it('two `sudi send` processes and POST /admin/send at once: one Send, each Subscriber at most one message', async () => {
  await project.addSubscribers(300);
  const port = await freePort();
  const env = { ...project.env, PORT: String(port), SITE_URL: `http://127.0.0.1:${port}/` };
  const serve = spawnSudi(['serve'], { cwd: project.dir, env });
  try {
    await outputOf(serve, 'serving ');

    const a = spawnSudi(['send', ISSUE], { cwd: project.dir, env });
    const b = spawnSudi(['send', ISSUE], { cwd: project.dir, env });
    const http = await fetch(`http://127.0.0.1:${port}/admin/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issue: ISSUE }),
    });
    expect([202, 409]).toContain(http.status);
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect(ea.code, a.stderr()).toBe(0);
    expect(eb.code, b.stderr()).toBe(0);
    // Whichever finished last saw the send finished; the server's loop may still be recording
    // outcomes: wait for every message to arrive, then for the ledger to say finished.
    await smtp.waitFor(300, 120_000);
    const app = project.app();
    const store = await app.store();
    await sendFinished(store, ISSUE, 120_000);
    expect((await store.listSends()).map((s) => s.issueId)).toEqual([ISSUE]);
    expect(await store.deliveryCounts(ISSUE)).toMatchObject({ accepted: 300, queued: 0, sending: 0 });

    const perRecipient = new Map<string, number>();
    for (const m of smtp.messages) perRecipient.set(m.to[0]!, (perRecipient.get(m.to[0]!) ?? 0) + 1);
    expect(perRecipient.size).toBe(300);
    expect(Math.max(...perRecipient.values())).toBe(1);
    // Exactly one of the three created the Send; the others resumed it (or found it running).
    const body = (await http.json()) as { created?: boolean };
    const created = [a.stdout(), b.stdout()].filter((o) => o.includes('started the send')).length + (body.created === true ? 1 : 0);
    expect(created).toBe(1);
    await app.close();
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
}, 180_000);

describe('POST /admin/send', () => {
  async function server(env: Record<string, string> = {}) {
    const app = project.app({ env });
    const fastify = await createServer(app);
    return { app, fastify };
  }
  const post = (fastify: Awaited<ReturnType<typeof createServer>>, body: unknown, token?: string) =>
    fastify.inject({
      method: 'POST',
      url: '/admin/send',
      headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
      payload: JSON.stringify(body),
    });

  it('is disabled (404) without ADMIN_TOKEN; 401 without or with a wrong token', async () => {
    const off = await server({ ADMIN_TOKEN: '' });
    expect((await post(off.fastify, { issue: ISSUE }, TOKEN)).statusCode).toBe(404);
    await off.fastify.close();

    const on = await server();
    expect((await post(on.fastify, { issue: ISSUE })).statusCode).toBe(401);
    const wrong = await post(on.fastify, { issue: ISSUE }, `${TOKEN}x`);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('Bearer');
    expect((await post(on.fastify, { issue: ISSUE }, TOKEN.slice(0, -1))).statusCode).toBe(401);
    expect((await (await on.app.store()).listSends())).toEqual([]);
    await on.fastify.close();
  });

  it('400 on a bad body, 404 for an unknown issue, 409 for a draft', async () => {
    await project.writeIssue('2024-04-22', { status: 'draft' });
    const { fastify } = await server();
    expect((await post(fastify, { nope: 1 }, TOKEN)).statusCode).toBe(400);
    expect((await post(fastify, { issue: '../etc/passwd' }, TOKEN)).statusCode).toBe(400);
    expect((await post(fastify, { issue: '2023-01-02' }, TOKEN)).statusCode).toBe(404);
    const draft = await post(fastify, { issue: '2024-04-22' }, TOKEN);
    expect(draft.statusCode).toBe(409);
    expect(draft.json().error).toMatch(/draft/);
    await fastify.close();
  });

  it('202 starts the send in the background; 409 with its status while it runs; done later', async () => {
    await project.addSubscribers(30);
    // 30 messages at 10/s: paced by this process's own clock, so at least 2.7 s go by between the
    // third message and the last, whatever the load; close() below comes right after the third.
    const { app, fastify } = await server({ SEND_RATE: '10' });
    const first = await post(fastify, { issue: ISSUE }, TOKEN);
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ issue: ISSUE, running: true, created: true, send: { trigger: 'http', total: 30 } });
    const second = await post(fastify, { issue: 'latest' }, TOKEN);
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ issue: ISSUE, running: true, send: { total: 30 } });
    // The first messages arrive after the issue's render (seconds on a busy machine): wait for them.
    await smtp.waitFor(3, 120_000);
    const status = await (await app.runner()).status(ISSUE);
    expect(status.counts.accepted).toBeGreaterThan(0);
    // Shutting the server down stops the background send gracefully (messages in flight finish).
    await fastify.close();
    const after = await (await app.store()).deliveryCounts(ISSUE);
    expect(after.sending).toBe(0);
    expect(after.accepted).toBe(smtp.messages.length);
    expect(after.accepted).toBeLessThan(30);
  });

  it('compares tokens without leaking their length', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches('', TOKEN)).toBe(false);
    expect(tokenMatches(TOKEN + TOKEN, TOKEN)).toBe(false);
  });
});
