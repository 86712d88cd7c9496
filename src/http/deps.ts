/**
 * What the server needs (ServerDeps), declared here and provided by the composition root
 * (app.ts), and what every route plugin receives (RouteDeps): resolved once at server start, so no
 * request pays for opening the Store or reading the secret.
 */
import type { Config } from '../config.ts';
import type { DkimSigner } from '../delivery/dkim.ts';
import type { PersonalAddresses } from '../delivery/message.ts';
import type { RenderIssue } from '../delivery/render-client.ts';
import type { DeliveryRunner } from '../delivery/runner.ts';
import type { Transport } from '../delivery/transport.ts';
import type { LineLog } from '../log.ts';
import type { Store } from '../store/store.ts';
import type { Background } from './background.ts';
import type { Pages } from './pages.ts';

export interface ServerDeps {
  config: Config;
  now: () => Date;
  /** A service's log carries its pino logger, which Fastify then logs through. */
  log: LineLog;
  store(): Promise<Store>;
  secret(): Promise<string>;
  /** Where confirmation mail goes. */
  transport(): Transport;
  /** This process's delivery runner (POST /admin/send, the Console). */
  runner(): Promise<DeliveryRunner>;
  /** The Console's previews and test sends: the process's renderer, DKIM signer and personal addresses. */
  renderIssue: RenderIssue;
  dkim(): Promise<DkimSigner | undefined>;
  addresses(): Promise<PersonalAddresses>;
}

export interface RouteDeps {
  app: ServerDeps;
  store: Store;
  secret: string;
  pages: Pages;
  background: Background;
}
