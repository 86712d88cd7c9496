/**
 * `npm run bench [-- NAME…]`: runs every bench/*.ts module's `run()` in turn (or only the named
 * ones) and prints the Markdown lines each returns, ready to paste into BENCHMARKS.md.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface BenchModule {
  run(): Promise<string[]>;
}

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const names = (await readdir(dir))
  .filter((n) => n.endsWith('.ts') && n !== 'run.ts' && !n.endsWith('.d.ts'))
  .map((n) => n.slice(0, -3))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

if (names.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')} (expected one of the bench/*.ts names)`);
  process.exitCode = 2;
}
console.log(`Node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString().slice(0, 10)}\n`);
for (const name of names) {
  const mod = (await import(pathToFileURL(path.join(dir, `${name}.ts`)).href)) as Partial<BenchModule>;
  if (typeof mod.run !== 'function') continue; // a helper module, not a benchmark
  console.log(`## ${name}\n`);
  const started = performance.now();
  for (const line of await mod.run()) console.log(line);
  console.log(`\n(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}
