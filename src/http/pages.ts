/**
 * The server's own pages (subscribe, confirm, unsubscribe, preferences, errors): `page-*.html.hbs`
 * in the site templates folder, each wrapped in the archive's layout so they look like the site.
 * Compiled once at server start (a broken template stops the start, not a visitor's request).
 */
import Handlebars from 'handlebars';
import type { Config } from '../config.ts';
import { documentTitle, siteView, type SiteView } from '../render/site.ts';
import { getTemplates, type TemplateSet } from '../render/templates.ts';

export const PAGE_NAMES = [
  'page-subscribed',
  'page-confirm',
  'page-confirmed',
  'page-unsubscribe',
  'page-unsubscribed',
  'page-preferences',
  'page-error',
] as const;
export type PageName = (typeof PAGE_NAMES)[number];

export interface Pages {
  site: SiteView;
  /** A full HTML document: the page body inside the archive layout. */
  render(name: PageName, title: string, context: Record<string, unknown>): string;
}

export async function loadPages(config: Config): Promise<Pages> {
  const set: TemplateSet = await getTemplates(config.templatesDir, 'site', 'html');
  const site = siteView(config);
  // Fail at start, naming the file, rather than on a visitor's request.
  for (const name of [...PAGE_NAMES, 'layout']) if (!set.names.includes(name)) set.render(name, {});
  return {
    site,
    render(name, title, context) {
      const body = set.render(name, { site, ...context });
      return set.render('layout', {
        site,
        title: documentTitle(title, site.title),
        description: site.description,
        canonicalUrl: site.url,
        body: new Handlebars.SafeString(body),
      });
    },
  };
}
