/**
 * Removes bidi controls and zero-width characters from every text value of parsed front matter
 * (see invisible-chars.ts for why), reporting each value it changed. Link URLs are left as they
 * are: the schema refuses such characters there, because only a person can repair a URL.
 */
import { removeInvisible } from '../invisible-chars.ts';

export type Path = (string | number)[];
export type OnRemoved = (path: Path, removed: number[]) => void;

/** A copy of `value` with invisible characters removed from its strings (not from `papers.N.links`). */
export function stripInvisible(value: unknown, onRemoved: OnRemoved, path: Path = []): unknown {
  if (typeof value === 'string') {
    const r = removeInvisible(value);
    if (r.removed.length > 0) onRemoved(path, r.removed);
    return r.text;
  }
  if (isLinks(path)) return value;
  if (Array.isArray(value)) return value.map((v, i) => stripInvisible(v, onRemoved, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripInvisible(v, onRemoved, [...path, k])]));
  }
  return value;
}

function isLinks(path: Path): boolean {
  return path.length === 3 && path[0] === 'papers' && path[2] === 'links';
}

/** The editor's note without invisible characters; `onLine(n, removed)` per changed line (0-based). */
export function stripInvisibleLines(text: string, onLine: (index: number, removed: number[]) => void): string {
  return text
    .split('\n')
    .map((line, i) => {
      const r = removeInvisible(line);
      if (r.removed.length > 0) onLine(i, r.removed);
      return r.text;
    })
    .join('\n');
}
