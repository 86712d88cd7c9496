/**
 * What every command receives: where to write, the environment, the clock. Injected so tests run
 * commands in-process (`runCli(argv, deps)`) against real files without touching the real process.
 */
import type { Command } from 'commander';
import type { App } from '../app.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';

export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface CliDeps {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  cwd: string;
  now: () => Date;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); long-running commands await it. */
  shutdownSignal: AbortSignal;
}

export interface CliContext extends CliDeps {
  /** The Config for this run; `--issues` overrides the issues directory. */
  config(opts: { issues?: string }): Promise<Config>;
  out(line: string): void;
  err: (line: string) => void;
  /**
   * Runs `fn` with a fresh App (the composition root) and always closes it afterwards. A `service`
   * (serve, worker, the inbound server) logs through the structured logger instead of plain lines.
   */
  withApp<T>(opts: { issues?: string; service?: boolean }, fn: (app: App) => Promise<T>): Promise<T>;
}

export function createContext(deps: CliDeps): CliContext {
  let logger: Promise<Logger> | undefined;
  // The services' logger on stderr (LOG_LEVEL, LOG_FORMAT), made on first use.
  const serviceLogger = () => (logger ??= import('../log.ts').then((m) => m.createLogger(deps.stderr, deps.env)));
  return {
    ...deps,
    // config.ts (and zod) load on first use: `sudi --help` never needs them.
    config: async (opts) => (await import('../config.ts')).parseConfig(deps.env, deps.cwd, { issuesDir: opts.issues }),
    out: (line) => void deps.stdout.write(`${line}\n`),
    err: (line) => void deps.stderr.write(`${line}\n`),
    async withApp(opts, fn) {
      // Loaded here, not at start-up: the App pulls in the Store and SMTP code that only some commands use.
      const [{ createApp }, { parseConfig }, { lineLog }] = await Promise.all([import('../app.ts'), import('../config.ts'), import('../log.ts')]);
      const config = parseConfig(deps.env, deps.cwd, { issuesDir: opts.issues });
      const app = createApp(config, {
        now: deps.now,
        log: opts.service ? lineLog(await serviceLogger()) : (line) => void deps.stderr.write(`${line}\n`),
      });
      try {
        return await fn(app);
      } finally {
        await app.close();
      }
    },
  };
}

/** Adds the options every command shares. */
export function withIssuesOption(cmd: Command): Command {
  return cmd.option('--issues <dir>', 'directory of issue files', 'issues');
}

/** The exit code a command asks for without failing (e.g. `check` found problems); runCli returns it. */
export class ExitCode extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}
