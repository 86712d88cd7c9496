/**
 * Per-Subscriber values into a rendered email: the one personalization of Sudi. The HTML and text
 * are split at the placeholders once per RenderedEmail (kept in a WeakMap, so a copied rendering,
 * such as one that came from the render child process, is split on first use); per Subscriber only
 * the values are checked and escaped. The delivery engine (delivery/message.ts) puts those values
 * between the transfer-encoded pieces (delivery/spliced-body.ts); `personalize` joins them as
 * strings for the preview and the tests.
 *
 * Placeholders cannot be forged by issue content: the HTML tokens start with `{`, which content
 * never yields (html-text.ts encodes every brace), and the text tokens contain U+FFFF, a
 * non-character stripped from all text content (text.ts cleanText).
 */
import { SudiError } from '../errors.ts';
import type { Placeholders } from './email-view.ts';
import { escapeHtml } from './html-text.ts';
import { HTTP_URL } from './links.ts';

export interface PersonalValues {
  unsubscribeUrl: string;
  preferencesUrl: string;
  /** The Subscriber's address, named in the footer ("sent to …"). */
  recipient: string;
}

type Slot = keyof PersonalValues;
const SLOTS: readonly Slot[] = ['unsubscribeUrl', 'preferencesUrl', 'recipient'];

export const HTML_PLACEHOLDERS: Readonly<Placeholders> = {
  unsubscribeUrl: '{%sudi:unsubscribe-url%}',
  preferencesUrl: '{%sudi:preferences-url%}',
  recipient: '{%sudi:recipient%}',
};
export const TEXT_PLACEHOLDERS: Readonly<Placeholders> = {
  unsubscribeUrl: '\uFFFF{sudi:unsubscribe-url}\uFFFF',
  preferencesUrl: '\uFFFF{sudi:preferences-url}\uFFFF',
  recipient: '\uFFFF{sudi:recipient}\uFFFF',
};

/** One part cut at its placeholders: statics[0] value[0] statics[1] … statics[n], slots[i] names value[i]. */
export interface SplitPart {
  readonly statics: readonly string[];
  readonly slots: readonly Slot[];
}

export interface PersonalParts {
  readonly html: SplitPart;
  readonly text: SplitPart;
}

/** A Subscriber's values in slot order: HTML-escaped for the HTML part, verbatim for the text part. */
export interface SlotValues {
  html: string[];
  text: string[];
}

/**
 * What personalization reads of a rendering (email.ts's RenderedEmail is one): declared here, so
 * this module needs nothing from email.ts, which builds on it.
 */
export interface Personalizable {
  readonly html: string;
  readonly text: string;
}

const SPLITS = new WeakMap<Personalizable, PersonalParts>();

/** The rendering cut at its placeholders, computed once per RenderedEmail object. */
export function personalParts(rendered: Personalizable): PersonalParts {
  let parts = SPLITS.get(rendered);
  if (!parts) {
    parts = { html: splitOn(rendered.html, HTML_PLACEHOLDERS), text: splitOn(rendered.text, TEXT_PLACEHOLDERS) };
    SPLITS.set(rendered, parts);
  }
  return parts;
}

function splitOn(s: string, tokens: Readonly<Placeholders>): SplitPart {
  const statics: string[] = [];
  const slots: Slot[] = [];
  let at = 0;
  for (;;) {
    let next = -1;
    let slot: Slot | undefined;
    for (const name of SLOTS) {
      const i = s.indexOf(tokens[name], at);
      if (i !== -1 && (next === -1 || i < next)) {
        next = i;
        slot = name;
      }
    }
    if (slot === undefined) break;
    statics.push(s.slice(at, next));
    slots.push(slot);
    at = next + tokens[slot].length;
  }
  statics.push(s.slice(at));
  return { statics, slots };
}

const SAFE_URL = /^https?:\/\/[^\s\u0000-\u001f\u007f-\u009f\uFFFF]+$/i;
/** One address: no spaces, control characters or line breaks (it must stay on its line of text). */
const SAFE_ADDRESS = /^[^\s\p{Cc}\uFFFF@]+@[^\s\p{Cc}\uFFFF@]+$/u;

/**
 * One Subscriber's values for the places of `parts`. Both URLs must be absolute http(s) URLs
 * without spaces or control characters (a newline would let a value break out of its line in the
 * text part, or out of a header); the recipient must be one address without either.
 */
export function slotValues(parts: PersonalParts, values: PersonalValues): SlotValues {
  for (const name of ['unsubscribeUrl', 'preferencesUrl'] as const) {
    const v = values[name];
    if (typeof v !== 'string' || !SAFE_URL.test(v) || !HTTP_URL.test(v)) {
      throw new SudiError('E_CONFIG', `${name} ${JSON.stringify(v)} is not an absolute http(s) URL without spaces (expected e.g. https://news.example.org/unsubscribe/TOKEN; check SITE_URL)`);
    }
  }
  if (typeof values.recipient !== 'string' || !SAFE_ADDRESS.test(values.recipient)) {
    throw new SudiError('E_CONFIG', `recipient ${JSON.stringify(values.recipient)} is not one email address (expected e.g. reader@example.org)`);
  }
  const escaped: PersonalValues = { unsubscribeUrl: escapeHtml(values.unsubscribeUrl), preferencesUrl: escapeHtml(values.preferencesUrl), recipient: escapeHtml(values.recipient) };
  return { html: parts.html.slots.map((s) => escaped[s]), text: parts.text.slots.map((s) => values[s]) };
}

/** The personalized HTML and text as strings (what a Subscriber's mail decodes to). */
export function personalize(rendered: Personalizable, values: PersonalValues): { html: string; text: string } {
  const parts = personalParts(rendered);
  const v = slotValues(parts, values);
  return { html: join(parts.html, v.html), text: join(parts.text, v.text) };
}

function join(part: SplitPart, values: readonly string[]): string {
  let s = part.statics[0]!;
  for (let i = 0; i < values.length; i++) s += values[i]! + part.statics[i + 1]!;
  return s;
}
