/**
 * `sudi fetch`: fill or extend an issue file from paper sources. Everything the editor typed is
 * checked before any request; every request happens before the file is touched; the file is written
 * once, atomically, and only when every asked-for id was found.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { loadGlossary } from '../content/glossary.ts';
import { loadTagVocabulary } from '../content/tags.ts';
import { mondayOfIsoWeek } from '../content/week.ts';
import { weekStartProblem } from '../content/new-issue.ts';
import { writeIssueFile } from '../content/write-issue-file.ts';
import { SudiError } from '../errors.ts';
import type { LineLog } from '../log.ts';
import { mondayOf } from '../time.ts';
import { parseArxivRef } from './arxiv.ts';
import { enrichPapers, papersFromArxiv, papersFromHf, type Assembled } from './assemble.ts';
import { describeCut, type HfPeriod } from './hugging-face.ts';
import type { Sources } from './paper-sources.ts';
import { mergePapers, needsPerson, openIssueFile, renderIssueFile, translateDraft, type TranslateIssue } from './week-issue.ts';

export interface FetchOptions {
  arxiv?: string;
  week?: string;
  into?: string;
  hfDate?: string;
  hfWeek?: string;
  top?: string;
  minUpvotes?: string;
  enrich?: string;
}

export type FetchRequest =
  | { kind: 'arxiv'; refs: { id: string; version: number | null }[]; file: string; monday: string }
  | { kind: 'hf'; period: HfPeriod; cut: { top?: number; minUpvotes?: number }; file: string; monday: string }
  | { kind: 'enrich'; file: string };

/** The digest's own rule: a paper of the week with at least 45 upvotes. */
export const DIGEST_MIN_UPVOTES = 45;

const usage = (message: string) => new SudiError('E_USAGE', message);

