/**
 * The issue file `sudi fetch` and the draft schedule write: a new week's draft (titled like the
 * digest), or an existing draft gaining papers and fields (`--enrich` may also complete a ready
 * issue; its status is never changed). What a person still has to do is listed, and a Chinese
 * title no source gave is the `sudi new` placeholder, which `check` refuses once the issue is ready.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import type { Glossary } from '../content/glossary.ts';
import { SKELETON_PLACEHOLDERS } from '../content/new-issue.ts';
import { validateIssue, formatProblem } from '../content/parse-issue.ts';
import { serializeIssue, type IssueData } from '../content/serialize-issue.ts';
import { digestTitle } from '../content/week.ts';
import { SudiError } from '../errors.ts';
import type { LineLog } from '../log.ts';
import type { IssueFrontMatter } from '../model.ts';
import { addDays, zonedDateTime } from '../time.ts';
import { fillMissing, samePaper, type PaperData } from './paper-fields.ts';

/**
 * Machine translation of an issue's missing Chinese (the translate module's `translateIssue`):
 * fills empty `title.zh` and missing `abstract.zh`, marking what it wrote. Injected, so fetch and the
 * draft schedule work without it.
 */
export type TranslateIssue = (front: IssueFrontMatter, opts: { config: Config; log: LineLog; glossary?: Glossary }) => Promise<{ front: IssueFrontMatter; report?: unknown }>;

export interface IssueFile {
  file: string;
  data: IssueData;
  note: string;
  /** The comment on the file's first line, kept when the file is rewritten. */
  comment: string | undefined;
  exists: boolean;
  /** The file's text as read (null: no file yet), to notice an edit made while fetching. */
  text: string | null;
}

/** A new week's draft: the digest's title, Monday to Friday, published Saturday 09:00 in `tz`. */
export function newWeekIssue(monday: string, tz: string): IssueData {
  const end = addDays(monday, 4);
  return { title: digestTitle(monday), week: { start: monday, end }, publish_at: zonedDateTime(addDays(end, 1), '09:00', tz), status: 'draft', papers: [] };
}

/**
 * Reads `file` if it exists (it must be valid, and a draft unless `allowReady`), else a new week's
 * draft for `monday` (null: the file must exist).
 */
export async function openIssueFile(file: string, monday: string | null, tz: string, opts: { allowReady?: boolean } = {}): Promise<IssueFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (monday === null) throw new SudiError('E_NOT_FOUND', `${file} does not exist (expected an issue file such as issues/2024-04-15.md)`);
    return { file, data: newWeekIssue(monday, tz), note: '', comment: `Assembled by \`sudi fetch\`. Edit freely, then run \`sudi check\`.`, exists: false, text: null };
  }
  const r = validateIssue(file, text);
  if (!('issue' in r)) {
    throw new SudiError('E_ISSUE_INVALID', `${file} is not a valid issue file; fix it first (nothing was fetched into it)`, {
      problems: r.problems.map((p) => formatProblem(file, p)),
    });
  }
  const { id: _id, note, source: _source, ...data } = r.issue;
  if (data.status !== 'draft' && !opts.allowReady) {
    throw new SudiError('E_CONFLICT', `${file} has status: ready; sudi fetch only changes drafts (set status: draft to add to it)`);
  }
  const comment = /^\uFEFF?---[ \t]*\r?\n#[ \t]?([^\r\n]*)/.exec(text)?.[1];
  return { file, data, note, comment, exists: true, text };
}

/** `incoming` papers into `data`: a paper already there (same arXiv id or title) only gains what it lacks. */
export function mergePapers(data: IssueData, incoming: readonly PaperData[]): { data: IssueData; lines: string[] } {
  const papers = [...data.papers];
  const lines: string[] = [];
  for (const p of incoming) {
    const i = papers.findIndex((q) => samePaper(q, p));
    if (i < 0) {
      papers.push(p);
      lines.push(`added ${p.id ?? `"${p.title.en}"`}`);
      continue;
    }
    const r = fillMissing(papers[i]!, p);
    papers[i] = r.paper;
    lines.push(`papers.${i} ${p.id ?? `"${p.title.en}"`} was already there: ${r.filled.length ? `filled ${r.filled.join(', ')}` : 'nothing was missing'}`);
  }
  return { data: { ...data, papers }, lines };
}

/** Runs `translate` on the draft (empty Chinese titles count as missing), when there is one. */
export async function translateDraft(data: IssueData, translate: TranslateIssue | undefined, opts: { config: Config; log: LineLog; glossary?: Glossary }): Promise<IssueData> {
  if (!translate) return data;
  const front: IssueFrontMatter = { ...data, papers: data.papers.map(({ machine, ...p }) => ({ ...p, ...(machine ? { machine: [...machine] } : {}), links: p.links ?? {}, tags: p.tags ?? [] })) };
  const r = await translate(front, opts);
  return r.front;
}

/** What a person still has to do before the issue can be ready, one line per paper that needs something. */
export function needsPerson(data: IssueData): string[] {
  const lines: string[] = [];
  data.papers.forEach((p, i) => {
    const needs: string[] = [];
    if (!p.title.zh?.trim() || p.title.zh === SKELETON_PLACEHOLDERS.titleZh) needs.push('the Chinese title');
    if (p.abstract.zh === undefined) needs.push('the Chinese abstract');
    const machine = (p as { machine?: unknown }).machine;
    if (Array.isArray(machine) && machine.length > 0) needs.push(`a review of the machine-written ${machine.join(', ')}`);
    if (needs.length > 0) lines.push(`papers.${i} ${p.id ?? ''} "${p.title.en}": ${needs.join('; ')}`.replace(/ {2}/g, ' '));
  });
  return lines;
}

/**
 * The file text, validated as `check` would: a paper whose Chinese title no source gave gets the
 * `sudi new` placeholder (fine in a draft, refused once ready). An invalid result is never written.
 */
export function renderIssueFile(f: Pick<IssueFile, 'file' | 'note' | 'comment'>, data: IssueData): string {
  const draft: IssueData = {
    ...data,
    papers: data.papers.map((p) => (p.title.zh?.trim() ? p : { ...p, title: { ...p.title, zh: SKELETON_PLACEHOLDERS.titleZh } })),
  };
  const text = serializeIssue(draft, { comment: f.comment, note: f.note });
  const r = validateIssue(f.file, text);
  if (!('issue' in r)) {
    throw new SudiError('E_ISSUE_INVALID', `${f.file}: the fetched papers would make an invalid issue; nothing was written`, {
      problems: r.problems.map((p) => formatProblem(f.file, p)),
    });
  }
  return text;
}
