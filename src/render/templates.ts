/**
 * Loads and compiles a group of Handlebars templates (`<templatesDir>/<group>/`) once.
 *
 * - One Handlebars environment per (group, kind), so the email's `paper` partial never collides
 *   with the site's, and the plain-text twin (`*.txt.hbs`, compiled with `noEscape`) never shares
 *   partials with the markup (`*.mjml.hbs`).
 * - Every file is parsed up front: a syntax error stops the caller before anything is rendered,
 *   as a SudiError E_TEMPLATE naming the file and the line.
 * - Each template is compiled exactly once per load (`compileCount()` lets tests prove it).
 *   `getTemplates` caches loads per folder and reloads when a file changes; `loadTemplates` is
 *   the uncached load (a build that wants a fresh read).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import { SudiError } from '../errors.ts';

export type TemplateKind = 'mjml' | 'txt' | 'html';
export type Template = (context: unknown) => string;
export type HelperMap = Record<string, Handlebars.HelperDelegate>;

export interface TemplateSet {
  /** The folder the templates were read from, e.g. `templates/email`. */
  dir: string;
  kind: TemplateKind;
  /** Top-level template names (file name without `.<kind>.hbs`). */
  names: readonly string[];
  /** Renders a top-level template; runtime failures (missing partial …) become E_TEMPLATE naming the file. */
  render(name: string, context: unknown): string;
  /** The file a template name came from (for messages). */
  fileOf(name: string): string;
  /** Adds helpers to this set's Handlebars environment (they are looked up when a template runs). */
  registerHelpers(helpers: HelperMap): void;
}

let compiles = 0;

/** How many template files have been compiled by this process (tests check "compile once"). */
export function compileCount(): number {
  return compiles;
}

const cache = new Map<string, { signature: string; set: Promise<TemplateSet> }>();

/**
 * Cached load of `<templatesDir>/<group>/*.<kind>.hbs` plus `partials/*.<kind>.hbs`. The cache is
 * checked against the files' sizes and modification times on every call (a readdir and a few
 * stats, well under a millisecond): an edited template takes effect on the next render in a
 * long-running process (serve, preview, the scheduler) while unchanged ones are never recompiled.
 * `helpers` are added to the set's environment (Handlebars looks helpers up at call time).
 */
export async function getTemplates(templatesDir: string, group: string, kind: TemplateKind, helpers: HelperMap = {}): Promise<TemplateSet> {
  const key = `${path.resolve(templatesDir)}\0${group}\0${kind}`;
  const signature = await signatureOf(path.join(templatesDir, group), `.${kind}.hbs`);
  let entry = cache.get(key);
  if (!entry || entry.signature !== signature) {
    entry = { signature, set: loadTemplates(templatesDir, group, kind) };
    cache.set(key, entry);
    const failed = entry;
    // A failed load is not cached: the editor fixes the file and tries again.
    failed.set.catch(() => {
      if (cache.get(key) === failed) cache.delete(key);
    });
  }
  const set = await entry.set;
  set.registerHelpers(helpers);
  return set;
}

async function signatureOf(dir: string, suffix: string): Promise<string> {
  const parts: string[] = [];
  for (const d of [dir, path.join(dir, 'partials')]) {
    for (const name of (await readDirOrEmpty(d)).filter((n) => n.endsWith(suffix)).sort()) {
      try {
        const st = await stat(path.join(d, name));
        parts.push(`${d}/${name}:${st.size}:${st.mtimeMs}`);
      } catch {
        parts.push(`${d}/${name}:gone`);
      }
    }
  }
  return parts.join('\n');
}

/** Drops cached loads (all, or those under one templates folder) so the next render re-reads files. */
export function forgetTemplates(templatesDir?: string): void {
  if (templatesDir === undefined) return cache.clear();
  const prefix = `${path.resolve(templatesDir)}\0`;
  for (const key of [...cache.keys()]) if (key.startsWith(prefix)) cache.delete(key);
}

/** Uncached load: reads, parses and compiles every template of the group. */
export async function loadTemplates(templatesDir: string, group: string, kind: TemplateKind, helpers: HelperMap = {}): Promise<TemplateSet> {
  const dir = path.join(templatesDir, group);
  const suffix = `.${kind}.hbs`;
  const hb = Handlebars.create();
  hb.registerHelper(helpers);
  const compileOptions: CompileOptions = { noEscape: kind === 'txt', preventIndent: true, strict: false };

  const compileFile = async (file: string): Promise<Template> => {
    const source = await readTemplate(file);
    let ast: hbs.AST.Program;
    try {
      ast = hb.parse(source);
    } catch (e) {
      throw new SudiError('E_TEMPLATE', `${at(file, e)}: ${firstLine(e)} (expected valid Handlebars)`, { cause: e });
    }
    compiles += 1;
    const fn = hb.compile(ast, compileOptions) as Template;
    return fn;
  };

  const partialsDir = path.join(dir, 'partials');
  for (const name of (await readDirOrEmpty(partialsDir)).filter((n) => n.endsWith(suffix)).sort()) {
    const file = path.join(partialsDir, name);
    hb.registerPartial(name.slice(0, -suffix.length), (await compileFile(file)) as Handlebars.Template);
  }

  const templates = new Map<string, { file: string; fn: Template }>();
  const topNames = (await readDirOrEmpty(dir)).filter((n) => n.endsWith(suffix)).sort();
  if (topNames.length === 0) {
    throw new SudiError('E_TEMPLATE', `no *${suffix} templates in ${dir} (expected e.g. ${path.join(dir, `issue${suffix}`)}; see TEMPLATES_DIR)`);
  }
  for (const name of topNames) {
    const file = path.join(dir, name);
    templates.set(name.slice(0, -suffix.length), { file, fn: await compileFile(file) });
  }

  return {
    dir,
    kind,
    names: [...templates.keys()],
    fileOf: (name) => templates.get(name)?.file ?? path.join(dir, `${name}${suffix}`),
    registerHelpers: (more) => hb.registerHelper(more),
    render(name, context) {
      const t = templates.get(name);
      if (!t) {
        throw new SudiError('E_TEMPLATE', `template ${path.join(dir, `${name}${suffix}`)} is missing (expected it in the templates folder; see TEMPLATES_DIR)`);
      }
      try {
        return t.fn(context);
      } catch (e) {
        throw new SudiError('E_TEMPLATE', `${at(t.file, e)}: failed to render: ${firstLine(e)}`, { cause: e });
      }
    },
  };
}

async function readTemplate(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SudiError('E_TEMPLATE', `template ${file} is missing (expected it in the templates folder; see TEMPLATES_DIR)`);
    }
    throw e;
  }
}

async function readDirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** `FILE:LINE` when Handlebars knows the line (as a property or in the message, "Parse error on line 3"), else `FILE`. */
function at(file: string, e: unknown): string {
  const n = (e as { lineNumber?: unknown } | null)?.lineNumber;
  if (typeof n === 'number' && n > 0) return `${file}:${n}`;
  const m = /line (\d+)/i.exec(e instanceof Error ? e.message : String(e));
  return m ? `${file}:${m[1]}` : file;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // Parse errors carry the offending source and a caret on the next lines; keep the gist.
  const lines = msg.split('\n').map((l) => l.trim()).filter(Boolean);
  const expecting = lines.find((l) => l.startsWith('Expecting'));
  return [lines[0], expecting].filter(Boolean).join(' ').replace(/\s+/g, ' ');
}
