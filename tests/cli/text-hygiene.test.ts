/**
 * Invisible and control characters in issue files, through the CLI an editor runs: refused in link
 * URLs (exit 2, FILE:LINE, what a valid URL looks like); removed from text with a warning naming
 * the file and line, and gone from everything built or sent from it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured, tempDir } from '../helpers/run-cli.ts';

const RLO = '\u202E';
const PDF = '\u202C';
const ZWSP = '\u200B';
const RLM = '\u200F';
const INVISIBLE = /[\u200B\u200E\u200F\u202A-\u202E\u2066-\u2069\u2060\uFEFF]/;

/** An issue file; `link` is written as a YAML double-quoted scalar, so `\n`, `\t`, `\x01` are escapes. */
function issueFile(opts: { title?: string; titleEn?: string; abstract?: string; link?: string; note?: string } = {}): string {
  return [
    '---',
    `title: "${opts.title ?? 'Weekly 240415'}"`,
    'week: { start: 2024-04-15, end: 2024-04-19 }',
    'publish_at: 2024-04-20T09:00:00+08:00',
    'status: ready',
    'papers:',
    '  - title:',
    `      en: "${opts.titleEn ?? 'Pre-training Small Base LMs'}"`,
    '      zh: "使用更少的 Token 对小型基础 LMs 进行预训练"',
    '    abstract:',
    `      zh: "${opts.abstract ?? '我们研究了一种简单方法。'}"`,
    '    links:',
    `      code: "${opts.link ?? 'https://github.com/sanyalsunny111/LLM-Inheritune'}"`,
    '---',
    opts.note ?? 'An editor\'s note.',
    '',
  ].join('\n');
}

let dir: string;
let cleanup: () => Promise<void>;
let file: string;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  await mkdir(path.join(dir, 'issues'));
  file = path.join(dir, 'issues', '2024-04-15.md');
});
afterEach(() => cleanup());

const run = (argv: string[]) =>
  runCliCaptured(argv, { cwd: dir, env: { SITE_URL: 'https://news.example.org/' }, now: new Date('2024-06-01T00:00:00Z') });

describe('link URLs with control, space or invisible characters', () => {
  it.each([
    ['a newline', 'https://example.org/a\\nb', 'U+000A (line feed)'],
    ['a tab', 'https://example.org/a\\tb', 'U+0009 (tab)'],
    ['a C0 control', 'https://example.org/a\\x01b', 'U+0001 (control character)'],
    ['DEL', 'https://example.org/a\\x7Fb', 'U+007F (control character)'],
    ['a trailing newline', 'https://example.org/a\\n', 'U+000A (line feed)'],
    ['a space', 'https://example.org/a b', 'U+0020 (space)'],
    ['a right-to-left override', `https://example.org/${RLO}gpj.exe`, 'U+202E (right-to-left override)'],
    ['a zero-width space', `https://exa${ZWSP}mple.org/`, 'U+200B (zero-width space)'],
    ['a zero-width joiner', 'https://exa\u200Dmple.org/', 'U+200D (zero-width joiner)'],
  ])('%s is refused by sudi check with FILE:LINE and what a valid URL looks like', async (_what, link, named) => {
    await writeFile(file, issueFile({ link }));
    const r = await run(['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:13: papers.0.links.code: contains ${named}`);
    expect(r.stderr).toMatch(/\(expected a URL without spaces, control or invisible characters, e\.g\. https:\/\/arxiv\.org\/abs\/2404\.08634/);
    // Nothing is built from an issue set with a bad link.
    expect((await run(['build'])).code).toBe(2);
  });

  it('a valid URL with percent-encoded space and query still passes', async () => {
    await writeFile(file, issueFile({ link: 'https://example.org/a%20b?x=1&y=%E2%80%AE' }));
    const r = await run(['check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('bidi controls and zero-width characters in issue text', () => {
  const text = {
    title: `${RLO}ydutS LTR${PDF} weekly`,
    titleEn: `Pre${ZWSP}-training`,
    abstract: `摘要${RLM}内容`,
    note: `Note with a hidden${ZWSP} space.\nSecond line ${RLO}evil${PDF}.`,
  };

  it('sudi check removes them with a warning naming the file, line, field and character; exit 0', async () => {
    await writeFile(file, issueFile(text));
    const r = await run(['check']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `${file}:2: warning: title: removed U+202E (right-to-left override), U+202C (pop directional formatting): invisible characters that reorder or hide text (kept the text without them; expected plain text)`,
      expect.stringMatching(new RegExp(`^${escape(file)}:8: warning: papers\\.0\\.title\\.en: removed U\\+200B \\(zero-width space\\)`)),
      expect.stringMatching(new RegExp(`^${escape(file)}:11: warning: papers\\.0\\.abstract\\.zh: removed U\\+200F \\(right-to-left mark\\)`)),
      expect.stringMatching(new RegExp(`^${escape(file)}:15: warning: note: removed U\\+200B`)),
      expect.stringMatching(new RegExp(`^${escape(file)}:16: warning: note: removed U\\+202E .*U\\+202C`)),
    ]);
  });

  it('the built pages and feeds and the email subject carry the text without them', async () => {
    await writeFile(file, issueFile(text));
    const b = await run(['build']);
    expect(b.code, b.stderr).toBe(0);
    for (const f of ['feed.xml', 'atom.xml', 'feed.json', 'index.html', 'issues/2024-04-15/index.html']) {
      const body = await readFile(path.join(dir, 'public', f), 'utf8');
      expect(body, f).not.toMatch(INVISIBLE);
    }
    const json = JSON.parse(await readFile(path.join(dir, 'public', 'feed.json'), 'utf8')) as { items: { title: string; content_html: string }[] };
    expect(json.items[0]!.title).toBe('ydutS LTR weekly');
    expect(json.items[0]!.content_html).toContain('Pre-training');
    expect(json.items[0]!.content_html).toContain('摘要内容');
    expect(json.items[0]!.content_html).toContain('Second line evil.');

    const s = await run(['send', '2024-04-15', '--dry-run']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/subject: +ydutS LTR weekly\n/);
    expect(s.stdout).not.toMatch(INVISIBLE);
  });

  it('the zero-width joiner in an emoji sequence is kept', async () => {
    await writeFile(file, issueFile({ titleEn: 'Scientist 👩\u200D🔬' }));
    const r = await run(['check']);
    expect(r.stderr).toBe('');
    expect((await run(['build'])).code).toBe(0);
    const json = JSON.parse(await readFile(path.join(dir, 'public', 'feed.json'), 'utf8')) as { items: { content_html: string }[] };
    expect(json.items[0]!.content_html).toContain('Scientist 👩\u200D🔬');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
