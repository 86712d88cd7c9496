#!/usr/bin/env node
import module from 'node:module';

// The only place that calls process.exit. Node (24 or newer) runs the TypeScript sources itself by
// stripping their types, so a fresh clone works right after `npm install`, with no build step to
// forget. Long-running commands (serve, worker, preview) resolve only after a graceful shutdown.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(`sudi: Node ${process.versions.node} is too old; Sudi needs Node 24 or newer (see README, "Install")\n`);
  process.exit(1);
}
// Node keeps the stripped and compiled modules in its on-disk cache (NODE_COMPILE_CACHE, else the
// system's temp folder): later starts skip TypeScript stripping and most parsing, about half the
// start-up time of a short command such as `sudi check`. Where that folder cannot be made or
// written (a read-only disk), Node simply runs without it (tests/cli/startup.test.ts).
module.enableCompileCache?.();
const { main } = await import('../src/cli/bin.ts');
process.exit(await main());
