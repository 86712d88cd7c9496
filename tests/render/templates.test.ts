/**
 * Templates: compiled once, reloaded when a file changes, and every failure a SudiError E_TEMPLATE
 * that names the file (and the line for syntax errors). Runs against a copy of the shipped templates.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSudiError, type SudiError } from '../../src/errors.ts';
import { renderEmail } from '../../src/render/email.ts';
import { compileCount } from '../../src/render/templates.ts';
import { NOW, ROOT, seedIssue, testConfig } from './fixtures.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sudi-templates-'));
  cpSync(path.join(ROOT, 'templates'), dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const config = () => testConfig({ TEMPLATES_DIR: dir });
const file = (rel: string) => path.join(dir, 'email', rel);

function edit(rel: string, change: (s: string) => string): void {
  const f = file(rel);
  writeFileSync(f, change(readFileSync(f, 'utf8')));
  // Some file systems keep whole-second mtimes; make the change visible to the cache for sure.
  const later = new Date(Date.now() + 5000);
  utimesSync(f, later, later);
}

async function renderError(): Promise<SudiError> {
  try {
    await renderEmail(seedIssue(), { config: config(), now: NOW });
  } catch (e) {
    if (isSudiError(e)) return e;
    throw e;
  }
  throw new Error('expected renderEmail to fail');
}

describe('email templates', () => {
  it('compile once: a second and third render (any language) compile nothing', async () => {
    const before = compileCount();
    const first = await renderEmail(seedIssue(), { config: config(), now: NOW });
    const afterFirst = compileCount();
    // Every *.mjml.hbs and *.txt.hbs file of templates/email (pages and partials) once.
    expect(afterFirst - before).toBeGreaterThanOrEqual(6);
    const second = await renderEmail(seedIssue(), { config: config(), now: NOW });
    await renderEmail(seedIssue(), { config: config(), now: NOW, lang: 'en' });
    expect(compileCount()).toBe(afterFirst);
    expect(second).toEqual(first);
  });

  it('an edited template takes effect on the next render', async () => {
    await renderEmail(seedIssue(), { config: config(), now: NOW });
    const before = compileCount();
    edit('partials/footer.mjml.hbs', (s) => s.replace('© {{year}}', 'Copyright-marker {{year}}'));
    const r = await renderEmail(seedIssue(), { config: config(), now: NOW });
    expect(compileCount()).toBeGreaterThan(before);
    expect(r.html).toContain('Copyright-marker 2024');
  });

  it('a Handlebars syntax error names the file and line', async () => {
    edit('partials/paper.mjml.hbs', (s) => `${s}\n{{#if url}}unclosed\n`);
    const err = await renderError();
    expect(err.code).toBe('E_TEMPLATE');
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain(`${file('partials/paper.mjml.hbs')}:`);
    expect(err.message).toMatch(/paper\.mjml\.hbs:\d+: /);
  });

  it('a syntax error in the text twin names that file', async () => {
    const lines = readFileSync(file('issue.txt.hbs'), 'utf8').split('\n').length;
    edit('issue.txt.hbs', (s) => `${s}{{/each}}\n`);
    const err = await renderError();
    expect(err.code).toBe('E_TEMPLATE');
    expect(err.message).toContain(`${file('issue.txt.hbs')}:${lines}:`);
  });

  it('invalid MJML from a template is E_TEMPLATE naming the template', async () => {
    edit('issue.mjml.hbs', (s) => s.replace('<mj-column>', '<mj-column><mj-bogus>x</mj-bogus>'));
    const err = await renderError();
    expect(err.code).toBe('E_TEMPLATE');
    expect(err.message).toContain(file('issue.mjml.hbs'));
  });

  it('a missing partial is E_TEMPLATE naming the template that used it', async () => {
    rmSync(file('partials/paper.mjml.hbs'));
    const err = await renderError();
    expect(err.code).toBe('E_TEMPLATE');
    expect(err.message).toContain(file('issue.mjml.hbs'));
    expect(err.message).toContain('paper');
  });

  it('a template without the unsubscribe link is refused', async () => {
    edit('partials/footer.mjml.hbs', (s) => s.replaceAll('{{unsubscribeUrl}}', '{{issue.url}}'));
    const err = await renderError();
    expect(err.code).toBe('E_TEMPLATE');
    expect(err.message).toContain('unsubscribeUrl');
  });
});
