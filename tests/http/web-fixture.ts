/**
 * A real server for the HTTP tests: a temp project folder (issues copied from the fixtures, the
 * Archive built into public/), a real SQLite file, the outbox transport, Fastify on a free port,
 * and a clock the test can move.
 */
import { cp, readdir, readFile } from 'node:fs/promises';
import { createServer as netServer } from 'node:net';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createApp, type App } from '../../src/app.ts';
import { parseConfig, type Config } from '../../src/config.ts';
import { Background } from '../../src/http/background.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import { buildAndWrite } from '../../src/publish.ts';
import type { Store, Subscriber } from '../../src/store/store.ts';
import { tempDir } from '../helpers/run-cli.ts';

export const FIXTURE_ISSUES = path.resolve(import.meta.dirname, '..', 'fixtures', 'issues');
export const TEST_SECRET = 'web-test-secret-0123456789abcdefghijklmnop';

export interface WebFixture {
  dir: string;
  url: string;
  config: Config;
  app: App;
  store: Store;
  server: RunningServer;
  background: Background;
  clock: { now: Date };
  logs: string[];
  /** Every .eml in the outbox, parsed by mailparser, oldest first (after background mail is done). */
  mails(): Promise<ParsedMail[]>;
  /** POST helper with a urlencoded body. */
  postForm(p: string, fields: Record<string, string>, init?: RequestInit): Promise<Response>;
  subscriber(email: string): Promise<Subscriber | null>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startWebFixture(env: Record<string, string> = {}, opts: { now?: Date } = {}): Promise<WebFixture> {
  const t = await tempDir('sudi-web-');
  await cp(FIXTURE_ISSUES, path.join(t.dir, 'issues'), { recursive: true });
  // SITE_URL must be the server's own address: the archive's form posts to SITE_URL/subscribe.
  const port = await freePort();
  const config = parseConfig(
    {
      SITE_URL: `http://127.0.0.1:${port}/`,
      PORT: String(port),
      HOST: '127.0.0.1',
      SECRET: TEST_SECRET,
      TZ: 'Asia/Shanghai',
      ...env,
    },
    t.dir,
  );
  const clock = { now: opts.now ?? new Date('2024-05-01T00:00:00.000Z') };
  const logs: string[] = [];
  const app = createApp(config, { now: () => clock.now, log: (l) => void logs.push(l) });
  await buildAndWrite(config, clock.now);
  const background = new Background((e) => logs.push(`background: ${String(e)}`));
  const server = await startServer(app, { background });
  const store = await app.store();
  const url = server.url;
  return {
    dir: t.dir,
    url,
    config,
    app,
    store,
    server,
    background,
    clock,
    logs,
    async mails() {
      await background.idle();
      let names: string[];
      try {
        names = (await readdir(config.outboxDir)).filter((n) => n.endsWith('.eml')).sort();
      } catch {
        return [];
      }
      return Promise.all(names.map(async (n) => simpleParser(await readFile(path.join(config.outboxDir, n)))));
    },
    postForm: (p, fields, init = {}) => {
      const { headers, ...rest } = init;
      return fetch(new URL(p, url), {
        method: 'POST',
        redirect: 'manual',
        ...rest,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(headers as Record<string, string> | undefined) },
        body: new URLSearchParams(fields).toString(),
      });
    },
    subscriber: (email) => store.findSubscriberByEmail(email),
    async close() {
      await server.close();
      await app.close();
      await t.cleanup();
    },
  };
}

/** The confirm link in a confirmation mail (text part), as a path. */
export function linkIn(mail: ParsedMail, route: 'confirm' | 'unsubscribe' | 'preferences'): string {
  const m = new RegExp(`https?://[^\\s/]+(/${route}/[\\w.-]+)`).exec(mail.text ?? '');
  if (!m) throw new Error(`no /${route}/ link in mail:\n${mail.text}`);
  return m[1]!;
}
