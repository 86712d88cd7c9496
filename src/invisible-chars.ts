/**
 * Characters that change how text looks without being seen: bidirectional controls (U+202E turns
 * "RTL Study" into "ydutS LTR" on screen) and zero-width characters. Issue text arrives by copy and
 * paste from PDFs and web pages, where these are leftovers, never content.
 *
 * - In issue text (titles, abstracts, tags, the editor's note) they are removed with a warning:
 *   the visible text is what the editor meant, and nothing a reader could see is lost.
 * - In URLs they are refused, together with whitespace and every control character: a link that
 *   displays as one address and leads to another is what a phisher wants, and a newline splits the
 *   plain-text email. Only a person can say what the URL should have been.
 *
 * The zero-width joiner and non-joiner (U+200D, U+200C) stay in text: emoji sequences (👩‍🔬) and
 * Persian or Indic words need them, and they do not reorder anything.
 */

const BIDI_CONTROLS = '\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069';
const ZERO_WIDTH = '\\u200B\\u2060-\\u2064\\uFEFF\\u180E';
const INVISIBLE_IN_TEXT = new RegExp(`[${BIDI_CONTROLS}${ZERO_WIDTH}]`, 'gu');
const NOT_IN_URL = new RegExp(`[\\u0000-\\u001F\\u007F-\\u009F\\s${BIDI_CONTROLS}${ZERO_WIDTH}\\u200C\\u200D]`, 'u');

const NAMES: Record<number, string> = {
  0x09: 'tab',
  0x0a: 'line feed',
  0x0d: 'carriage return',
  0x20: 'space',
  0x061c: 'Arabic letter mark',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2060: 'word joiner',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0xfeff: 'zero-width no-break space',
};

/** `U+202E (right-to-left override)`: how messages name a character nobody can see. */
export function describeCodePoint(cp: number): string {
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = NAMES[cp] ?? (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ? 'control character' : undefined);
  return name ? `${hex} (${name})` : hex;
}

/** The text without bidi controls and zero-width characters, and the code points removed (in order). */
export function removeInvisible(text: string): { text: string; removed: number[] } {
  const removed: number[] = [];
  const clean = text.replace(INVISIBLE_IN_TEXT, (c) => {
    removed.push(c.codePointAt(0) ?? 0);
    return '';
  });
  return { text: clean, removed };
}

/** The first character a URL may not hold (control, whitespace, bidi, zero-width), or null. */
export function findNotInUrl(url: string): { index: number; codePoint: number } | null {
  const m = NOT_IN_URL.exec(url);
  return m ? { index: m.index, codePoint: m[0].codePointAt(0) ?? 0 } : null;
}
