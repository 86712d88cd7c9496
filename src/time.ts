/**
 * Calendar arithmetic in a named time zone, with no library: Intl knows the offsets.
 */

/** `2024-04-15` + n days, as YYYY-MM-DD (pure calendar arithmetic, no time zone involved). */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The UTC offset of `tz` at instant `at`, in minutes (e.g. +480 for Asia/Shanghai). */
export function offsetMinutes(tz: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60000);
}

function formatOffset(min: number): string {
  const sign = min >= 0 ? '+' : '-';
  const a = Math.abs(min);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Local wall time `date` `time` in `tz`, as an ISO date-time with that zone's offset. */
export function zonedDateTime(date: string, time: string, tz: string): string {
  const naiveUtc = new Date(`${date}T${time}:00Z`);
  // Two passes settle the offset across a DST change between the naive guess and the real instant.
  let off = offsetMinutes(tz, naiveUtc);
  off = offsetMinutes(tz, new Date(naiveUtc.getTime() - off * 60000));
  return `${date}T${time}:00${formatOffset(off)}`;
}

/** Today's date (YYYY-MM-DD) as seen in `tz`. */
export function localDate(now: Date, tz: string): string {
  return new Date(now.getTime() + offsetMinutes(tz, now) * 60000).toISOString().slice(0, 10);
}

/** The Monday on or before `date`. */
export function mondayOf(date: string): string {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((dow + 6) % 7));
}

/** Validates an IANA time zone name. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
