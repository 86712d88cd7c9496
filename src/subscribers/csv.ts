/**
 * Subscriber lists as CSV. Parsing is pure (text in, rows and problems out) so every bad line is
 * reported at once, with its line number, before anything is imported.
 *
 * Import format: a header row naming an `email` column and optionally `lang` (zh, en or both;
 * empty = both). Other columns are ignored, so an `export` file imports as it is.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { LangSchema, type Lang } from '../model.ts';
import type { Subscriber } from '../store/store.ts';
import { checkEmail } from './normalize-email.ts';

export interface ImportRow {
  line: number;
  email: string;
  lang: Lang | undefined;
}

export interface ParsedCsv {
  rows: ImportRow[];
  /** `FILE:LINE: field: problem (expected …)`, one per bad line. */
  problems: string[];
}

export function parseSubscriberCsv(text: string, file: string): ParsedCsv {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    });
  } catch (e) {
    const err = e as { lines?: number; message?: string };
    return { rows: [], problems: [`${file}:${err.lines ?? 1}: ${err.message ?? String(e)} (expected CSV with a header row such as: email,lang)`] };
  }
  const rows: ImportRow[] = [];
  const problems: string[] = [];
  if (records.length === 0 && text.trim() === '') return { rows, problems: [`${file}:1: the file is empty (expected a header row such as: email,lang)`] };
  const header = records[0] ? Object.keys(records[0].record) : firstLineColumns(text);
  if (!header.includes('email')) {
    return { rows, problems: [`${file}:1: header: has no email column (expected a header row such as: email,lang; got ${JSON.stringify(header.join(','))})`] };
  }
  const seen = new Map<string, number>();
  for (const { record, info } of records) {
    const line = info.lines;
    const email = checkEmail(record.email ?? '');
    if (!email.ok) {
      problems.push(`${file}:${line}: email ${JSON.stringify(clip(record.email ?? ''))} ${email.reason}`);
      continue;
    }
    const rawLang = record.lang ?? '';
    const lang = rawLang === '' ? undefined : LangSchema.safeParse(rawLang.toLowerCase());
    if (lang && !lang.success) {
      problems.push(`${file}:${line}: lang ${JSON.stringify(clip(rawLang))} is not a language (expected zh, en or both, or empty for both)`);
      continue;
    }
    const first = seen.get(email.email);
    if (first !== undefined) {
      problems.push(`${file}:${line}: email ${email.email} repeats line ${first} (expected each address once)`);
      continue;
    }
    seen.set(email.email, line);
    rows.push({ line, email: email.email, lang: lang?.data });
  }
  return { rows, problems };
}

function firstLineColumns(text: string): string[] {
  return (text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}…` : s);

export const EXPORT_COLUMNS = ['email', 'lang', 'status', 'source', 'created_at', 'confirmed_at', 'unsubscribed_at', 'suppressed_at'] as const;

const iso = (d: Date | null) => (d ? d.toISOString() : '');

export function csvHeader(): string {
  return stringify([[...EXPORT_COLUMNS]]);
}

/** One page of Subscribers as CSV lines (no header): exports stream page by page. */
export function csvRows(subscribers: readonly Subscriber[]): string {
  return stringify(
    subscribers.map((s) => [s.email, s.lang, s.status, s.source, iso(s.createdAt), iso(s.confirmedAt), iso(s.unsubscribedAt), iso(s.suppressedAt)]),
  );
}
