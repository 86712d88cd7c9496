/**
 * One issue file → what the preview shows: the email as a Subscriber gets it (personalized with
 * sample links), its plain text, and the archive page. Works on drafts and on issues that are not
 * due yet: the preview is the editor's loop, not publishing.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { parseIssue } from '../content/parse-issue.ts';
import { SudiError } from '../errors.ts';
import type { Issue, Lang } from '../model.ts';
import { emailSizes, personalize, renderEmail, type EmailSizes } from '../render/email.ts';
import { forgetTemplates } from '../render/templates.ts';
import { issueView, renderIssuePage, siteView } from '../render/site.ts';
import { loadSiteTemplates } from '../render/site-templates.ts';
import { siteUrls } from '../site-urls.ts';
import type { PreviewContent } from './server.ts';

export interface RenderedPreview {
  issue: Issue;
  content: PreviewContent;
  /** Size of the personalized email HTML, raw and as sent. */
  sizes: EmailSizes;
}

/**
 * `webSiteUrl`: the base the web page's links use. The preview server passes its own URL so the
 * page's stylesheet loads from it; `--out` keeps SITE_URL so the file is what the site will hold.
 * `lang`: the language edition of the email (the web page is bilingual).
 */
export async function renderPreview(file: string, config: Config, now: Date, webSiteUrl = config.siteUrl, lang: Lang = 'both'): Promise<RenderedPreview> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SudiError('E_NOT_FOUND', `issue file ${file} does not exist (expected an issue id such as 2024-04-15 or a path to its .md file)`);
    }
    throw e;
  }
  const issue = parseIssue(file, text);

  forgetTemplates(config.templatesDir); // an edited template must show on the next render
  const rendered = await renderEmail(issue, { config, now, lang });
  const home = siteUrls(config).home;
  const email = personalize(rendered, { unsubscribeUrl: `${home}unsubscribe/PREVIEW`, preferencesUrl: `${home}preferences/PREVIEW`, recipient: 'reader@example.org' });

  const webConfig: Config = { ...config, siteUrl: webSiteUrl };
  const templates = await loadSiteTemplates(config.templatesDir);
  const webHtml = renderIssuePage(templates, siteView(webConfig), issueView(issue, webConfig));

  return {
    issue,
    content: { emailHtml: email.html, emailText: email.text, webHtml, css: templates.css },
    sizes: emailSizes(email.html),
  };
}
