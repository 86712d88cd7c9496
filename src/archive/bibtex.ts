/**
 * A paper's BibTeX, generated locally in arXiv's own `@misc` + `eprint` style:
 *
 *   @misc{arxiv2404.08634,
 *     title = {{Pre-training Small Base LMs with Fewer Tokens}},
 *     author = {Sanyal, Sunny and …},
 *     year = {2024},
 *     eprint = {2404.08634},
 *     archivePrefix = {arXiv},
 *     url = {https://arxiv.org/abs/2404.08634},
 *   }
 *
 * The key depends only on the paper's slug (arXiv id, other id, or issue and position), never on
 * authors or title, so it stays the same when the entry is enriched later. The year is that of
 * `published` (the first arXiv version), else the id's YYMM, else the listing issue's. Text goes in
 * braces with every character special to BibTeX or LaTeX written as a command, so braces stay
 * balanced whatever a title holds; titles are double-braced to keep their capitals.
 */
import type { Paper } from '../model.ts';

const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '{': '\\{',
  '}': '\\}',
  $: '\\$',
  '&': '\\&',
  '%': '\\%',
  '#': '\\#',
  _: '\\_',
  // Not `\^{}` / `\~{}`: those are accents, and put a circumflex or tilde over the next letter.
  '^': '\\textasciicircum{}',
  '~': '\\textasciitilde{}',
};

/**
 * Field text: LaTeX specials escaped, line breaks and controls as spaces. `\{` and `\}` keep the
 * field's braces balanced because every brace is escaped the same way (BibTeX counts them all).
 */
export function bibtexText(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\{}$&%#_^~]/g, (c) => LATEX_SPECIALS[c] as string);
}

export interface BibtexInput {
  slug: string;
  arxivId: string | null;
  paper: Paper;
  /** The listing issue's week start, the year of last resort. */
  issueId: string;
  /** The paper page, cited when there is no arXiv URL. */
  pageUrl: string;
}

/** A name holding the word "and" is braced, or BibTeX would read it as two people. */
function authorName(name: string): string {
  const text = bibtexText(name);
  return /\band\b/i.test(text) ? `{${text}}` : text;
}

export function bibtexKey(slug: string, arxivId: string | null): string {
  return arxivId ? `arxiv${arxivId}` : `sudi-${slug.replace(/[^A-Za-z0-9.-]/g, '-')}`;
}

export function bibtexYear(paper: Paper, arxivId: string | null, issueId: string): string {
  if (paper.published) return paper.published.slice(0, 4);
  if (arxivId) return `20${arxivId.slice(0, 2)}`;
  return issueId.slice(0, 4);
}

export function renderBibtex({ slug, arxivId, paper, issueId, pageUrl }: BibtexInput): string {
  const fields: [string, string][] = [['title', `{${bibtexText(paper.title.en)}}`]];
  if (paper.authors && paper.authors.length > 0) fields.push(['author', paper.authors.map(authorName).join(' and ')]);
  fields.push(['year', bibtexYear(paper, arxivId, issueId)]);
  if (arxivId) fields.push(['eprint', arxivId], ['archivePrefix', 'arXiv'], ['url', `https://arxiv.org/abs/${arxivId}`]);
  // Serialized URLs never hold braces or backslashes (the URL parser percent-encodes them), and a
  // url field is read verbatim, so it goes in as it is.
  else fields.push(['url', new URL(pageUrl).href]);
  return `@misc{${bibtexKey(slug, arxivId)},\n${fields.map(([k, v]) => `  ${k} = {${v}},`).join('\n')}\n}\n`;
}
