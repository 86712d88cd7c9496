/**
 * Per-Subscriber values into a rendered email, in microseconds: the HTML and text are split at the
 * placeholders once per RenderedEmail (kept in a WeakMap, so a copied rendering is split on first
 * use), and each message is a few joins.
 *
 * Placeholders cannot be forged by issue content: the HTML tokens start with `{`, which content
 * never yields (html-text.ts encodes every brace), and the text tokens contain U+FFFF, a
 * non-character stripped from all text content (text.ts cleanText).
 */
import { SudiError } from '../errors.ts';
import type { RenderedEmail } from './email.ts';
import type { Placeholders } from './email-view.ts';
import { escapeHtml } from './html-text.ts';
import { HTTP_URL } from './links.ts';

export interface PersonalValues {
  unsubscribeUrl: string;
  preferencesUrl: string;
}

type Slot = keyof PersonalValues;
const SLOTS: readonly Slot[] = ['unsubscribeUrl', 'preferencesUrl'];

export const HTML_PLACEHOLDERS: Readonly<Placeholders> = {
  unsubscribeUrl: '{%sudi:unsubscribe-url%}',
  preferencesUrl: '{%sudi:preferences-url%}',
};
export const TEXT_PLACEHOLDERS: Readonly<Placeholders> = {
  unsubscribeUrl: '\uFFFF{sudi:unsubscribe-url}\uFFFF',
  preferencesUrl: '\uFFFF{sudi:preferences-url}\uFFFF',
};

interface Split {
  html: string[];
  htmlSlots: Slot[];
  text: string[];
  textSlots: Slot[];
  /** The same segments as UTF-8, made on the first personalizeBytes call. */
  bytes?: { html: Buffer[]; text: Buffer[] };
}

/** Split points are computed once per RenderedEmail (also for a copy: computed on first use). */
const SPLITS = new WeakMap<RenderedEmail, Split>();

/** Splits a fresh rendering right away, so the first message costs no more than the others. */
export function rememberSplit(rendered: RenderedEmail): void {
  SPLITS.set(rendered, splitRendered(rendered));
}

function splitOn(s: string, tokens: Readonly<Placeholders>): { parts: string[]; slots: Slot[] } {
  const parts: string[] = [];
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
    parts.push(s.slice(at, next));
    slots.push(slot);
    at = next + tokens[slot].length;
  }
  parts.push(s.slice(at));
  return { parts, slots };
}

function splitRendered(r: RenderedEmail): Split {
  const h = splitOn(r.html, HTML_PLACEHOLDERS);
  const t = splitOn(r.text, TEXT_PLACEHOLDERS);
  return { html: h.parts, htmlSlots: h.slots, text: t.parts, textSlots: t.slots };
}

const SAFE_URL = /^https?:\/\/[^\s\u0000-\u001f\u007f-\u009f\uFFFF]+$/i;

/**
 * Fills one Subscriber's URLs into a rendered email: escaped for HTML (attribute and text alike)
 * in `html`, verbatim in `text`. Both URLs must be absolute http(s) URLs without spaces or
 * control characters (a newline would let a value break out of its line in the text part).
 */
export function personalize(rendered: RenderedEmail, values: PersonalValues): { html: string; text: string } {
  checkValues(values);
  const split = splitOf(rendered);
  const escaped = { unsubscribeUrl: escapeHtml(values.unsubscribeUrl), preferencesUrl: escapeHtml(values.preferencesUrl) };
  let html = split.html[0] as string;
  for (let i = 0; i < split.htmlSlots.length; i++) html += escaped[split.htmlSlots[i] as Slot] + (split.html[i + 1] as string);
  let text = split.text[0] as string;
  for (let i = 0; i < split.textSlots.length; i++) text += values[split.textSlots[i] as Slot] + (split.text[i + 1] as string);
  return { html, text };
}

/**
 * personalize, as UTF-8 bytes ready for the wire: the segments are encoded once per RenderedEmail,
 * so a message costs one copy instead of encoding ~30 KB of mostly two-byte (Chinese) text.
 */
export function personalizeBytes(rendered: RenderedEmail, values: PersonalValues): { html: Buffer; text: Buffer } {
  checkValues(values);
  const split = splitOf(rendered);
  split.bytes ??= {
    html: split.html.map((s) => Buffer.from(s, 'utf8')),
    text: split.text.map((s) => Buffer.from(s, 'utf8')),
  };
  const htmlValues = { unsubscribeUrl: Buffer.from(escapeHtml(values.unsubscribeUrl)), preferencesUrl: Buffer.from(escapeHtml(values.preferencesUrl)) };
  const textValues = { unsubscribeUrl: Buffer.from(values.unsubscribeUrl), preferencesUrl: Buffer.from(values.preferencesUrl) };
  return { html: join(split.bytes.html, split.htmlSlots, htmlValues), text: join(split.bytes.text, split.textSlots, textValues) };
}

function join(parts: Buffer[], slots: Slot[], values: Record<Slot, Buffer>): Buffer {
  const list: Buffer[] = [parts[0] as Buffer];
  let length = (parts[0] as Buffer).length;
  for (let i = 0; i < slots.length; i++) {
    const v = values[slots[i] as Slot];
    const next = parts[i + 1] as Buffer;
    list.push(v, next);
    length += v.length + next.length;
  }
  return Buffer.concat(list, length);
}

function checkValues(values: PersonalValues): void {
  for (const name of SLOTS) {
    const v = values[name];
    if (typeof v !== 'string' || !SAFE_URL.test(v) || !HTTP_URL.test(v)) {
      throw new SudiError('E_CONFIG', `${name} ${JSON.stringify(v)} is not an absolute http(s) URL without spaces (expected e.g. https://news.example.org/unsubscribe/TOKEN; check SITE_URL)`);
    }
  }
}

function splitOf(rendered: RenderedEmail): Split {
  let split = SPLITS.get(rendered);
  if (!split) {
    split = splitRendered(rendered);
    SPLITS.set(rendered, split);
  }
  return split;
}
