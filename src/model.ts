/**
 * The domain model. Each zod schema is both the validator and the type, so an Issue that exists
 * in memory has passed every rule below. Words follow CONTEXT.md.
 */
import { z } from 'zod';
import { describeCodePoint, findNotInUrl } from './invisible-chars.ts';
import { findXmlIllegal } from './xml-chars.ts';

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Text that can go into any feed: no characters XML 1.0 forbids. */
const text = (what: string) =>
  z.string({ error: `expected ${what} as text` }).superRefine((value, ctx) => {
    const bad = findXmlIllegal(value);
    if (bad) {
      ctx.addIssue({
        code: 'custom',
        message: `contains a control character XML forbids (U+${bad.codePoint.toString(16).toUpperCase().padStart(4, '0')} at offset ${bad.index}) (expected plain text without control characters)`,
      });
    }
  });

const nonEmptyText = (what: string) =>
  text(what).refine((v) => v.trim().length > 0, { message: `is empty (expected ${what})` });

const isoDate = z
  .string({ error: 'expected a date like 2024-04-15' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'is not a date (expected YYYY-MM-DD, e.g. 2024-04-15)' })
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v), {
    message: 'is not a real calendar date (expected YYYY-MM-DD, e.g. 2024-04-15)',
  });

const offsetDateTime = z
  .string({ error: 'expected a date-time like 2024-04-20T09:00:00+08:00' })
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, {
    message: 'is not a date-time with a time zone (expected e.g. 2024-04-20T09:00:00+08:00)',
  })
  .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'is not a real date-time (expected e.g. 2024-04-20T09:00:00+08:00)' });

export const httpUrl = z.string({ error: 'expected an absolute http(s) URL' }).superRefine((v, ctx) => {
  // Checked before parsing: the URL parser silently drops tabs and newlines and trims controls,
  // so `new URL` alone would accept a link that prints split in the plain-text email.
  const bad = findNotInUrl(v);
  if (bad) {
    ctx.addIssue({
      code: 'custom',
      message: `contains ${describeCodePoint(bad.codePoint)} at offset ${bad.index} (expected a URL without spaces, control or invisible characters, e.g. https://arxiv.org/abs/2404.08634; encode a space as %20)`,
    });
    return;
  }
  if (!isAbsoluteHttpUrl(v)) ctx.addIssue({ code: 'custom', message: 'is not an absolute http(s) URL (expected e.g. https://arxiv.org/abs/2404.08634)' });
});

function isAbsoluteHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}

/** `arxiv:2404.08634` (new-style ids, optional version) or any other `scheme:value` key. */
export const PAPER_ID = /^(arxiv:\d{4}\.\d{4,5}(v\d+)?|(?!arxiv:)[a-z][a-z0-9+.-]*:[^\s]+)$/;

/** arXiv's own rules: YYMM is a real month; the number has 4 digits until 1412 and 5 from 1501 on. */
function isWellFormedArxivId(id: string): boolean {
  const m = /^arxiv:(\d{2})(\d{2})\.(\d+)/.exec(id);
  if (!m) return true; // another scheme, checked by PAPER_ID alone
  const month = Number(m[2]);
  const digits = (m[3] ?? '').length;
  return month >= 1 && month <= 12 && digits === (`${m[1]}${m[2]}` >= '1501' ? 5 : 4);
}

/** The fields a machine may write (Machine Text), as `machine:` entries name them. */
export const MACHINE_FIELDS = ['title.zh', 'abstract.zh'] as const;
export type MachineField = (typeof MACHINE_FIELDS)[number];

