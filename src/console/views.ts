/**
 * The Console's pages: `templates/admin/*.html.hbs` (always the bundled ones: TEMPLATES_DIR changes
 * what readers see, not the operator's tool), each inside `layout.html.hbs`, plus its stylesheet and
 * script served as static files (the CSP allows no inline script or style). Compiled once at start.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import { BUNDLED_TEMPLATES_DIR } from '../config.ts';
import { loadTemplates } from '../render/templates.ts';

export const CONSOLE_PAGES = ['sign-in', 'issues', 'issue', 'confirm-send', 'send', 'subscribers', 'subscriber', 'notice'] as const;
export type ConsolePage = (typeof CONSOLE_PAGES)[number];

export interface ConsoleViews {
  render(name: ConsolePage, title: string, context: Record<string, unknown>): string;
  assets: { css: string; js: string };
}

export async function loadConsoleViews(): Promise<ConsoleViews> {
  const dir = path.join(BUNDLED_TEMPLATES_DIR, 'admin');
  const set = await loadTemplates(BUNDLED_TEMPLATES_DIR, 'admin', 'html', {
    eq: (a: unknown, b: unknown) => a === b,
  });
  for (const name of [...CONSOLE_PAGES, 'layout']) if (!set.names.includes(name)) set.render(name, {});
  const [css, js] = await Promise.all([readFile(path.join(dir, 'console.css'), 'utf8'), readFile(path.join(dir, 'console.js'), 'utf8')]);
  return {
    assets: { css, js },
    render(name, title, context) {
      const body = set.render(name, context);
      return set.render('layout', { ...context, title, body: new Handlebars.SafeString(body) });
    },
  };
}
