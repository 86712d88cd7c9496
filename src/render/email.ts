/**
 * The issue email: render once per (issue, language), personalize per Subscriber.
 *
 * renderEmail runs Handlebars → MJML → HTML (and the plain-text twin) with placeholder tokens where
 * the personal values go. personalize fills them with a few string joins over segments split once
 * per RenderedEmail, so a send costs microseconds per message, not an MJML run.
 *
 * Placeholders cannot be forged by issue content: the HTML tokens start with `{`, which content
 * never yields (html-text.ts encodes every brace), and the text tokens contain U+FFFF, a
 * non-character stripped from all text content (text.ts cleanText).
 */
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import type { Config } from '../config.ts';
import { SudiError } from '../errors.ts';
import type { Issue, Lang } from '../model.ts';
import { emailSizes, chooseTransferEncoding, type EmailSizes, type TransferEncoding } from './email-size.ts';
import { buildView, pick, subjectOf, preheaderOf, type Placeholders } from './email-view.ts';
import { escapeHtml } from './html-text.ts';
import { HTTP_URL } from './links.ts';
import { getTemplates, type HelperMap } from './templates.ts';
import { tidyText, underline } from './text.ts';

export { emailSizes, chooseTransferEncoding, type EmailSizes, type TransferEncoding };

export interface RenderedEmail {
  issueId: string;
  lang: Lang;
  subject: string;
  /** The preview line most clients show after the subject. */
  preheader: string;
  /** Complete HTML with placeholders for the personal values; only personalize() output is sendable. */
  html: string;
  /** Plain-text part with placeholders, likewise. */
  text: string;
  /** UTF-8 bytes of `html` (placeholders included; each Subscriber's URLs change it by a few bytes). */
  htmlBytes: number;
}

export interface PersonalValues {
  unsubscribeUrl: string;
  preferencesUrl: string;
}

export interface RenderEmailOptions {
  config: Pick<Config, 'siteUrl' | 'siteTitle' | 'siteAuthor' | 'templatesDir'>;
  /** The caller's clock (footer year); output depends only on the inputs. */
  now: Date;
  /** The Subscriber's language preference; default `both`. */
  lang?: Lang;
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

const htmlHelpers: HelperMap = {
  t(this: unknown, zh: unknown, en: unknown, options: Handlebars.HelperOptions) {
    const lang = (options.data as { root: { lang: Lang } }).root.lang;
    const z = escapeHtml(String(zh));
    const e = escapeHtml(String(en));
    // In the bilingual variant the document is zh-CN, so the English half says so.
    return new Handlebars.SafeString(lang === 'zh' ? z : lang === 'en' ? e : `${z} <span lang="en">${e}</span>`);
  },
};

const textHelpers: HelperMap = {
  t(this: unknown, zh: unknown, en: unknown, options: Handlebars.HelperOptions) {
    const lang = (options.data as { root: { lang: Lang } }).root.lang;
    return pick(lang, String(zh), String(en));
  },
  underline(this: unknown, s: unknown, ...rest: unknown[]) {
    const ch = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : '=';
    return underline(String(s), ch);
  },
};

/** Renders one issue for one language variant. Throws E_TEMPLATE (naming the file) on template errors. */
export async function renderEmail(issue: Issue, opts: RenderEmailOptions): Promise<RenderedEmail> {
  const lang = opts.lang ?? 'both';
  const { config, now } = opts;
  const [mjmlTemplates, textTemplates] = await Promise.all([
    getTemplates(config.templatesDir, 'email', 'mjml', htmlHelpers),
    getTemplates(config.templatesDir, 'email', 'txt', textHelpers),
  ]);

  const mjmlSource = mjmlTemplates.render('issue', buildView('html', { issue, config, now, lang, placeholders: HTML_PLACEHOLDERS }));
  const html = await compileMjml(mjmlSource, mjmlTemplates.fileOf('issue'));
  const text = tidyText(textTemplates.render('issue', buildView('text', { issue, config, now, lang, placeholders: TEXT_PLACEHOLDERS })));

  requirePlaceholder(html, HTML_PLACEHOLDERS.unsubscribeUrl, mjmlTemplates.fileOf('issue'));
  requirePlaceholder(text, TEXT_PLACEHOLDERS.unsubscribeUrl, textTemplates.fileOf('issue'));

  const rendered: RenderedEmail = {
    issueId: issue.id,
    lang,
    subject: subjectOf(issue),
    preheader: preheaderOf(issue, lang),
    html,
    text,
    htmlBytes: Buffer.byteLength(html, 'utf8'),
  };
  SPLITS.set(rendered, splitRendered(rendered));
  return rendered;
}

/** MJML → HTML, minified without cssnano (not installable on Node 20): htmlnano collapses whitespace, we tidy the CSS. */
async function compileMjml(source: string, file: string): Promise<string> {
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await mjml2html(source, {
      validationLevel: 'strict',
      keepComments: false,
      fonts: {},
      minify: true,
      minifyOptions: { minifyCss: false, collapseWhitespace: 'conservative', removeComments: 'safe' },
      // The typings predate mjml 5's htmlnano options; these are passed through to htmlnano.
    } as unknown as Parameters<typeof mjml2html>[1]);
  } catch (e) {
    // mjml's ValidationError lists every problem (with the line in the rendered MJML); the message repeats them.
    const errors = (e as { errors?: { line?: number; message?: string }[] }).errors ?? [];
    const problems = [...new Set(errors.map((x) => `${file} (rendered MJML line ${x.line ?? '?'}): ${x.message ?? ''}`))];
    const first = problems[0] ?? `${file}: ${(e as Error).message.split('\n')[0]}`;
    throw new SudiError('E_TEMPLATE', `${first} (expected valid MJML, see https://documentation.mjml.io)`, { problems, cause: e });
  }
  return minifyStyles(result.html);
}

/** Squeezes the CSS of every <style> element (our own template CSS: no strings with braces or semicolons inside). */
function minifyStyles(html: string): string {
  return html.replace(/(<style[^>]*>)([\s\S]*?)(<\/style>)/g, (_m, open: string, css: string, close: string) => {
    const tight = css
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\s+/g, ' ')
      .replace(/\s*([{};,>])\s*/g, '$1')
      .replace(/:\s+/g, ':')
      .replace(/;}/g, '}')
      .trim();
    return `${open}${tight}${close}`;
  });
}

function requirePlaceholder(out: string, token: string, file: string): void {
  if (!out.includes(token)) {
    throw new SudiError('E_TEMPLATE', `${file}: the email has no {{unsubscribeUrl}} (expected an unsubscribe link in the footer; every message must carry one)`);
  }
}

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
