/**
 * Weekly digest text → issue file text. Pure: text and options in, file text and warnings out.
 *
 * The digest format (see ../shared/seed/): a header `每周AI论文速递(YYMMDD-YYMMDD)`, then per paper an
 * English title line, a Chinese title line and a Chinese abstract paragraph, separated by blank
 * lines, then whatever the web page put after the last paper (comment widget, emoticons, 上一篇/下一篇).
 *
 * How the page chrome is told apart from papers, robustly enough for next week's page:
 * 1. The first line that is a known chrome marker (暂无评论, 发送评论, 上一篇, …; whole lines only, so an
 *    abstract that mentions 评论 is safe) ends the papers.
 * 2. Where an English title is expected after the last complete paper, what is left is unknown
 *    chrome (one line or several, Latin or CJK): dropped, with a warning naming the lines. Unless it
 *    starts like a paper with a part missing (an English title with Chinese text in the next two
 *    lines): that is an error, so a paper is never dropped because one of its parts is missing.
 *    Before the last complete paper, a line that is not an English title is always an error.
 */
import { SudiError } from '../errors.ts';
import { addDays, zonedDateTime } from '../time.ts';
import { XML_ILLEGAL } from '../xml-chars.ts';
import { findLinks } from './digest-links.ts';
import { parseIssue } from './parse-issue.ts';
import { serializeIssue, type IssueData } from './serialize-issue.ts';
import { classifyLine, hasCjk, isEnglishTitle, isLinkLine, looksLikeAbstract, type DigestLine } from './digest-lines.ts';

export interface ImportOptions {
  /** IANA time zone for the default publish time (09:00 the day after the week ends). */
  tz: string;
  /** `status: ready` instead of `draft`. */
  ready?: boolean;
  /** Name used in messages (e.g. the digest's path). Never affects the output. */
  source?: string;
}

export interface ImportResult {
  /** The issue id, i.e. the week start (`2024-04-15`); the file is `<id>.md`. */
  id: string;
  /** The issue file text; it has passed parseIssue. */
  text: string;
  data: IssueData;
  warnings: string[];
}

