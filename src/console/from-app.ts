/**
 * The Console's dependencies (deps.ts) from the server's wiring: the one module of the Console that
 * knows the App, the delivery runner and the renderer. The rest only sees ConsoleDeps.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { App } from '../app.ts';
import { loadIssues } from '../content/load-issues.ts';
import { loadDkimSigner } from '../delivery/dkim.ts';
import { createMessageFactory, parseMailFrom } from '../delivery/message.ts';
import { renderInWorker } from '../delivery/render-client.ts';
import { runnerFor } from '../delivery/runner.ts';
import type { Background } from '../http/background.ts';
import { logEvent } from '../log.ts';
import type { Issue, Lang } from '../model.ts';
import { personalize, type RenderedEmail } from '../render/email.ts';
import { siteUrls } from '../site-urls.ts';
import type { Store } from '../store/store.ts';
import type { ConsoleDeps } from './deps.ts';

/** Deferred retries due within this long are waited for by the background loop (as /admin/send). */
const RETRY_WAIT_MS = 15 * 60_000;
const LANGS: readonly Lang[] = ['zh', 'en', 'both'];

export function consoleDepsFromApp(app: App, store: Store, secret: string, background: Background): ConsoleDeps {
  const { config } = app;
  const runner = runnerFor(app);
  // One rendering per Issue content: an edited file renders again, an unchanged one does not.
  const renderings = new Map<string, { key: string; all: Promise<Map<Lang, RenderedEmail>> }>();
  const rendered = (issue: Issue, lang: Lang) => {
    const key = createHash('sha256').update(JSON.stringify(issue)).digest('hex');
    let r = renderings.get(issue.id);
    if (!r || r.key !== key) {
      const all = renderInWorker(issue, { config, now: app.deps.now(), langs: LANGS }).then((list) => new Map(list.map((x) => [x.lang, x])));
      all.catch(() => renderings.delete(issue.id));
      renderings.set(issue.id, (r = { key, all }));
    }
    return r.all.then((m) => m.get(lang)!);
  };
  return {
    config: { siteUrl: config.siteUrl, mailFrom: config.mailFrom, adminToken: config.adminToken ?? '' },
    store,
    secret,
    now: app.deps.now,
    log: app.deps.log,
    loadIssues: () => loadIssues(config.issuesDir),
    async startSend(issue, clientAddress) {
      const started = await runner.start(issue, 'http', { retryWaitMs: RETRY_WAIT_MS }, { resume: true });
      void started.done.catch(() => {}); // failures are logged by the runner
      logEvent(app.deps.log, 'info', { issue: issue.id, clientAddress, created: started.created }, `console: ${started.created ? 'started' : 'resumed'} the send of ${issue.id} (from ${clientAddress})`);
      return { created: started.created, alreadyRunning: started.alreadyRunning, resumed: started.resumed };
    },
    delivering: (issueId) => runner.running(issueId),
    async edition(issue, lang) {
      const r = await rendered(issue, lang);
      const home = siteUrls(config).home;
      const sent = personalize(r, { unsubscribeUrl: `${home}unsubscribe/PREVIEW`, preferencesUrl: `${home}preferences/PREVIEW` });
      return { subject: r.subject, html: sent.html, text: sent.text };
    },
    async testSend(issue, lang, address) {
      const r = await rendered(issue, lang);
      const dkim = config.dkim ? await loadDkimSigner(config.dkim) : undefined;
      // A test is its own message: a subject that says so, a Message-ID of its own, no ledger row.
      const factory = createMessageFactory({ ...r, subject: `[TEST] ${r.subject}` }, { config, secret, dkim });
      const domain = parseMailFrom(config.mailFrom).address.split('@')[1]!;
      const msg = factory.build({ subscriberId: 0, email: address }, { now: app.deps.now(), messageId: `<test.${randomBytes(12).toString('hex')}.${issue.id}@${domain}>` });
      return app.transport().send(msg);
    },
    wakeConfirmations: () => background.wakeConfirmations(),
  };
}
