/**
 * The composition root: the only place where dependencies are built and wired. Commands and the
 * server ask the App for what they need; each part is built once, on first use, and closed once.
 */
import type { Config } from './config.ts';
import type { LineLog } from './log.ts';
import { createTransport, type Transport } from './delivery/transport.ts';
import { resolveSecret } from './secret.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

export interface AppDeps {
  now: () => Date;
  /** Operator-facing messages (warnings, progress); the CLI points it at stderr, services at their logger. */
  log: LineLog;
}

export interface App {
  readonly config: Config;
  readonly deps: AppDeps;
  store(): Promise<Store>;
  transport(): Transport;
  secret(): Promise<string>;
  close(): Promise<void>;
}

export function createApp(config: Config, deps: AppDeps): App {
  let store: Promise<Store> | undefined;
  let transport: Transport | undefined;
  let secret: Promise<string> | undefined;
  return {
    config,
    deps,
    store: () => (store ??= openStore(config.databaseUrl)),
    transport: () => (transport ??= createTransport(config)),
    secret: () => (secret ??= resolveSecret(config.secret, config.dataDir, deps.log)),
    async close() {
      await transport?.close();
      if (store) await (await store).close();
    },
  };
}
