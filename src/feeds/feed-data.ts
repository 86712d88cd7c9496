/**
 * Published issues → the one FeedData all three Feeds are written from, so RSS, Atom and JSON Feed
 * always carry the same entries, ids and dates.
 *
 * Determinism: nothing here reads the clock. An entry's dates are its issue's publish_at; the
 * feed's `updated` is the newest entry's, so the same input gives byte-identical feeds.
 */
import type { Config } from '../config.ts';
import type { Issue } from '../model.ts';
import { siteUrls } from '../site-urls.ts';

export interface FeedEntry {
  /** Permanent: `tag:<host>,<year>:issue/<id>`; derived only from the site host and the issue id. */
  id: string;
  url: string;
  title: string;
  /** RFC 3339, UTC, whole seconds. */
  published: string;
  updated: string;
  /** The full issue as HTML. */
  contentHtml: string;
  /** One line of plain text: how many papers and the first titles. */
  summary: string;
  tags: string[];
}

export interface FeedData {
  title: string;
  description: string;
  language: string;
  author: { name: string; url: string };
  homeUrl: string;
  selfUrls: { rss: string; atom: string; json: string };
  /** The feed's own id (Atom): the site's home URL, as permanent as the site. */
  id: string;
  updated: string;
  entries: FeedEntry[];
  /** WEBSUB_HUB: advertised as `rel="hub"` (JSON Feed `hubs`) when set. */
  hub?: string | null;
}

/** What differs between the site's Feed, an Edition feed and a Tag feed; entries are always Issues. */
export interface FeedSpec {
  title: string;
  description: string;
  language: string;
  homeUrl: string;
  selfUrls: { rss: string; atom: string; json: string };
  id: string;
  entryTitle(issue: Issue): string;
  summary(issue: Issue): string;
  contentHtml(issue: Issue): string;
  tags(issue: Issue): string[];
}

/** Used as `updated` for a feed with no entries yet: a fixed instant, never the clock. */
export const EMPTY_FEED_UPDATED = '1970-01-01T00:00:00Z';

/** RFC 3339 in UTC without fractional seconds: the form every feed reader accepts. */
export function rfc3339(instant: string): string {
  return new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 822 date for RSS (`Sat, 20 Apr 2024 01:00:00 GMT`). */
export function rfc822(instant: string): string {
  return new Date(instant).toUTCString();
}

/** The entry id of an issue. The year is the issue id's (its week start), so it never moves. */
export function entryId(config: Pick<Config, 'siteUrl'>, issueId: string): string {
  const host = new URL(config.siteUrl).hostname;
  return `tag:${host},${issueId.slice(0, 4)}:issue/${issueId}`;
}

function summaryOf(issue: Issue): string {
  const titles = issue.papers.slice(0, 3).map((p) => p.title.en);
  const more = issue.papers.length > 3 ? '; …' : '';
  return `${issue.papers.length} papers: ${titles.join('; ')}${more}`;
}

/**
 * `issues`: the published issues, newest first; only the first `config.feedLimit` are used.
 * `contentHtml(issue)`: the rendered issue body (the site's issue-content partial).
 */
export function buildFeedData(issues: readonly Issue[], contentHtml: (issue: Issue) => string, config: Config): FeedData {
  const urls = siteUrls(config);
  return feedDataOf(issues, config, {
    title: config.siteTitle,
    description: config.siteDescription,
    language: config.siteLanguage,
    homeUrl: urls.home,
    selfUrls: { rss: urls.rss, atom: urls.atom, json: urls.json },
    id: urls.home,
    entryTitle: (issue) => issue.title,
    summary: summaryOf,
    contentHtml,
    tags: (issue) => [...new Set(issue.papers.flatMap((p) => p.tags))].sort(),
  });
}

/**
 * Any Feed of the Archive. An entry's id comes from its Issue alone (entryId), so one Issue keeps
 * one id in the site's Feed, both Edition feeds and every Tag feed.
 */
export function feedDataOf(issues: readonly Issue[], config: Config, spec: FeedSpec): FeedData {
  const urls = siteUrls(config);
  const entries = issues.slice(0, config.feedLimit).map((issue): FeedEntry => {
    const date = rfc3339(issue.publish_at);
    return {
      id: entryId(config, issue.id),
      url: urls.issue(issue.id),
      title: spec.entryTitle(issue),
      published: date,
      updated: date,
      contentHtml: spec.contentHtml(issue),
      summary: spec.summary(issue),
      tags: spec.tags(issue),
    };
  });
  const updated = entries.map((e) => e.updated).sort().at(-1) ?? EMPTY_FEED_UPDATED;
  return {
    title: spec.title,
    description: spec.description,
    language: spec.language,
    author: { name: config.siteAuthor, url: urls.home },
    homeUrl: spec.homeUrl,
    selfUrls: spec.selfUrls,
    id: spec.id,
    updated,
    entries,
    hub: config.websubHub ?? null,
  };
}