/** Options → what to do, or exit 2 naming the option and what a valid value looks like. Pure. */
export function parseFetchOptions(o: FetchOptions, ctx: { cwd: string; issuesDir: string; today: string }): FetchRequest {
  const sources = (['arxiv', 'hfDate', 'hfWeek', 'enrich'] as const).filter((k) => o[k] !== undefined);
  if (sources.length !== 1) throw usage('expected exactly one of --arxiv ID,ID, --hf-date YYYY-MM-DD, --hf-week YYYY-Www or --enrich FILE');
  if (o.week !== undefined && o.into !== undefined) throw usage('--week and --into both name the issue; give one of them');
  if (o.top !== undefined && o.minUpvotes !== undefined) throw usage('--top and --min-upvotes are two ways to cut the list; give one of them');
  if ((o.top !== undefined || o.minUpvotes !== undefined) && o.hfDate === undefined && o.hfWeek === undefined) {
    throw usage('--top and --min-upvotes cut Hugging Face\'s list (expected with --hf-date or --hf-week)');
  }
  if (o.enrich !== undefined) {
    if (o.week !== undefined || o.into !== undefined) throw usage('--enrich names its file itself (expected no --week or --into with it)');
    return { kind: 'enrich', file: path.resolve(ctx.cwd, o.enrich) };
  }

  const target = (monday: string): { file: string; monday: string } => {
    if (o.into !== undefined) {
      const name = path.basename(o.into);
      const m = /^(\d{4}-\d{2}-\d{2})\.md$/.exec(name);
      const problem = m ? weekStartProblem(m[1]!) : `"${name}" is not an issue file name`;
      if (problem) throw usage(`--into ${o.into}: ${problem} (expected issues/YYYY-MM-DD.md named by its Monday, e.g. issues/2024-04-15.md)`);
      return { file: path.resolve(ctx.cwd, o.into), monday: m![1]! };
    }
    if (o.week !== undefined) {
      const problem = weekStartProblem(o.week);
      if (problem) throw usage(`--week ${problem}`);
      monday = o.week;
    }
    return { file: path.join(ctx.issuesDir, `${monday}.md`), monday };
  };

  if (o.arxiv !== undefined) {
    const parts = o.arxiv.split(',').map((s) => s.trim()).filter(Boolean);
    if (parts.length === 0) throw usage('--arxiv is empty (expected ids separated by commas, e.g. --arxiv 2404.08634,2404.08197)');
    const refs = parts.map((p) => {
      const r = parseArxivRef(p);
      if (!r) throw usage(`--arxiv: "${p}" is not an arXiv id (expected e.g. 2404.08634, 2404.08634v2 or arxiv:2404.08634)`);
      return r;
    });
    return { kind: 'arxiv', refs, ...target(mondayOf(ctx.today)) };
  }

  const cut = { top: count(o.top, '--top', 1), minUpvotes: count(o.minUpvotes, '--min-upvotes', 0) };
  if (cut.top === undefined && cut.minUpvotes === undefined) cut.minUpvotes = DIGEST_MIN_UPVOTES;
  if (o.hfDate !== undefined) {
    const d = o.hfDate;
    const at = Date.parse(`${d}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== d) {
      throw usage(`--hf-date ${d} is not a calendar date (expected YYYY-MM-DD, e.g. 2024-04-15)`);
    }
    return { kind: 'hf', period: { date: d }, cut, ...target(mondayOf(d)) };
  }
  const monday = mondayOfIsoWeek(o.hfWeek!);
  if (!monday) throw usage(`--hf-week ${o.hfWeek} is not an ISO week (expected YYYY-Www, e.g. 2024-W16)`);
  return { kind: 'hf', period: { week: o.hfWeek! }, cut, ...target(monday) };
}

function count(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw usage(`${name} ${v} is not a whole number of at least ${min} (expected e.g. ${name} ${min === 0 ? 45 : 10})`);
  return Number(v);
}

export interface FetchResult {
  file: string;
  created: boolean;
  /** One line per paper: what was fetched, filled, found or not. */
  lines: string[];
  /** What a person still has to do before `status: ready`. */
  needs: string[];
}

export async function runFetch(
  req: FetchRequest,
  deps: { config: Config; sources: Sources; log: LineLog; translate?: TranslateIssue },
): Promise<FetchResult> {
  const { config, sources } = deps;
  // Read (and validate) the target first: a broken or ready file costs no request.
  const f = await openIssueFile(req.file, req.kind === 'enrich' ? null : req.monday, config.tz, { allowReady: req.kind === 'enrich' });
  // The vocabulary `check` will hold the file to: the one beside it. A broken one costs no request either.
  const vocabulary = await loadTagVocabulary(path.dirname(req.file));
  let got: Assembled;
  if (req.kind === 'arxiv') got = await papersFromArxiv(sources, req.refs, vocabulary);
  else if (req.kind === 'hf') {
    const hf = await papersFromHf(sources, req.period, req.cut, config.tz, vocabulary);
    if (hf.papers.length === 0 && !f.exists) {
      const period = 'date' in req.period ? req.period.date : req.period.week;
      throw new SudiError('E_NOT_FOUND', `Hugging Face lists ${hf.all} paper(s) for ${period} and none is left after the cut (${describeCut(req.cut)}); nothing was written (try a lower --min-upvotes or --top N)`);
    }
    got = hf;
  } else got = await enrichPapers(sources, f.data.papers, vocabulary);
  if (got.problems.length > 0) {
    throw new SudiError('E_USAGE', `${got.problems.length} of the ids could not be fetched; nothing was written to ${req.file}`, { problems: got.problems });
  }

  let data = f.data;
  const lines = [...got.lines];
  if (req.kind === 'enrich') data = { ...data, papers: got.papers };
  else {
    const merged = mergePapers(data, got.papers);
    data = merged.data;
    lines.push(...merged.lines);
  }
  if (data.status === 'draft' && deps.translate) {
    // The Glossary beside the file, as for `sudi translate` and `check` (not necessarily ISSUES_DIR's).
    const glossary = await loadGlossary(path.dirname(req.file));
    data = await translateDraft(data, deps.translate, { config, log: deps.log, glossary });
  }
  const text = renderIssueFile(f, data);
  // Requests and translation take a while: an edit the editor saved meanwhile is not written over.
  if (f.exists && (await readFile(req.file, 'utf8').catch(() => null)) !== f.text) {
    throw new SudiError('E_CONFLICT', `${req.file} changed while fetching; nothing was written (run sudi fetch again)`);
  }
  await writeIssueFile(req.file, text, { create: !f.exists });
  return { file: req.file, created: !f.exists, lines, needs: needsPerson(data) };
}
