/**
 * Build benchmark: 500 generated issues × 10 papers (seed-sized bilingual papers) from files on
 * disk to a written public/ folder, i.e. everything `buildAndWrite` does (parse and validate every
 * issue, render every page: issue pages, 5,000 Paper pages, Tag pages; the site's, both Editions'
 * and every Tag's feeds, feeds.opml; compress; write atomically).
 *
 * Each measurement runs in a fresh child process so peak memory (getrusage maxRSS) belongs to that
 * build alone. Baseline in the same run: the same build of 50 issues, to show the cost per issue
 * stays flat (linear scaling). The search index (Pagefind, one bundle per language) is left out of
 * those builds and timed on its own over the same issues; the `sudi build` command end to end
 * includes it, and the email size check (one MJML run for each of the FEED_LIMIT newest issues).
 *
 * Rerun: `npm run bench -- build`
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../src/cli/main.ts';
import { parseConfig } from '../src/config.ts';
import { parseIssue } from '../src/content/parse-issue.ts';
import { serializeIssue } from '../src/content/serialize-issue.ts';
import { addDays } from '../src/time.ts';
import { buildAndWrite } from '../src/publish.ts';
import { publishedIssues } from '../src/build.ts';
import { loadValidIssues } from '../src/content/load-issues.ts';
import { buildSearchIndex } from '../src/search/index-site.ts';
import { searchRecords } from '../src/search/records.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = 5;
const PAGEFIND_VERSION = (JSON.parse(await readFile(path.join(ROOT, 'node_modules', 'pagefind', 'package.json'), 'utf8')) as { version: string }).version;

interface ChildResult {
  /** Wall time of each run, ms (the first is cold: module and template compile). */
  runs: number[];
  maxRssMb: number;
  files: number;
  bytes: number;
}

/** Writes `n` weekly issues of 10 papers each, made from the seed issue's papers. */
export async function generateIssues(dir: string, n: number): Promise<void> {
  const seed = parseIssue('2024-04-15.md', await readFile(path.join(ROOT, 'issues', '2024-04-15.md'), 'utf8'));
  await mkdir(dir, { recursive: true });
  for (let k = 0; k < n; k++) {
    const start = addDays('2015-01-05', 7 * k);
    const papers = Array.from({ length: 10 }, (_, i) => {
      const p = seed.papers[(k + i) % seed.papers.length]!;
      return {
        // A valid new-style arXiv id (YYMM.NNNNN), unique per paper.
        id: `arxiv:${15 + (Math.floor(k / 12) % 10)}${String((k % 12) + 1).padStart(2, '0')}.${10000 + k * 10 + i}`,
        title: { en: `${p.title.en} (${k}.${i})`, zh: `${p.title.zh}（${k}.${i}）` },
        abstract: p.abstract,
        links: { paper: `https://arxiv.org/abs/2404.${String(10000 + k * 10 + i)}`, code: `https://github.com/example/repo-${k}-${i}` },
        tags: ['LLM', `week-${k % 7}`],
      };
    });
    const text = serializeIssue(
      { title: `每周AI论文速递 #${k + 1}`, week: { start, end: addDays(start, 4) }, publish_at: `${addDays(start, 5)}T09:00:00+08:00`, status: 'ready', papers },
      { note: `第 ${k + 1} 期。Issue ${k + 1}, with [a link](https://example.org/${k}).` },
    );
    await writeFile(path.join(dir, `${start}.md`), text);
  }
}

type Kind = 'service' | 'cli' | 'search';

