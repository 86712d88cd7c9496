/**
 * Characters that XML 1.0 forbids (C0 controls other than TAB/LF/CR, U+FFFE/U+FFFF and lone
 * surrogates). Issue text must not contain them: a single one makes every feed unreadable.
 */
export const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;

export function findXmlIllegal(text: string): { index: number; codePoint: number } | null {
  XML_ILLEGAL.lastIndex = 0;
  const m = XML_ILLEGAL.exec(text);
  XML_ILLEGAL.lastIndex = 0;
  return m ? { index: m.index, codePoint: m[0].codePointAt(0) ?? 0 } : null;
}

/**
 * A quick test that passes over almost all text: no control character and no surrogate at all.
 * Only text that has one (an emoji's pair, say) goes through XML_ILLEGAL, whose look-arounds cost
 * far more on the megabytes of HTML a build's Feeds carry.
 */
const MAYBE_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function stripXmlIllegal(text: string): string {
  return MAYBE_ILLEGAL.test(text) ? text.replace(XML_ILLEGAL, '') : text;
}
