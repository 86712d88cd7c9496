/**
 * Shared by the build, feed and preview suites: temp projects with real issue files, the config a
 * build sees, and independent checkers for what we emit (xmllint, parse5).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import { parseConfig, type Config } from '../../src/config.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const SEED_FILE = path.join(ROOT, 'issues', '2024-04-15.md');
export const ADVERSARIAL_FILE = path.join(ROOT, 'tests', 'fixtures', 'site', '2024-05-06.md');
export const SITE_URL = 'https://news.example.org/';
/** Well after the seed's publish_at (2024-04-20T09:00+08:00). */
export const LATER = new Date('2024-06-01T00:00:00Z');

/** The seed issue's English titles, written out independently of the importer. */
export const SEED_TITLES_EN = [
  'Pre-training Small Base LMs with Fewer Tokens',
  'COCONut: Modernizing COCO Segmentation',
  'Scaling (Down) CLIP: A Comprehensive Analysis of Data, Architecture, and Training Strategies',
  'Learn Your Reference Model for Real Good Alignment',
  'Megalodon: Efficient LLM Pretraining and Inference with Unlimited Context Length',
  'TransformerFAM: Feedback attention is working memory',
  'Video2Game: Real-time, Interactive, Realistic and Browser-Compatible Environment from a Single Video',
  'Dynamic Typography: Bringing Words to Life',
  'Toward Self-Improvement of LLMs via Imagination, Searching, and Criticizing',
];

export async function tempDir(prefix = 'sudi-site-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A temp project: `<dir>/issues/` holding copies of `files`; returns the project folder. */
export async function tempProject(files: readonly string[] = [SEED_FILE]): Promise<string> {
  const dir = await tempDir();
  await mkdir(path.join(dir, 'issues'));
  for (const f of files) await writeFile(path.join(dir, 'issues', path.basename(f)), await readFile(f));
  return dir;
}

export function configFor(project: string, env: Record<string, string> = {}): Config {
  return parseConfig({ SITE_URL, ...env }, project, { issuesDir: path.join(project, 'issues') });
}

/** An issue file for `id` with `n` papers; front matter fields can be overridden. */
export function issueText(id: string, opts: { status?: 'draft' | 'ready'; publishAt?: string; papers?: number; title?: string } = {}): string {
  const n = opts.papers ?? 2;
  const papers = Array.from({ length: n }, (_, i) =>
    [`  - title:`, `      en: "Paper ${i + 1} of ${id}"`, `      zh: "论文 ${i + 1}"`, `    abstract:`, `      zh: "摘要 ${i + 1}。"`].join('\n'),
  );
  return [
    '---',
    `title: "${opts.title ?? `Issue ${id}`}"`,
    `week: { start: ${id}, end: ${id} }`,
    `publish_at: ${opts.publishAt ?? `${id}T09:00:00+08:00`}`,
    `status: ${opts.status ?? 'ready'}`,
    'papers:',
    ...papers,
    '---',
    '',
  ].join('\n');
}

/** Every file under `dir` (relative path → contents). */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, full), await readFile(full));
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** `xmllint --noout` on a string; resolves to '' when well-formed, else xmllint's complaint. */
export async function xmllint(xml: string): Promise<string> {
  const child = execFile('xmllint', ['--noout', '-']);
  child.stdin?.end(xml);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d) => (err += String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve(code === 0 ? '' : err || `xmllint exited ${code}`));
  });
}

/** The string value of an XPath expression over `xml`, as xmllint (libxml2) decodes it. */
export async function xpathString(xml: string, expr: string): Promise<string> {
  const child = execFile('xmllint', ['--xpath', `string(${expr})`, '-'], { maxBuffer: 64 * 1024 * 1024 });
  child.stdin?.end(xml);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.on('data', (d) => (err += String(d)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err || `xmllint exited ${code}`))));
  });
}

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

export interface HtmlReport {
  errors: string[];
  elements: Element[];
  text: string;
}

/** Parses HTML the way browsers do (parse5), collecting parse errors, elements and text. */
export function inspectHtml(html: string, fragment = false): HtmlReport {
  const errors: string[] = [];
  const doc = parse(fragment ? `<!doctype html><html lang="en"><head><title>x</title></head><body>${html}</body></html>` : html, {
    onParseError: (e) => errors.push(`${e.code} at ${e.startLine}:${e.startCol}`),
  });
  const elements: Element[] = [];
  let text = '';
  const walk = (n: Node) => {
    if ('tagName' in n) elements.push(n);
    if (n.nodeName === '#text') text += (n as DefaultTreeAdapterMap['textNode']).value;
    const kids = 'content' in n && n.content ? n.content.childNodes : 'childNodes' in n ? n.childNodes : [];
    for (const k of kids) walk(k);
  };
  walk(doc);
  return { errors, elements, text };
}

/** Live markup an issue could smuggle in: scripts, event handlers, non-http(s) links. */
export function liveMarkup(report: HtmlReport): string[] {
  const found: string[] = [];
  for (const el of report.elements) {
    // The search box's own module (external, content-named) is the one script a page carries.
    if (el.tagName === 'script' && el.attrs.length === 2 && el.attrs.some((a) => a.name === 'src' && /^https?:\/\/[^"]*\/search\.[0-9a-f]{10}\.js$/.test(a.value))) continue;
    if (['script', 'iframe', 'object', 'embed', 'b', 'img', 'mj-include'].includes(el.tagName)) found.push(`<${el.tagName}>`);
    for (const a of el.attrs) {
      if (a.name.startsWith('on')) found.push(`${el.tagName}[${a.name}]`);
      if (['href', 'src', 'action'].includes(a.name) && !/^https?:\/\//.test(a.value)) found.push(`${el.tagName}[${a.name}=${a.value}]`);
    }
  }
  return found;
}
