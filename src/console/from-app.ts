/**
 * The Console's dependencies (deps.ts) from the server's wiring: the one module of the Console that
 * knows the process's parts (the delivery runner, the renderer, the signer). The rest only sees ConsoleDeps.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { loadIssues } from '../content/load-issues.ts';
import type { DkimSigner } from '../delivery/dkim.ts';
import { createMessageFactory, parseMailFrom, type PersonalAddresses } from '../delivery/message.ts';
import type { RenderIssue } from '../delivery/render-client.ts';
import type { DeliveryRunner } from '../delivery/runner.ts';
import type { Transport } from '../delivery/transport.ts';
import { logEvent, type LineLog } from '../log.ts';
import type { Issue, Lang } from '../model.ts';
import { personalize, type RenderedEmail } from '../render/email.ts';
import { siteUrls } from '../site-urls.ts';
import type { Store } from '../store/store.ts';
import type { ConsoleDeps } from './deps.ts';

/** Deferred retries due within this long are waited for by the background loop (as /admin/send). */
const RETRY_WAIT_MS = 15 * 60_000;
const LANGS: readonly Lang[] = ['zh', 'en', 'both'];

/** What the Console is built from: the process's parts, as the composition root (app.ts) makes them. */
export interface ConsoleWiring {
  config: Config;
  now: () => Date;
  log: LineLog;
  transport(): Transport;
  runner(): Promise<DeliveryRunner>;
  renderIssue: RenderIssue;
  dkim(): Promise<DkimSigner | undefined>;
  addresses(): Promise<PersonalAddresses>;
}

export async function consoleDepsFromApp(
  app: ConsoleWiring,
  store: Store,
  secret: string,
  background: { wakeConfirmations(): void },
  signInLimit: ConsoleDeps['config']['signInLimit'],
): Promise<ConsoleDeps> {
  const { config } = app;
  const runner = await app.runner();
  // One rendering per Issue content: an edited file renders again, an unchanged one does not.
  const renderings = new Map<string, { key: string; all: Promise<Map<Lang, RenderedEmail>> }>();
  const rendered = (issue: Issue, lang: Lang) => {
    const key = createHash('sha256').update(JSON.stringify(issue)).digest('hex');
    let r = renderings.get(issue.id);
    if (!r || r.key !== key) {
      const all = app.renderIssue(issue, { config, now: app.now(), langs: LANGS }).then((list) => new Map(list.map((x) => [x.lang, x])));
      all.catch(() => renderings.delete(issue.id));
      renderings.set(issue.id, (r = { key, all }));
    }
    return r.all.then((m) => m.get(lang)!);
  };
  return {
    config: { siteUrl: config.siteUrl, mailFrom: config.mailFrom, adminToken: config.adminToken ?? '', signInLimit },
    store,
    secret,
    now: app.now,
    log: app.log,
    loadIssues: () => loadIssues(config.issuesDir),
    async startSend(issue, clientAddress, opts) {
      const started = await runner.start(issue, 'http', { retryWaitMs: RETRY_WAIT_MS }, { resume: opts?.resume ?? true });
      void started.done.catch(() => {}); // failures are logged by the runner
      logEvent(app.log, 'info', { issue: issue.id, clientAddress, created: started.created }, `console: ${started.created ? 'started' : 'resumed'} the send of ${issue.id} (from ${clientAddress})`);
      return { created: started.created, alreadyRunning: started.alreadyRunning, resumed: started.resumed };
    },
    delivering: (issueId) => runner.running(issueId),
    async edition(issue, lang) {
      const r = await rendered(issue, lang);
      const home = siteUrls(config).home;
      const sent = personalize(r, { unsubscribeUrl: `${home}unsubscribe/PREVIEW`, preferencesUrl: `${home}preferences/PREVIEW`, recipient: 'reader@example.org' });
      return { subject: r.subject, html: sent.html, text: sent.text };
    },
    async testSend(issue, lang, address) {
      const r = await rendered(issue, lang);
      // A test is its own message: a subject that says so, a Message-ID of its own, no ledger row.
      const factory = createMessageFactory({ ...r, subject: `[TEST] ${r.subject}` }, { config, secret, addresses: await app.addresses(), dkim: await app.dkim() });
      const domain = parseMailFrom(config.mailFrom).address.split('@')[1]!;
      const msg = factory.build({ subscriberId: 0, email: address }, { now: app.now(), messageId: `<test.${randomBytes(12).toString('hex')}.${issue.id}@${domain}>` });
      return app.transport().send(msg);
    },
    wakeConfirmations: () => background.wakeConfirmations(),
  };
}
