/**
 * Fills the missing Chinese of an issue by machine: `title.zh` and `abstract.zh` of every Paper
 * that has the English, and marks each field it wrote as Machine Text (`machine: [title.zh, …]`)
 * until a person has reviewed it. What a person wrote is never replaced: only absent fields (or the
 * `sudi new` placeholders) are filled.
 *
 * One request per field, at most TRANSLATE_CONCURRENCY in flight. A field whose request fails
 * stays as it was and is reported with its paper and the reason; the others are kept. The caller
 * writes the result (once, whole): this module only computes it.
 *
 * `sudi translate`, `sudi fetch` and the draft job all call translateIssue.
 */
import pLimit from 'p-limit';
import type { Config } from '../config.ts';
import { lacksText } from '../content/readiness.ts';
import { paperName } from '../content/paper-name.ts';
import { isPlaceholderText } from '../content/placeholders.ts';
import { SudiError } from '../errors.ts';
import { MACHINE_FIELDS, type IssueFrontMatter, type MachineField, type Paper } from '../model.ts';
import { createChatClient, TranslationFailure, type FetchFn } from './chat-client.ts';
import { loadGlossary, type Glossary } from '../content/glossary.ts';
import { normaliseTranslation } from './normalise.ts';
import { translationMessages } from './prompt.ts';

export interface TranslateOptions {
  config: Config;
  /** Progress for the operator (one line when it starts). */
  log: (line: string) => void;
  /** Instead of the global fetch (tests, proxies). */
  fetch?: FetchFn;
  /** Instead of `issues/glossary.yml` (or the default glossary) in config.issuesDir. */
  glossary?: Glossary;
}

export interface FieldRef {
  /** Index in `papers`. */
  paper: number;
  field: MachineField;
  /** How messages name the paper (paper-name.ts). */
  name: string;
}

export interface TranslationReport {
  translated: FieldRef[];
  failed: (FieldRef & { reason: string })[];
  /** Where the Glossary came from. */
  glossary: string;
}

interface Job extends FieldRef {
  english: string;
}

/** The fields translateIssue would fill: missing Chinese where the English is there. */
export function missingChinese(front: Pick<IssueFrontMatter, 'papers'>): Job[] {
  const jobs: Job[] = [];
  const real = (v: string | undefined): v is string => v !== undefined && v.trim() !== '' && !isPlaceholderText(v);
  front.papers.forEach((p, i) => {
    const name = paperName(p, i);
    if (lacksText(p.title.zh) && real(p.title.en)) jobs.push({ paper: i, field: 'title.zh', name, english: p.title.en });
    if (lacksText(p.abstract.zh) && real(p.abstract.en)) jobs.push({ paper: i, field: 'abstract.zh', name, english: p.abstract.en });
  });
  return jobs;
}

/** The input with its papers translated; any other fields of `front` (an Issue's id, note …) are kept. */
export type Translated<F extends IssueFrontMatter> = Omit<F, 'papers'> & { papers: Paper[] };

export async function translateIssue<F extends IssueFrontMatter>(front: F, opts: TranslateOptions): Promise<{ front: Translated<F>; report: TranslationReport }> {
  const settings = opts.config.translate;
  if (!settings) {
    throw new SudiError('E_CONFIG', 'machine translation is not configured (expected TRANSLATE_URL, TRANSLATE_MODEL and TRANSLATE_API_KEY; see README: Machine translation)');
  }
  const glossary = opts.glossary ?? (await loadGlossary(opts.config.issuesDir));
  const jobs = missingChinese(front);
  const report: TranslationReport = { translated: [], failed: [], glossary: glossary.source };
  if (jobs.length === 0) return { front, report };

  opts.log(`translating ${jobs.length} field(s) with ${settings.model} at ${settings.url}, ${settings.concurrency} at a time (glossary: ${glossary.source})`);
  const client = createChatClient(settings, { fetch: opts.fetch });
  const limit = pLimit(settings.concurrency);
  const results = await Promise.all(
    jobs.map((job) =>
      limit(async () => {
        const kind = job.field === 'title.zh' ? 'title' : 'abstract';
        try {
          const answer = await client.complete(translationMessages(kind, job.english, glossary));
          const text = normaliseTranslation(answer, kind, job.english);
          if (text === '') throw new TranslationFailure('the answer is empty once invisible characters and wrapping are removed');
          return { job, ok: true as const, text };
        } catch (e) {
          if (!(e instanceof TranslationFailure)) throw e;
          return { job, ok: false as const, reason: e.message };
        }
      }),
    ),
  );

  const filled = new Map<number, Map<MachineField, string>>();
  for (const r of results) {
    const { paper, field, name } = r.job;
    if (!r.ok) {
      report.failed.push({ paper, field, name, reason: r.reason });
      continue;
    }
    report.translated.push({ paper, field, name });
    filled.set(paper, (filled.get(paper) ?? new Map<MachineField, string>()).set(field, r.text));
  }
  const papers = front.papers.map((p, i) => {
    const fields = filled.get(i);
    return fields ? withMachineText(p, fields) : p;
  });
  return { front: { ...front, papers }, report };
}

function withMachineText(p: Paper, fields: Map<MachineField, string>): Paper {
  const marked = new Set<MachineField>([...(p.machine ?? []), ...fields.keys()]);
  return {
    ...p,
    title: { ...p.title, ...(fields.has('title.zh') ? { zh: fields.get('title.zh') } : {}) },
    abstract: { ...p.abstract, ...(fields.has('abstract.zh') ? { zh: fields.get('abstract.zh') } : {}) },
    machine: MACHINE_FIELDS.filter((f) => marked.has(f)),
  };
}

/** The report as lines for a person: what is machine text now, what failed and why. */
export function describeTranslation(report: TranslationReport, file: string): { out: string[]; err: string[] } {
  const out = report.translated.map((t) => `machine text: papers.${t.paper}.${t.field} of ${t.name}`);
  if (report.translated.length > 0) {
    out.push(`review each one, then delete its entry from the paper's machine: list (${file}); \`sudi check\` lists what is left`);
  }
  const err = report.failed.map((f) => `failed: papers.${f.paper}.${f.field} of ${f.name}: ${f.reason}; left as it was`);
  if (report.failed.length > 0) err.push(`${report.failed.length} field(s) not translated; run \`sudi translate ${file}\` again to retry them, or write them yourself`);
  return { out, err };
}
