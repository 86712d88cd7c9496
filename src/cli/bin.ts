/**
 * Process edge for the CLI: loads `.env`, wires real stdout/stderr and signals, then runs runCli.
 */
import { config as loadDotenv } from 'dotenv';
import { runCli } from './main.ts';

export async function main(): Promise<number> {
  loadDotenv({ quiet: true });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    shutdownSignal: controller.signal,
  });
}
