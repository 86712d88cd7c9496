/**
 * The skeleton `sudi new` writes for the next week. Pure: dates in, file text out.
 */
import { addDays, zonedDateTime } from '../time.ts';

export function issueSkeleton(weekStart: string, tz: string): string {
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
      en: "TODO English title"
      zh: "TODO 中文标题"
    abstract:
      zh: "TODO 中文摘要"
    links:
      paper: "https://arxiv.org/abs/0000.00000"
    tags: []
---
Optional editor's note in Markdown.
`;
}
