/**
 * The composition root: the only place where dependencies are built and wired. Each part is built
 * once, on first use, and closed once. The parts it wires declare the narrow interface they need
 * (delivery/send-issue.ts SendDeps, delivery/issue-messages.ts IssueMessagesDeps,
 * delivery/dry-run.ts DryRunDeps, schedule/run-due.ts RunDueDeps, http/deps.ts ServerDeps) and
 * never import this module; the App satisfies them all, and the commands (src/cli/) hand it over.
 * The delivery engine, the render cache and the DKIM signer are loaded on first use: `sudi status`
 * or `sudi subscribers` never load the issue parser, MIME or rendering code.
 */
import type { Config } from './config.ts';
import type { LineLog } from './log.ts';
import type { DkimSigner } from './delivery/dkim.ts';
import type { IssueMessages } from './delivery/issue-messages.ts';
import type { PersonalAddresses } from './delivery/message.ts';
import { RelayOutage } from './delivery/relay-outage.ts';
import { renderCache, type RenderIssue } from './delivery/render-client.ts';
import type { DeliveryRunner } from './delivery/runner.ts';
import { smtpPoolTransport } from './delivery/smtp-pool.ts';
import { outboxTransport, type Transport } from './delivery/transport.ts';
import { resolveSecret } from './secret.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

export interface AppDeps {
  now: () => Date;
  /** Operator-facing messages (warnings, progress); the CLI points it at stderr, services at their logger. */
  log: LineLog;
}

export interface App extends AppDeps {
  readonly config: Config;
  store(): Promise<Store>;
  /** SMTP_URL's relay (a pool of connections), else the outbox folder. */
  transport(): Transport;
  /** The relay's outage state (held, probed, backed off), shared by every delivery loop of this process. */
  relay(): RelayOutage;
  secret(): Promise<string>;
  /** The DKIM signer when DKIM is configured (its key read and checked once), else undefined. */
  dkim(): Promise<DkimSigner | undefined>;
  /** Each recipient's signed links and return addresses, under the secret. */
  addresses(): Promise<PersonalAddresses>;
  /** Renders an Issue's emails in a child process; what was rendered is kept for this App (one per process). */
  readonly renderIssue: RenderIssue;
  /** A new cache of Issue messages: each Issue read once, its renderings from renderIssue (a delivery run makes one unless handed one). */
  issueMessages(): Promise<IssueMessages>;
  /** This process's one delivery runner (one loop per Issue), shared by the scheduler and the server. */
  runner(): Promise<DeliveryRunner>;
  close(): Promise<void>;
}

export function createApp(config: Config, deps: AppDeps): App {
  let store: Promise<Store> | undefined;
  let transport: Transport | undefined;
  let secret: Promise<string> | undefined;
  let dkim: Promise<DkimSigner | undefined> | undefined;
  let addresses: Promise<PersonalAddresses> | undefined;
  let runner: Promise<DeliveryRunner> | undefined;
  let relay: RelayOutage | undefined;
  const app: App = {
    config,
    now: deps.now,
    log: deps.log,
    store: () => (store ??= openStore(config.databaseUrl)),
    transport: () =>
      (transport ??= config.smtpUrl ? smtpPoolTransport({ url: config.smtpUrl, connections: config.sendConcurrency }) : outboxTransport(config.outboxDir)),
    relay: () => (relay ??= new RelayOutage(config.relayRetry)),
    secret: () => (secret ??= resolveSecret(config.secret, config.dataDir, deps.log)),
    dkim() {
      if (!dkim) {
        const settings = config.dkim;
        dkim = settings ? import('./delivery/dkim.ts').then((m) => m.loadDkimSigner(settings)) : Promise.resolve(undefined);
        // A key that could not be read is read again on the next use, not remembered as broken.
        dkim.catch(() => (dkim = undefined));
      }
      return dkim;
    },
    addresses: () => (addresses ??= Promise.all([app.secret(), import('./personal-links.ts')]).then(([s, m]) => m.personalAddresses(config, s))),
    renderIssue: renderCache(),
    issueMessages: async () => (await import('./delivery/issue-messages.ts')).issueMessages(app),
    runner: () => (runner ??= import('./delivery/runner.ts').then((m) => m.createRunner(app))),
    async close() {
      await transport?.close();
      if (store) await (await store).close();
    },
  };
  return app;
}
