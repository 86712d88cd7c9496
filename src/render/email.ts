/**
 * The issue email: render once per (issue, language), personalize per Subscriber (personalize.ts,
 * re-exported here so callers need one import).
 *
 * renderEmail runs Handlebars → MJML → HTML (and the plain-text twin) with placeholder tokens where
 * the personal values go; the delivery code fills them per message without another MJML run.
 */
import Handlebars from 'handlebars';
import type mjml2htmlType from 'mjml';
import type { Config } from '../config.ts';
import { SudiError } from '../errors.ts';
import type { Issue, Lang } from '../model.ts';
import { emailSizes, chooseTransferEncoding, type EmailSizes, type TransferEncoding } from './email-size.ts';
import { buildView, pick, subjectOf, preheaderOf } from './email-view.ts';
import { escapeHtml } from './html-text.ts';
import { HTML_PLACEHOLDERS, personalParts, TEXT_PLACEHOLDERS } from './personalize.ts';
import { getTemplates, type HelperMap } from './templates.ts';
import { tidyText, underline } from './text.ts';

export { emailSizes, chooseTransferEncoding, type EmailSizes, type TransferEncoding };
export { HTML_PLACEHOLDERS, TEXT_PLACEHOLDERS, personalize, type PersonalValues } from './personalize.ts';

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

export interface RenderEmailOptions {
  config: Pick<Config, 'siteUrl' | 'siteTitle' | 'siteTitleEn' | 'siteAuthor' | 'templatesDir'>;
  /** The caller's clock (footer year); output depends only on the inputs. */
  now: Date;
  /** The Subscriber's language preference; default `both`. */
  lang?: Lang;
}

const htmlHelpers: HelperMap = {
  t(this: unknown, zh: unknown, en: unknown, options: Handlebars.HelperOptions) {
    const lang = (options.data as { root: { lang: Lang } }).root.lang;
    const z = escapeHtml(String(zh));
    const e = escapeHtml(String(en));
    // In the bilingual edition the document is zh-CN, so the English half says so.
    return new Handlebars.SafeString(lang === 'zh' ? z : lang === 'en' ? e : `${z} / <span lang="en">${e}</span>`);
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

/** Renders one issue for one language edition. Throws E_TEMPLATE (naming the file) on template errors. */
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
    subject: subjectOf(issue, lang),
    preheader: preheaderOf(issue, lang),
    html,
    text,
    htmlBytes: Buffer.byteLength(html, 'utf8'),
  };
  personalParts(rendered); // split now, so the first message costs no more than the others
  return rendered;
}

/** MJML → HTML, minified without cssnano (not installable on Node 20): htmlnano collapses whitespace, we tidy the CSS. */
async function compileMjml(source: string, file: string): Promise<string> {
  // Loaded on first use: MJML costs ~0.5 s to import, and most commands (check, import, status…) never render.
  const { default: mjml2html } = await import('mjml');
  let result: Awaited<ReturnType<typeof mjml2htmlType>>;
  try {
    result = await mjml2html(source, {
      validationLevel: 'strict',
      keepComments: false,
      fonts: {},
      minify: true,
      minifyOptions: { minifyCss: false, collapseWhitespace: 'conservative', removeComments: 'safe' },
      // The typings predate mjml 5's htmlnano options; these are passed through to htmlnano.
    } as unknown as Parameters<typeof mjml2htmlType>[1]);
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