/** Child mode: one kind of build, `RUNS` times, then report. */
async function child(kind: Kind, project: string): Promise<void> {
  const env = { SITE_URL: 'https://news.example.org/', TZ: 'Asia/Shanghai' };
  const config = parseConfig(env, project);
  const now = new Date('2030-01-01T00:00:00Z');
  const runs: number[] = [];
  let files = 0;
  let bytes = 0;
  for (let r = 0; r < (kind === 'cli' ? 1 : RUNS); r++) {
    const t = performance.now();
    if (kind === 'service') {
      const report = await buildAndWrite(config, now, { search: false });
      runs.push(performance.now() - t);
      files = report.files;
      // The replaced folder is deleted in the background; builds come minutes apart (scheduler ticks),
      // so the next one is timed after it is gone, not while 16,000 unlinks compete with its writes.
      await report.oldOutputRemoved;
      continue;
    } else if (kind === 'search') {
      // Loading and checking the issues is the build's part; timed here: records → both bundles in memory.
      const records = searchRecords(publishedIssues(await loadValidIssues(config.issuesDir), now), config);
      const t0 = performance.now();
      const out = await buildSearchIndex(records);
      runs.push(performance.now() - t0);
      files = out.length;
      bytes = out.reduce((n, f) => n + f.contents.length, 0);
      continue;
    } else {
      const sink = { write: () => true };
      const code = await runCli(['build'], { stdout: sink, stderr: sink, env, cwd: project, now: () => now, shutdownSignal: new AbortController().signal });
      if (code !== 0) throw new Error(`sudi build exited ${code}`);
    }
    runs.push(performance.now() - t);
  }
  if (kind !== 'search') bytes = Number((await promisify(execFile)('du', ['-sb', config.publicDir])).stdout.split('\t')[0]);
  const result: ChildResult = { runs, maxRssMb: process.resourceUsage().maxRSS / 1024, files, bytes };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function measure(kind: Kind, issues: number): Promise<ChildResult> {
  const project = await mkdtemp(path.join(os.tmpdir(), 'sudi-bench-build-'));
  try {
    await generateIssues(path.join(project, 'issues'), issues);
    const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), kind, project], {
      cwd: ROOT,
      maxBuffer: 1024 * 1024,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) as string) as ChildResult;
  } finally {
    await rm(project, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export async function run(): Promise<string[]> {
  const small = await measure('service', 50);
  const big = await measure('service', 500);
  const cli = await measure('cli', 500);
  const searchSmall = await measure('search', 50);
  const searchBig = await measure('search', 500);
  const warm = (r: ChildResult) => median(r.runs.slice(1));
  const perIssue = (r: ChildResult, n: number) => warm(r) / n;
  return [
    `Build of generated issues × 10 papers each (seed-sized bilingual papers), parse → render → atomic write; each row a fresh process, ${RUNS} builds, median of the ${RUNS - 1} warm ones.`,
    '',
    '| issues | files | output | cold build | warm build (median) | per issue | peak RSS |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...([
      [50, small],
      [500, big],
    ] as const).map(
      ([n, r]) =>
        `| ${n} | ${r.files} | ${(r.bytes / 1024 / 1024).toFixed(1)} MB | ${(r.runs[0]! / 1000).toFixed(2)} s | ${(warm(r) / 1000).toFixed(2)} s | ${perIssue(r, n).toFixed(2)} ms | ${r.maxRssMb.toFixed(0)} MB |`,
    ),
    '',
    `Per-issue cost at 500 vs the 50-issue baseline: ${(perIssue(big, 500) / perIssue(small, 50)).toFixed(2)}× (1.00 = linear).`,
    `\`sudi build\` end to end on the 500 issues (one process, cold, incl. the search index and the email size check of the 20 newest): ${(cli.runs[0]! / 1000).toFixed(2)} s, peak RSS ${cli.maxRssMb.toFixed(0)} MB.`,
    '',
    `Search index (Pagefind ${PAGEFIND_VERSION}, records → a zh and an en bundle in memory; not part of the builds above), ${RUNS} runs, median of the ${RUNS - 1} warm ones:`,
    '',
    '| issues | records | index files | index size | cold | warm (median) | per issue |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...([
      [50, searchSmall],
      [500, searchBig],
    ] as const).map(
      ([n, r]) =>
        `| ${n} | ${n * 10 * 2} | ${r.files} | ${(r.bytes / 1024 / 1024).toFixed(1)} MB | ${(r.runs[0]! / 1000).toFixed(2)} s | ${(warm(r) / 1000).toFixed(2)} s | ${perIssue(r, n).toFixed(2)} ms |`,
    ),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [kind, project] = process.argv.slice(2);
  if ((kind === 'service' || kind === 'cli' || kind === 'search') && project) await child(kind, project);
  else console.log((await run()).join('\n'));
}
