/**
 * A ready issue must not still hold the `sudi new` skeleton's placeholders ("TODO English title",
 * the arXiv link 0000.00000, the sample editor's note): a ready issue is published and mailed as
 * it is. Pure: the parsed front matter (and note) in, one problem per placeholder out, each with
 * the field path for the caller to turn into a line. A draft may hold them.
 */
import { SKELETON_PLACEHOLDERS as P } from './new-issue.ts';

export interface PlaceholderProblem {
  /** Field path in the front matter (`papers.0.title.en`), or null for the editor's note. */
  path: (string | number)[] | null;
  message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Text that still holds a `sudi new` placeholder ("TODO 中文标题"): there is no real text yet. */
export const isPlaceholderText = (value: string): boolean => /^\s*TODO\b/.test(value);

const EXPECTED = 'expected the real text before status: ready, or keep status: draft';

export function readyPlaceholders(frontMatter: Record<string, unknown>, note: string): PlaceholderProblem[] {
  if (frontMatter.status !== 'ready') return [];
  const problems: PlaceholderProblem[] = [];
  const papers = Array.isArray(frontMatter.papers) ? frontMatter.papers : [];
  papers.forEach((paper, i) => {
    if (!isRecord(paper)) return;
    for (const field of ['title', 'abstract', 'links'] as const) {
      const group = paper[field];
      if (!isRecord(group)) continue;
      for (const [key, value] of Object.entries(group)) {
        if (typeof value !== 'string') continue;
        const path = ['papers', i, field, key];
        if (isPlaceholderText(value)) problems.push({ path, message: `is the placeholder ${JSON.stringify(value)} from \`sudi new\` (${EXPECTED})` });
        else if (value.trim() === P.paperLink) problems.push({ path, message: `is the placeholder link ${P.paperLink} from \`sudi new\` (expected the paper's real link before status: ready)` });
      }
    }
  });
  if (note.trim() === P.note) problems.push({ path: null, message: `is the placeholder ${JSON.stringify(P.note)} from \`sudi new\` (expected your note, or delete the line)` });
  return problems;
}
