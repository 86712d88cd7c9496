#!/usr/bin/env node
// The only place that calls process.exit. TypeScript runs through tsx so a fresh clone works right
// after `npm install`, with no build step to forget. Long-running commands (serve, worker,
// preview) resolve only after a graceful shutdown.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/bin.ts');
process.exit(await main());
