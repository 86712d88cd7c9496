/**
 * The skeleton `sudi new` writes for the next week. Pure: dates in, file text out. Its placeholder
 * texts are exported so that a ready issue still holding one is refused (placeholders.ts).
 */
import { addDays, mondayOf, zonedDateTime } from '../time.ts';

/** What the skeleton holds until the editor replaces it. */
export const SKELETON_PLACEHOLDERS = {
  titleEn: 'TODO English title',
  titleZh: 'TODO 中文标题',
  abstractZh: 'TODO 中文摘要',
  paperLink: 'https://arxiv.org/abs/0000.00000',
  note: "Optional editor's note in Markdown.",
} as const;

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Why `week` cannot start an issue (a real date, a Monday), or null. */
export function weekStartProblem(week: string): string | null {
  const d = new Date(`${week}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(week) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== week) {
    return `${week} is not a calendar date (expected YYYY-MM-DD, e.g. 2024-04-22)`;
  }
  if (d.getUTCDay() !== 1) return `${week} is a ${DAYS[d.getUTCDay()]}, not a Monday (expected the Monday the week starts on, e.g. ${mondayOf(week)})`;
  return null;
}

export function issueSkeleton(weekStart: string, tz: string): string {
  const P = SKELETON_PLACEHOLDERS;
  const end = addDays(weekStart, 4);
  const publishAt = zonedDateTime(addDays(end, 1), '09:00', tz);
  const yy = (d: string) => d.slice(2).replace(/-/g, '');
  return `---
# Weekly issue ${weekStart}. Run \`npx sudi check\` after editing; set status: ready when done.
title: 每周AI论文速递 (${yy(weekStart)}-${yy(end)})
week: { start: ${weekStart}, end: ${end} }
publish_at: ${publishAt}   # the scheduler sends it when due
status: draft                         # draft | ready
papers:
  - # id: arxiv:2404.08634            # optional; the arXiv id when known
    title:
      en: "${P.titleEn}"
      zh: "${P.titleZh}"
    abstract:
      zh: "${P.abstractZh}"
    links:
      paper: "${P.paperLink}"
    tags: []
---
${P.note}
`;
}
