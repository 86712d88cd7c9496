/**
 * The publish service: issues on disk → the Archive and Feeds on disk. `sudi build`, `sudi serve`
 * and the scheduler all call `buildAndWrite`, so there is one way to publish.
 *
 * Order matters for "a failed build changes nothing": every issue is validated and every template
 * compiled and rendered in memory before the first byte is written, and the write itself swaps a
 * complete folder in (write-output.ts).
 */
import type { Config } from './config.ts';
import { buildSite, publishedIssues } from './build.ts';
import { loadValidIssues } from './content/load-issues.ts';
import type { Issue } from './model.ts';
import { loadSiteTemplates } from './render/site-templates.ts';
import { writeOutputAtomic } from './write-output.ts';

export interface BuildReport {
  outDir: string;
  /** Newest first: what the Archive and Feeds now hold. */
  published: Issue[];
  /** `status: ready` but publish_at still ahead: they appear in a later build. */
  scheduled: Issue[];
  drafts: Issue[];
  files: number;
}

export async function buildAndWrite(config: Config, now: Date, opts: { outDir?: string } = {}): Promise<BuildReport> {
  const outDir = opts.outDir ?? config.publicDir;
  const issues = await loadValidIssues(config.issuesDir);
  const templates = await loadSiteTemplates(config.templatesDir);
  const files = buildSite(issues, { config, now, templates });
  await writeOutputAtomic(outDir, files);
  const published = publishedIssues(issues, now);
  const ids = new Set(published.map((i) => i.id));
  return {
    outDir,
    published,
    scheduled: issues.filter((i) => i.status === 'ready' && !ids.has(i.id)),
    drafts: issues.filter((i) => i.status === 'draft'),
    files: files.length,
  };
}
