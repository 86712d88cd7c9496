/**
 * Reads issue files from disk (the I/O edge of content/). Parsing stays in parse-issue.ts.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SudiError } from '../errors.ts';
import type { Issue } from '../model.ts';
import type { Glossary } from './glossary.ts';
import { formatProblem, formatWarning, validateIssue, type ValidationResult } from './parse-issue.ts';
import { loadTagVocabulary, type TagVocabulary } from './tags.ts';

export interface LoadResult {
  issues: Issue[];
  /** Formatted problems (`FILE:LINE: field: message`) across all files. */
  problems: string[];
  /** Formatted warnings: what was repaired, not refused (invisible characters removed from text). */
  warnings: string[];
  files: string[];
  /** `<dir>/tags.yml`, or null when the folder has none (then any tag is allowed). */
  tags: TagVocabulary | null;
}

/**
 * Every `*.md` file in `dir`, validated; issues sorted oldest first by id. Never throws on bad content.
 * `glossary`: also warn where a paper's Chinese does not use it (`check`).
 */
export async function loadIssues(dir: string, options: { glossary?: Glossary } = {}): Promise<LoadResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.md')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SudiError('E_NOT_FOUND', `issues directory ${dir} does not exist (expected a folder of YYYY-MM-DD.md files; pass --issues DIR)`);
    }
    throw e;
  }
  const issues: Issue[] = [];
  const problems: string[] = [];
  let tags: TagVocabulary | null = null;
  try {
    tags = await loadTagVocabulary(dir);
  } catch (e) {
    // A broken vocabulary is reported like a broken issue (every problem, then exit 2); tags are then not checked.
    if (!(e instanceof SudiError) || e.problems.length === 0) throw e;
    problems.push(...e.problems);
  }
  const warnings: string[] = [];
  const files: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    files.push(file);
    const text = await readFile(file, 'utf8');
    const r = options.glossary ? validateIssue(file, text, { ...options, tags }) : validatedBefore(file, text, tags);
    warnings.push(...(r.warnings ?? []).map((p) => formatWarning(file, p)));
    if ('issue' in r) issues.push(r.issue);
    else problems.push(...r.problems.map((p) => formatProblem(file, p)));
  }
  issues.sort((a, b) => a.id.localeCompare(b.id));
  return { issues, problems, warnings, files, tags };
}

/**
 * Validation results by file, text and Tag vocabulary. `sudi serve` rebuilds the whole archive on
 * every scheduler tick and trigger, and parsing and validating hundreds of unchanged issue files
 * was a third of a warm build (BENCHMARKS.md: Build); validation is a pure function of these three,
 * so an unchanged file is validated once per process. Results are frozen: every build shares them.
 */
const validated = new Map<string, ValidationResult>();
const VALIDATED_MAX = 5000;

function validatedBefore(file: string, text: string, tags: TagVocabulary | null): ValidationResult {
  const key = createHash('sha256')
    .update(file)
    .update('\0')
    .update(text)
    .update('\0')
    .update(tags ? JSON.stringify([tags.file, [...tags.tags]]) : '')
    .digest('base64');
  let r = validated.get(key);
  if (!r) {
    r = deepFreeze(validateIssue(file, text, { tags }));
    if (validated.size >= VALIDATED_MAX) validated.clear();
    validated.set(key, r);
  }
  return r;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Like loadIssues, but any problem stops everything: nothing is published from a bad set. */
export async function loadValidIssues(dir: string): Promise<Issue[]> {
  return (await loadValidArchive(dir)).issues;
}

/** loadValidIssues plus the Tag vocabulary they were checked against (the build names tags by it). */
export async function loadValidArchive(dir: string): Promise<{ issues: Issue[]; tags: TagVocabulary | null }> {
  const r = await loadIssues(dir);
  if (r.problems.length > 0) {
    throw new SudiError('E_ISSUE_INVALID', `${r.problems.length} problem(s) in ${dir}; nothing was changed`, { problems: r.problems });
  }
  return { issues: r.issues, tags: r.tags };
}

/** One issue by id (`2024-04-15`) or `latest` (the newest ready issue). */
export async function findIssue(dir: string, ref: string): Promise<Issue> {
  const issues = await loadValidIssues(dir);
  const found = ref === 'latest' ? issues.filter((i) => i.status === 'ready').at(-1) : issues.find((i) => i.id === ref);
  if (!found) {
    const known = issues.map((i) => i.id).join(', ') || 'none';
    throw new SudiError('E_NOT_FOUND', `no issue "${ref}" in ${dir} (expected an issue id such as 2024-04-15, or latest; known: ${known})`);
  }
  return found;
}
