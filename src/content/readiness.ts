/**
 * The Chinese text and its review, before and after `status: ready`. Pure: the parsed front matter
 * in (read defensively: it may be partly invalid), field paths and messages out.
 *
 * - A ready issue needs every Chinese title, and no Machine Text left unreviewed: it is published
 *   and mailed as it is, and a machine's words go out only after a person has read them.
 * - A draft may lack both; `check` lists, per paper, what is still missing or waiting for review,
 *   so the editor sees exactly what is left before ready.
 *
 * A Chinese abstract is not required (an English abstract alone is a valid paper, as before), but a
 * draft with an English abstract and no Chinese one lists it: that is what `sudi translate` fills.
 */
import { MACHINE_FIELDS } from '../model.ts';
import { paperName } from './paper-name.ts';
import { isPlaceholderText } from './placeholders.ts';

export interface ReadinessItem {
  /** Field path in the front matter, e.g. `['papers', 0, 'title', 'zh']`. */
  path: (string | number)[];
  message: string;
}

export interface Readiness {
  /** A ready issue's refusals: published or sent, these would go out wrong. */
  problems: ReadinessItem[];
  /** A draft's list of what a person still has to write or review. */
  todo: ReadinessItem[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** No text yet: absent, or still the `sudi new` placeholder. */
export const lacksText = (v: unknown): boolean => v === undefined || (typeof v === 'string' && (v.trim() === '' || isPlaceholderText(v)));

const REVIEW_HOW = 'read it against the English, correct it if needed, then delete the entry from `machine:` (or the whole `machine:` line) to mark it reviewed';

export function readiness(frontMatter: Record<string, unknown>): Readiness {
  const ready = frontMatter.status === 'ready';
  const problems: ReadinessItem[] = [];
  const todo: ReadinessItem[] = [];
  const papers = Array.isArray(frontMatter.papers) ? (frontMatter.papers as unknown[]) : [];
  // Shown under the file's name and line: the message itself names no path (the Console shows it too).
  const translate = '`sudi translate` on this file';
  papers.forEach((paper, i) => {
    if (!isRecord(paper)) return;
    const title = isRecord(paper.title) ? paper.title : undefined;
    const abstract = isRecord(paper.abstract) ? paper.abstract : undefined;
    const name = paperName(paper, i);
    // A placeholder in a ready issue is placeholders.ts's to report; only an absent title is ours.
    if (title && ready && title.zh === undefined) {
      problems.push({ path: ['papers', i, 'title', 'zh'], message: `is missing: ${name} has no Chinese title (expected it before status: ready; write it, or keep status: draft and run ${translate})` });
    } else if (title && !ready && lacksText(title.zh)) {
      todo.push({ path: ['papers', i, 'title', 'zh'], message: `${name} has no Chinese title yet (needed before status: ready; write it, or run ${translate})` });
    }
    if (abstract && !ready && lacksText(abstract.zh) && typeof abstract.en === 'string' && !isPlaceholderText(abstract.en)) {
      todo.push({ path: ['papers', i, 'abstract', 'zh'], message: `${name} has an English abstract and no Chinese one yet (optional; write it, or run ${translate})` });
    }
    const marks: unknown[] = Array.isArray(paper.machine) ? paper.machine : [];
    const machine = MACHINE_FIELDS.filter((f) => marks.includes(f));
    if (machine.length === 0) return;
    const fields = machine.join(' and ');
    const path = ['papers', i, 'machine'];
    if (ready) {
      problems.push({ path, message: `${fields} of ${name} is machine text nobody has reviewed (expected a person to read it before status: ready: ${REVIEW_HOW}; or keep status: draft)` });
    } else {
      todo.push({ path, message: `${fields} of ${name} is machine text to review (${REVIEW_HOW})` });
    }
  });
  return { problems, todo };
}