// An optional Markdown heading mark (`# `) is allowed: digests are sometimes saved from Markdown.
const HEADER = /^(?:#{1,6}\s*)?每周\s*AI\s*论文速递\s*[(（]\s*(\d{2})(\d{2})(\d{2})\s*[-–—~～]\s*(\d{2})(\d{2})(\d{2})\s*[)）]$/;
const HEADER_EXAMPLE = '每周AI论文速递(240415-240419)';
const SHAPE = 'expected per paper: English title, Chinese title, Chinese abstract, separated by blank lines';

export function importDigest(input: string, options: ImportOptions): ImportResult {
  const source = options.source ?? 'digest';
  const warnings: string[] = [];
  const fail = (line: number, message: string): never => {
    throw new SudiError('E_IMPORT', `${source}:${line}: ${message}`);
  };

  const lines = splitLines(input, (line, cp) =>
    warnings.push(`${source}:${line}: removed U+${cp.toString(16).toUpperCase().padStart(4, '0')}, a control character XML forbids`),
  );

  // Header: the first line that matches; anything before it (site navigation) is dropped, with a warning.
  const headerAt = lines.findIndex((l) => HEADER.test(l.text));
  if (headerAt < 0) {
    const first = lines.find((l) => l.text !== '');
    return fail(first?.no ?? 1, `${first ? `"${clip(first.text)}" is not` : 'the digest is empty, no'} a digest header (expected a line like ${HEADER_EXAMPLE})`);
  }
  const header = lines[headerAt] as DigestLine;
  const before = lines.slice(0, headerAt).filter((l) => l.text !== '');
  if (before.length > 0) warnings.push(`${source}:${lineRange(before)}: ignored ${before.length} line(s) before the header`);
  const [, y1, m1, d1, y2, m2, d2] = HEADER.exec(header.text) as RegExpExecArray;
  const start = calendarDate(`20${y1}-${m1}-${d1}`) ?? fail(header.no, `${y1}${m1}${d1} is not a real date (expected YYMMDD, e.g. 240415)`);
  const end = calendarDate(`20${y2}-${m2}-${d2}`) ?? fail(header.no, `${y2}${m2}${d2} is not a real date (expected YYMMDD, e.g. 240419)`);
  if (end < start) fail(header.no, `the week ends (${end}) before it starts (${start}) (expected ${HEADER_EXAMPLE})`);

  // Body: up to the first known chrome marker.
  let body = lines.slice(headerAt + 1);
  const chromeAt = body.findIndex((l) => classifyLine(l.text) === 'chrome');
  if (chromeAt >= 0) body = body.slice(0, chromeAt);

  const papers: IssueData['papers'] = [];
  const ids = new Map<string, number>();
  let i = nextText(body, 0);
  while (i < body.length) {
    const en = body[i] as DigestLine;
    // After the last complete paper: page chrome (one line or many, Latin or CJK alike), unless it
    // starts like a paper with a part missing (an English title with Chinese text right after it).
    if (papers.length > 0 && !paperFollows(body, i) && !brokenPaperAt(body, i)) {
      const dropped = body.slice(i).filter((l) => l.text !== '');
      warnings.push(`${source}:${lineRange(dropped)}: ignored as page chrome after the last paper (starts "${clip(en.text)}")`);
      break;
    }
    if (!isEnglishTitle(en.text)) fail(en.no, `"${clip(en.text)}" is not an English title (${SHAPE}; a title is one line of mostly Latin letters)`);
    const zhAt = nextText(body, i + 1);
    const zh = body[zhAt];
    if (!zh) return fail(en.no, `the paper "${clip(en.text)}" has no Chinese title and no abstract (${SHAPE})`);
    if (!hasCjk(zh.text)) fail(zh.no, `expected the Chinese title of "${clip(en.text)}" (line ${en.no}), got "${clip(zh.text)}" (${SHAPE})`);
    const absAt = nextText(body, zhAt + 1);
    const absFirst = body[absAt];
    if (!absFirst || isEnglishTitle(absFirst.text)) {
      // Two parts where three belong: say which one is missing.
      const where = absFirst ? `before the next English title on line ${absFirst.no}` : 'before the end of the digest';
      if (looksLikeAbstract(zh.text)) fail(zh.no, `the paper "${clip(en.text)}" (line ${en.no}) has no Chinese title: this line looks like its abstract (${SHAPE})`);
      fail(zh.no, `the paper "${clip(en.text)}" (line ${en.no}) has no abstract after its Chinese title, ${where} (${SHAPE})`);
    }
    const abs = absFirst as DigestLine;
    if (!hasCjk(abs.text)) fail(abs.no, `expected the Chinese abstract of "${clip(en.text)}" (line ${en.no}), got "${clip(abs.text)}" (${SHAPE})`);
    // The abstract is the whole paragraph (a wrapped abstract keeps its line breaks).
    let stop = paragraphEnd(body, absAt);
    let abstract = body.slice(absAt, stop).map((l) => l.text).join('\n');
    // A link on its own paragraph after the abstract ("代码: https://…") belongs to this paper.
    for (let j = nextText(body, stop); j < body.length && isLinkLine(body[j]?.text ?? ''); j = nextText(body, stop)) {
      stop = paragraphEnd(body, j);
      abstract += `\n\n${body.slice(j, stop).map((l) => l.text).join('\n')}`;
    }

    const { links, arxivId } = findLinks(abstract);
    const paper: IssueData['papers'][number] = { title: { en: en.text, zh: zh.text }, abstract: { zh: abstract }, links };
    if (arxivId !== undefined) {
      const first = ids.get(arxivId);
      if (first === undefined) {
        ids.set(arxivId, papers.length);
        paper.id = arxivId;
      } else warnings.push(`${source}:${abs.no}: ${arxivId} is already the id of paper ${first + 1}; this paper gets no id`);
    }
    papers.push(paper);
    i = nextText(body, stop);
  }
  if (papers.length === 0) fail(header.no, `no papers after the header (${SHAPE})`);

  const id = start;
  const data: IssueData = {
    title: `每周AI论文速递 (${y1}${m1}${d1}-${y2}${m2}${d2})`,
    week: { start, end },
    publish_at: zonedDateTime(addDays(end, 1), '09:00', options.tz),
    status: options.ready ? 'ready' : 'draft',
    papers,
  };
  const text = serializeIssue(data, {
    comment: 'Imported from a weekly digest by `sudi import`. Edit freely, then run `npx sudi check`.',
  });
  verify(`${id}.md`, text, data, source);
  return { id, text, data, warnings };
}

/** Lines without BOM, line-ending style, surrounding spaces or XML-forbidden characters; numbered from 1. */
function splitLines(input: string, onStripped: (line: number, codePoint: number) => void): DigestLine[] {
  return input
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((raw, n) => {
      for (const m of raw.matchAll(XML_ILLEGAL)) onStripped(n + 1, m[0].codePointAt(0) ?? 0);
      return { no: n + 1, text: raw.replace(XML_ILLEGAL, '').trim() };
    });
}

function paragraphEnd(lines: readonly DigestLine[], from: number): number {
  let i = from;
  while (i < lines.length && lines[i]?.text !== '') i++;
  return i;
}

function nextText(lines: readonly DigestLine[], from: number): number {
  let i = from;
  while (i < lines.length && lines[i]?.text === '') i++;
  return i;
}

/** Is there, at or after `from`, a paragraph-starting English title followed by a CJK title and a CJK abstract? */
function paperFollows(lines: readonly DigestLine[], from: number): boolean {
  for (let i = from; i < lines.length; i++) {
    const l = lines[i] as DigestLine;
    if ((i > 0 && lines[i - 1]?.text !== '') || !isEnglishTitle(l.text)) continue;
    const zh = lines[nextText(lines, i + 1)];
    const abs = lines[nextText(lines, nextText(lines, i + 1) + 1)];
    if (zh && abs && hasCjk(zh.text) && hasCjk(abs.text)) return true;
  }
  return false;
}

/** An English title with Chinese text in one of the next two lines: a paper missing a part, not chrome. */
function brokenPaperAt(lines: readonly DigestLine[], at: number): boolean {
  if (!isEnglishTitle(lines[at]?.text ?? '')) return false;
  const next = nextText(lines, at + 1);
  return [lines[next], lines[nextText(lines, next + 1)]].some((l) => l !== undefined && hasCjk(l.text));
}

function calendarDate(iso: string): string | undefined {
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(iso) ? iso : undefined;
}

/** `12` or `12-20`: where a run of lines is, for messages. */
function lineRange(lines: readonly DigestLine[]): string {
  const first = lines[0]?.no ?? 0;
  const last = lines.at(-1)?.no ?? first;
  return first === last ? String(first) : `${first}-${last}`;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** The output must be a valid issue that reads back as exactly the data imported. */
function verify(fileName: string, text: string, data: IssueData, source: string): void {
  let issue;
  try {
    issue = parseIssue(fileName, text);
  } catch (e) {
    const problems = e instanceof SudiError ? e.problems : [String(e)];
    throw new SudiError('E_IMPORT', `${source}: the imported issue does not validate`, { problems, cause: e });
  }
  issue.papers.forEach((p, n) => {
    const want = data.papers[n];
    if (p.title.en !== want?.title.en || p.title.zh !== want.title.zh || p.abstract.zh !== want.abstract.zh) {
      throw new SudiError('E_IMPORT', `${source}: paper ${n + 1} does not read back as imported (a bug in sudi import; please report it)`);
    }
  });
}
