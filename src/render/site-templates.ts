/**
 * The archive site's templates (`<templatesDir>/site/`): layout, index, issue and entry pages plus
 * partials, compiled once per build through the shared loader (templates.ts: its own Handlebars
 * environment, every file parsed up front so a syntax error stops the build before anything is
 * written), and the stylesheet copied verbatim to the output.
 *
 * `getTemplates` re-checks the files' sizes and mtimes on every call, so in a long-lived process
 * (`sudi serve`, the scheduler) an edited template takes effect on the next build while unchanged
 * ones are not recompiled.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SudiError } from '../errors.ts';
import { getTemplates, type TemplateSet } from './templates.ts';

export interface SiteTemplates {
  /** The folder the templates were read from (for messages and for preview's watcher). */
  dir: string;
  /**
   * `layout`, `index`, `issue`, `paper-page`, `tag`, `tags` (pages), `entry` (the full issue as
   * HTML, for feed entries) and `edition-entry` (an issue in one language, for Edition feeds).
   */
  pages: TemplateSet;
  /** `style.css`, copied verbatim to the output. */
  css: string;
}

export const SITE_PAGES = ['layout', 'index', 'issue', 'entry', 'paper-page', 'tag', 'tags', 'edition-entry'] as const;
export type SitePage = (typeof SITE_PAGES)[number];

/** `<templatesDir>/site`. */
export function siteTemplatesDir(templatesDir: string): string {
  return path.join(templatesDir, 'site');
}

export async function loadSiteTemplates(templatesDir: string): Promise<SiteTemplates> {
  const dir = siteTemplatesDir(templatesDir);
  const pages = await getTemplates(templatesDir, 'site', 'html');
  for (const name of SITE_PAGES) {
    if (!pages.names.includes(name)) {
      throw new SudiError('E_TEMPLATE', `template ${pages.fileOf(name)} is missing (expected ${SITE_PAGES.map((n) => `${n}.html.hbs`).join(', ')} in ${dir}; see TEMPLATES_DIR)`);
    }
  }
  const cssFile = path.join(dir, 'style.css');
  let css: string;
  try {
    css = await readFile(cssFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new SudiError('E_TEMPLATE', `stylesheet ${cssFile} is missing (expected it beside the site templates; see TEMPLATES_DIR)`);
  }
  return { dir, pages, css };
}
