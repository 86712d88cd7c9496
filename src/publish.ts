/**
 * The publish service: issues on disk → the Archive and Feeds on disk. `sudi build`, `sudi serve`
 * and the scheduler all call `buildAndWrite`, so there is one way to publish.
 *
 * Order matters for "a failed build changes nothing": every issue is validated, every template
 * compiled and rendered in memory (the email too, when asked: its checks, such as the required
 * {{unsubscribeUrl}}, fail the build), before the first byte is written, and the write itself swaps
 * a complete folder in (write-output.ts). Any failure says that nothing was published.
 */
import path from 'node:path';
import type { Config } from './config.ts';
import { buildSite, publishedIssues } from './build.ts';
import { loadValidArchive } from './content/load-issues.ts';
import type { Issue, OutputFile } from './model.ts';
import { SudiError } from './errors.ts';
import { emailSizes, renderEmail, type EmailSizes } from './render/email.ts';
import { formatKb, SIZE_WARN_BYTES } from './render/email-size.ts';
import { loadSiteTemplates } from './render/site-templates.ts';
import { precompressOutput, previousOutput } from './precompress.ts';
import { announcePublished } from './published-signal.ts';
import { searchIndexFor } from './search/index-site.ts';
import { searchRecords } from './search/records.ts';
import { writeOutputAtomic } from './write-output.ts';
import { isFeed, sha256, type Manifest } from './static-manifest.ts';
import { notifyHub, type HubReport } from './websub/notify.ts';
import { addPending } from './websub/pending.ts';

export interface BuildReport {
  outDir: string;
  /** Newest first: what the Archive and Feeds now hold. */
  published: Issue[];
  /** `status: ready` but publish_at still ahead: they appear in a later build. */
  scheduled: Issue[];
  drafts: Issue[];
  files: number;
  /** With `emails`: the email size of each issue still worth checking, by issue id (see below). */
  emailSizes: Map<string, IssueEmailSize>;
  /**
   * With WEBSUB_HUB: the pings of the Feeds this build changed (and of any still pending), under
   * way; it never rejects. The scheduler awaits it after sending, so a slow hub holds up no Send.
   */
  websub: Promise<HubReport | null>;
  /** The replaced output folder is deleted in the background; this resolves when it is gone. */
  oldOutputRemoved: Promise<void>;
}

/** `search: false` leaves the search index out (the build benchmark times indexing on its own). */
export async function buildAndWrite(config: Config, now: Date, opts: { outDir?: string; emails?: boolean; search?: boolean } = {}): Promise<BuildReport> {
  const outDir = opts.outDir ?? config.publicDir;
  try {
    const { issues, tags } = await loadValidArchive(config.issuesDir);
    const templates = await loadSiteTemplates(config.templatesDir);
    const published = publishedIssues(issues, now);
    // The search index is built in memory like the pages: a failed index publishes nothing.
    const files = [...buildSite(issues, { config, now, templates, tags }), ...(opts.search === false ? [] : await searchIndexFor(searchRecords(published, config), outDir))];
    const ids = new Set(published.map((i) => i.id));
    const scheduled = issues.filter((i) => i.status === 'ready' && !ids.has(i.id));
    // Email sizes matter for issues that will still be sent or re-read: the ones the feeds hold and
    // the scheduled ones. Measuring a 500-issue archive would cost an MJML run per issue.
    const sizes = new Map<string, IssueEmailSize>();
    if (opts.emails) for (const i of [...published.slice(0, config.feedLimit), ...scheduled]) sizes.set(i.id, await measureEmail(i, config, now));
    // Compressed variants and the manifest are written in the same swap as the files they describe.
    const newestEntry = published[0]?.publish_at ?? null;
    const previous = await previousOutput(outDir);
    // Only the public site's feeds are the ones SITE_URL names (`sudi build --out DIR` is not).
    const hub = config.websubHub && path.resolve(outDir) === path.resolve(config.publicDir) ? config.websubHub : null;
    // Recorded before the swap: a crash after it still pings (at least once; a spare ping is harmless).
    if (hub) {
      await addPending(config.dataDir, hub, changedFeeds(files, previous.manifest, config.siteUrl)).catch((e: unknown) => {
        throw new SudiError('E_CONFIG', `cannot record the WebSub pings in DATA_DIR ${config.dataDir}: ${(e as Error).message} (expected a folder Sudi can write)`, { cause: e });
      });
    }
    const { removed } = await writeOutputAtomic(outDir, await precompressOutput(files, { now, newestEntry, previous }), { removeOld: 'later' });
    await announcePublished(outDir);
    const websub = (hub ? notifyHub(config) : Promise.resolve(null)).catch((e: unknown) => ({ hub: config.websubHub ?? '', pinged: [], failed: [{ feed: '(all)', error: (e as Error).message }] }));
    return { outDir, published, scheduled, drafts: issues.filter((i) => i.status === 'draft'), files: files.length, emailSizes: sizes, websub, oldOutputRemoved: removed };
  } catch (e) {
    if (!(e instanceof SudiError)) throw e;
    throw new SudiError(e.code, `${e.message}\nnothing was published: ${outDir} is unchanged`, { problems: e.problems, cause: e });
  }
}

/** The URLs of the Feeds whose bytes differ from the previous build's (all of them on a first build). */
export function changedFeeds(files: readonly OutputFile[], previous: Manifest | null, siteUrl: string): string[] {
  return files.filter((f) => isFeed(f.path) && previous?.files[f.path]?.sha256 !== sha256(f.contents)).map((f) => new URL(f.path, siteUrl).href);
}

export interface IssueEmailSize extends EmailSizes {
  issueId: string;
  /** Over SIZE_WARN_BYTES as sent: Gmail may clip it, hiding the unsubscribe link. */
  overBudget: boolean;
}

/**
 * The email HTML size of an issue (the bilingual variant, the largest), raw and as it will be sent.
 * One MJML run per issue (tens of ms), so `sudi build` measures the issues still worth checking
 * rather than the whole archive; see the build command.
 */
export async function measureEmail(issue: Issue, config: Config, now: Date): Promise<IssueEmailSize> {
  const rendered = await renderEmail(issue, { config, now, lang: 'both' });
  const sizes = emailSizes(rendered.html);
  return { issueId: issue.id, ...sizes, overBudget: sizes.sent > SIZE_WARN_BYTES };
}

/** `email HTML 18.6 KB raw, 25.4 KB sent (base64)` */
export function describeEmailSize(s: EmailSizes): string {
  return `email HTML ${formatKb(s.raw)} raw, ${formatKb(s.sent)} sent (${s.encoding})`;
}

/** The stderr warning for an email over budget. */
export function emailSizeWarning(s: IssueEmailSize): string {
  return `warning: issue ${s.issueId}: email HTML is ${formatKb(s.sent)} as sent, over the ${formatKb(SIZE_WARN_BYTES)} budget (Gmail clips near 102 KB and hides the unsubscribe link; shorten the issue or the templates)`;
}
