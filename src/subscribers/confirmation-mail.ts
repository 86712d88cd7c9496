/**
 * The confirmation mail: `templates/email/confirm.mjml.hbs` (+ `confirm.txt.hbs`).
 *
 * MJML runs once per process (per templates folder and site), not once per mail: the template is
 * rendered with sentinel strings in place of the two per-message values (the address and the
 * confirm link), turned into HTML, and each mail only swaps the sentinels for the escaped values.
 * Sentinels instead of a second Handlebars pass, so a `{{` in SITE_TITLE stays text.
 * The mail repeats nothing the visitor typed but the (normalized) address.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { composeMessage } from '../delivery/compose.ts';
import type { OutgoingMessage } from '../delivery/transport.ts';
import { SudiError } from '../errors.ts';
import { mjmlHere, type MjmlCompile } from '../render/mjml-elsewhere.ts';
import { getTemplates } from '../render/templates.ts';
import { siteUrls } from '../site-urls.ts';
import { TOKEN_LIFETIME_MS } from './tokens.ts';

const EMAIL = 'sudi0placeholder0email0c1f3';
const URL_ = 'sudi0placeholder0url0c1f3';
const VALID_DAYS = Math.round(TOKEN_LIFETIME_MS.confirm! / 86_400_000);

export interface ConfirmationMail {
  subject: string;
  /** The HTML with sentinels; `render` fills them. */
  render(v: { email: string; confirmUrl: string }): { html: string; text: string };
}

type MailConfig = Pick<Config, 'templatesDir' | 'siteTitle' | 'siteUrl' | 'mailFrom'>;

const cache = new Map<string, Promise<ConfirmationMail>>();

/**
 * `compile`: where MJML runs. The server's warm-up passes a child process (mjml-elsewhere.ts) so
 * its event loop never waits for MJML; whoever asks first decides, later callers share the result.
 */
export function loadConfirmationMail(config: MailConfig, compile: MjmlCompile = mjmlHere): Promise<ConfirmationMail> {
  const key = `${config.templatesDir}\0${config.siteTitle}\0${config.siteUrl}`;
  let p = cache.get(key);
  if (!p) {
    p = build(config, compile);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function build(config: MailConfig, compile: MjmlCompile): Promise<ConfirmationMail> {
  const [mjmlSet, txtSet] = await Promise.all([
    getTemplates(config.templatesDir, 'email', 'mjml'),
    getTemplates(config.templatesDir, 'email', 'txt'),
  ]);
  const site = { title: config.siteTitle, url: siteUrls(config).home };
  const context = (email: string, confirmUrl: string) => ({ site, email, confirmUrl, validDays: VALID_DAYS });
  const source = mjmlSet.render('confirm', context(EMAIL, URL_));
  const result = await compile(source, { validationLevel: 'soft', keepComments: false });
  const errors = result.errors ?? [];
  if (errors.length > 0 || !result.html.includes(URL_)) {
    const first = errors[0] ? `line ${errors[0].line}: ${errors[0].message}` : 'the confirm link is missing from the output';
    throw new SudiError('E_TEMPLATE', `${mjmlSet.fileOf('confirm')}: ${first} (expected valid MJML that links {{confirmUrl}})`);
  }
  const html = result.html;
  return {
    subject: `请确认订阅 Confirm your subscription · ${config.siteTitle}`,
    render: ({ email, confirmUrl }) => ({
      html: html.replaceAll(EMAIL, escapeHtml(email)).replaceAll(URL_, escapeHtml(confirmUrl)),
      text: txtSet.render('confirm', context(email, confirmUrl)),
    }),
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The domain part of MAIL_FROM, for Message-IDs (`Sudi <digest@news.example.org>` → news.example.org). */
export function mailDomain(mailFrom: string): string {
  const addr = /<([^>]+)>/.exec(mailFrom)?.[1] ?? mailFrom;
  return addr.slice(addr.lastIndexOf('@') + 1).trim() || 'localhost';
}

/** Fixed when the mail is queued, so every attempt (and a resend after a crash) carries the same one. */
export function newConfirmationMessageId(mailFrom: string): string {
  return `<confirm.${randomUUID()}@${mailDomain(mailFrom)}>`;
}

export async function composeConfirmation(
  config: MailConfig,
  v: { email: string; confirmUrl: string; messageId: string; now: Date },
  compile?: MjmlCompile,
): Promise<OutgoingMessage> {
  const mail = await loadConfirmationMail(config, compile);
  const { html, text } = mail.render(v);
  return composeMessage({
    from: config.mailFrom,
    to: v.email,
    subject: mail.subject,
    html,
    text,
    date: v.now,
    messageId: v.messageId,
    // RFC 3834: an automatic mail; vacation responders should not answer it.
    headers: { 'Auto-Submitted': 'auto-generated' },
  });
}
