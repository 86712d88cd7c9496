/**
 * The digest's week: ISO weeks (Hugging Face's `?week=2024-W16`), the Monday an issue is named by,
 * and the digest's own title for it. Pure calendar arithmetic.
 */
import { addDays, mondayOf } from '../time.ts';

const DAY_MS = 86_400_000;

/** The ISO week `date` falls in, as `YYYY-Www` (the week-year is the year of its Thursday). */
export function isoWeekOf(date: string): string {
  const monday = mondayOf(date);
  const year = addDays(monday, 3).slice(0, 4);
  const firstMonday = mondayOf(`${year}-01-04`); // ISO week 1 holds January 4th
  const n = Math.round((Date.parse(`${monday}T00:00:00Z`) - Date.parse(`${firstMonday}T00:00:00Z`)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(n).padStart(2, '0')}`;
}

/** The Monday of ISO week `YYYY-Www`, or null when there is no such week (W00, W54, W53 of a 52-week year). */
export function mondayOfIsoWeek(week: string): string | null {
  const m = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!m) return null;
  const monday = addDays(mondayOf(`${m[1]}-01-04`), (Number(m[2]) - 1) * 7);
  return Number(m[2]) >= 1 && isoWeekOf(monday) === week ? monday : null;
}

/** The digest's title for the week starting `monday`: Monday to Friday, as the digest writes it. */
export function digestTitle(monday: string): string {
  const yymmdd = (d: string) => d.slice(2).replace(/-/g, '');
  return `每周AI论文速递（${yymmdd(monday)}-${yymmdd(addDays(monday, 4))}）`;
}