export const PaperSchema = z
  .object({
    id: z
      .string()
      .regex(PAPER_ID, { message: 'is not a well-formed id (expected arxiv:NNNN.NNNNN, e.g. arxiv:2404.08634)' })
      .refine(isWellFormedArxivId, { message: 'is not a real arXiv id (expected arxiv:YYMM.NNNNN with a month 01-12; 5 digits after the dot since 1501, 4 before)' })
      .optional(),
    title: z
      // zh may be missing in a draft (fetched, not yet translated); readiness.ts requires it before ready.
      .object({ en: nonEmptyText('the English title'), zh: nonEmptyText('the Chinese title').optional() }, { error: 'expected { en: …, zh: … }' })
      .strict(),
    abstract: z
      .object({ zh: nonEmptyText('the Chinese abstract').optional(), en: nonEmptyText('the English abstract').optional() }, {
        error: 'expected { zh: …, en: … } with at least one of them',
      })
      .strict()
      // `when`: still report a missing abstract when the object also has an unknown field.
      .refine((a) => a.zh !== undefined || a.en !== undefined, {
        message: 'has neither zh nor en (expected at least one abstract)',
        when: (payload) => isRecord(payload.value),
      }),
    /** Named links: `paper`, `code`, `pdf`, `project`, … Each an absolute http(s) URL. */
    links: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, { message: 'is not a link name (expected e.g. code, paper, pdf)' }), httpUrl).default({}),
    tags: z.array(nonEmptyText('a tag')).default([]),
    /** Machine Text not yet reviewed: the fields `sudi translate` wrote; the editor deletes an entry once read. */
    machine: z
      .array(z.enum(MACHINE_FIELDS, { error: `expected one of ${MACHINE_FIELDS.join(', ')}` }), { error: `expected a list such as [${MACHINE_FIELDS.join(', ')}]` })
      .refine((fields) => new Set(fields).size === fields.length, { message: 'names a field twice (expected each field once)' })
      .optional(),
    // What `sudi fetch` fills from arXiv and Hugging Face (all optional: hand-written files stay valid).
    /** Names in arXiv order. */
    authors: z.array(nonEmptyText('an author name'), { error: 'expected a list of author names' }).optional(),
    /** arXiv categories, primary first (cs.CV, cs.LG). */
    categories: z
      .array(z.string().regex(/^[a-z][a-z-]*(\.[A-Za-z][A-Za-z-]*)?$/, { message: 'is not an arXiv category (expected e.g. cs.CV or stat.ML)' }), {
        error: 'expected a list of arXiv categories',
      })
      .optional(),
    /** Date of the first arXiv version. */
    published: isoDate.optional(),
    /** Date of the latest arXiv version. */
    updated: isoDate.optional(),
    doi: nonEmptyText('a DOI such as 10.1145/3386569.3392433').optional(),
    journal_ref: nonEmptyText('a journal reference').optional(),
    comment: nonEmptyText("the authors' comment").optional(),
    /** Hugging Face upvotes (and GitHub stars), with the day they were read. */
    popularity: z
      .object(
        {
          upvotes: z.number({ error: 'expected a whole number of upvotes' }).int().min(0, { message: 'is negative (expected a whole number of upvotes, 0 or more)' }),
          github_stars: z.number({ error: 'expected a whole number of stars' }).int().min(0, { message: 'is negative (expected a whole number of stars, 0 or more)' }).optional(),
          read_at: isoDate,
        },
        { error: 'expected { upvotes: N, github_stars: N, read_at: YYYY-MM-DD }' },
      )
      .strict()
      .optional(),
  })
  .strict();

export const IssueStatusSchema = z.enum(['draft', 'ready'], { error: 'expected draft or ready' });

export const IssueFrontMatterSchema = z
  .object({
    title: nonEmptyText('the issue title'),
    /** The English issue title (the `en` edition's subject and heading); absent: derived from the week. */
    title_en: nonEmptyText('the English issue title').optional(),
    week: z.object({ start: isoDate, end: isoDate }, { error: 'expected { start: YYYY-MM-DD, end: YYYY-MM-DD }' }).strict(),
    publish_at: offsetDateTime,
    status: IssueStatusSchema,
    papers: z.array(PaperSchema, { error: 'expected a list of papers' }).min(1, { message: 'is empty (expected at least one paper)' }),
  })
  .strict()
  // Cross-field rules. `when` runs them even when another field failed (zod skips refinements after
  // an unknown field or a wrong type by default), so `check` reports every problem at once; the
  // value may therefore be partly invalid here and is read defensively.
  .superRefine(
    (fm, ctx) => {
      const week: unknown = fm.week;
      if (isRecord(week) && typeof week.start === 'string' && typeof week.end === 'string' && week.end < week.start) {
        ctx.addIssue({ code: 'custom', path: ['week', 'end'], message: `is before week.start ${week.start} (expected a date on or after it)` });
      }
      const papers: unknown = fm.papers;
      if (!Array.isArray(papers)) return;
      const seen = new Map<string, number>();
      papers.forEach((p: unknown, i) => {
        if (!isRecord(p) || typeof p.id !== 'string') return;
        const first = seen.get(p.id);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['papers', i, 'id'], message: `duplicates papers.${first}.id (expected ids unique within the issue)` });
        } else seen.set(p.id, i);
      });
    },
    { when: (payload) => isRecord(payload.value) },
  );

export type Paper = z.infer<typeof PaperSchema>;
export type IssueStatus = z.infer<typeof IssueStatusSchema>;
export type IssueFrontMatter = z.infer<typeof IssueFrontMatterSchema>;

/** A validated weekly issue. `id` is the file name without `.md` (the week's first day). */
export interface Issue extends IssueFrontMatter {
  id: string;
  /** The editor's note: the Markdown body after the front matter, trimmed ('' when absent). */
  note: string;
  /** Where it was read from, for messages. */
  source: string;
}

/** The languages a Subscriber wants an Issue in. */
export const LangSchema = z.enum(['zh', 'en', 'both']);
export type Lang = z.infer<typeof LangSchema>;

/** One file of the built output, path relative to the output directory. */
export interface OutputFile {
  path: string;
  contents: string | Uint8Array;
  /** The file's mtime: its content's Last-Modified, so servers that date files by mtime (nginx) agree. */
  mtime?: Date;
  /**
   * The same bytes already on disk in the previous build (absolute path): written as a hard link
   * to it rather than copied, so a rebuild of thousands of unchanged pages costs one link each.
   * `contents` is used when the link cannot be made.
   */
  linkFrom?: string;
}
