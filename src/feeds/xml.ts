/**
 * The one XML escaper every feed goes through.
 *
 * Why not the npm `feed` package (5.x, through xml-js), checked in tests/feeds/feed-package.test.ts:
 * it splits only the first `]]>` out of a CDATA section (a title with two is malformed XML), leaves
 * `<` raw in attribute values (a tag `<x>` in Atom `term` is malformed), turns literal `&amp;` in
 * text into `&`, writes C0 control characters verbatim, has no `xml:lang` for Atom, always marks
 * Atom entry titles `type="html"`, and emits JSON Feed 1.0. Its public API has no option for any
 * of these; working around them means rewriting our text to suit xml-js's quirks and still
 * trusting its serializer. Writing the few elements we need with one small escaper is less code
 * and correct by construction. We never use CDATA: escaped text is always well-formed, and since
 * `>` is escaped too, `]]>` cannot appear in our output at all.
 */
import { stripXmlIllegal } from '../xml-chars.ts';

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
// In attributes also quotes, and TAB/LF/CR as references: a parser would otherwise normalise them to spaces.
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

/** Character data: drops characters XML 1.0 forbids, escapes `& < >`. */
export function xmlText(value: string): string {
  return stripXmlIllegal(value).replace(/[&<>]/g, (c) => TEXT_ESCAPES[c] as string);
}

/** An attribute value, for use inside double quotes. */
export function xmlAttr(value: string): string {
  return stripXmlIllegal(value).replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c] as string);
}

/** `<name a="…">text</name>` with the text and every attribute escaped. */
export function element(name: string, text: string, attrs: Record<string, string> = {}): string {
  return `<${name}${attributes(attrs)}>${xmlText(text)}</${name}>`;
}

/** `<name a="…"/>`. */
export function emptyElement(name: string, attrs: Record<string, string>): string {
  return `<${name}${attributes(attrs)}/>`;
}

function attributes(attrs: Record<string, string>): string {
  return Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${xmlAttr(v)}"`)
    .join('');
}
