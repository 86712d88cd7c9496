/**
 * The week's draft, assembled by the schedule (DRAFT_SCHEDULE): Hugging Face's papers of the
 * current ISO week in TZ with at least DRAFT_MIN_UPVOTES (and at most DRAFT_PAPERS), completed from
 * arXiv, titled like the digest, machine-translated when a translator is given, written as
 * `issues/<Monday>.md` with status: draft, and announced to EDITOR_EMAIL with a preview link and what
 * still needs a person. It never marks anything ready and never replaces an existing file: once the
 * week's file exists (made by this job or by hand), a tick does nothing.
 */
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { loadTagVocabulary } from '../content/tags.ts';
import { isoWeekOf } from '../content/week.ts';
import { writeIssueFile } from '../content/write-issue-file.ts';
import { composeMessage } from '../delivery/compose.ts';
import type { Transport } from '../delivery/transport.ts';
import { isSudiError } from '../errors.ts';
import type { LineLog } from '../log.ts';
import { siteUrls } from '../site-urls.ts';
import { mailDomain } from '../subscribers/confirmation-mail.ts';
import { localDate, mondayOf } from '../time.ts';
import { papersFromHf } from '../sources/assemble.ts';
import { describeCut } from '../sources/hugging-face.ts';
import type { PaperData } from '../sources/paper-fields.ts';
import type { Sources } from '../sources/paper-sources.ts';
import { mergePapers, needsPerson, newWeekIssue, renderIssueFile, translateDraft, type TranslateIssue } from '../sources/week-issue.ts';

export interface DraftDeps {
  config: Config;
  now: () => Date;
  log: LineLog;
  sources: Sources;
  /** Where the editor's mail goes (the App's transport: SMTP or the outbox). */
  transport: () => Transport;
  translate?: TranslateIssue;
}

export type DraftReport =
  | { outcome: 'exists'; week: string; file: string }
  | { outcome: 'no papers'; week: string; file: string; listed: number }
  | { outcome: 'created'; week: string; file: string; papers: number; needs: string[]; mailedTo: string | null };

export async function assembleWeekDraft(deps: DraftDeps): Promise<DraftReport> {
  const { config } = deps;
  const settings = config.draft ?? { minUpvotes: 45, maxPapers: undefined };
  const today = localDate(deps.now(), config.tz);
  const week = isoWeekOf(today);
  const monday = mondayOf(today);
  const file = path.join(config.issuesDir, `${monday}.md`);
  // Checked before asking anyone: a week that has its file costs the sources nothing.
  if (await exists(file)) return { outcome: 'exists', week, file };

  const cut = { minUpvotes: settings.minUpvotes, top: settings.maxPapers };
  // Suggested tags are the vocabulary's, so the draft passes `check`; a broken tags.yml fails the tick before any request.
  const vocabulary = await loadTagVocabulary(config.issuesDir);
  const hf = await papersFromHf(deps.sources, { week }, cut, config.tz, vocabulary);
  if (hf.papers.length === 0) return { outcome: 'no papers', week, file, listed: hf.all };

  let data = mergePapers(newWeekIssue(monday, config.tz), hf.papers).data;
  data = await translateDraft(data, deps.translate, { config, log: deps.log });
  const text = renderIssueFile({ file, note: '', comment: `Assembled by DRAFT_SCHEDULE from Hugging Face's ${week} (${describeCut(cut)}). Review, then set status: ready.` }, data);
  try {
    await writeIssueFile(file, text, { create: true });
  } catch (e) {
    // Written by someone else since the check above: theirs stays.
    if (isSudiError(e) && e.code === 'E_CONFLICT') return { outcome: 'exists', week, file };
    throw e;
  }
  const needs = needsPerson(data);
  let mailedTo: string | null = null;
  if (config.editorEmail) {
    const mail = draftMail(config, {
      id: monday,
      week,
      file,
      title: data.title,
      papers: data.papers,
      needs,
      cut: describeCut(cut),
      unmatched: vocabulary ? { file: vocabulary.file, papers: hf.unmatched } : null,
    });
    const msg = await composeMessage({
      from: config.mailFrom,
      to: config.editorEmail,
      subject: mail.subject,
      text: mail.text,
      date: deps.now(),
      messageId: `<draft.${monday}.${randomUUID()}@${mailDomain(config.mailFrom)}>`,
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
    const sent = await deps.transport().send(msg);
    if (!sent.accepted) deps.log(`draft ${file} was written, but the mail to EDITOR_EMAIL was not accepted: ${sent.response}`);
    else mailedTo = config.editorEmail;
  }
  return { outcome: 'created', week, file, papers: data.papers.length, needs, mailedTo };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** The editor's mail (plain text): where the draft is, how to look at it, what only a person can do. Pure. */
export function draftMail(
  config: Pick<Config, 'siteUrl'>,
  d: {
    id: string;
    week: string;
    file: string;
    title: string;
    papers: readonly PaperData[];
    needs: readonly string[];
    cut: string;
    /** Keywords no tag of the vocabulary matched, per paper; null without a vocabulary. */
    unmatched?: { file: string; papers: readonly { paper: string; keywords: readonly string[] }[] } | null;
  },
): { subject: string; text: string } {
  const unmatched = d.unmatched?.papers.length
    ? [`Suggested tags not in ${d.unmatched.file} (add those worth a tag there, as a tag or in a tag's match: list):`, ...d.unmatched.papers.map((u) => `- ${u.paper}: ${u.keywords.join(', ')}`), '']
    : [];
  const lines = [
    `Sudi assembled the draft of ${d.title} from Hugging Face's papers of ${d.week} (${d.cut}): ${d.papers.length} paper(s).`,
    '',
    `File: ${d.file} (status: draft; nothing is sent until you set status: ready)`,
    `Preview: run \`sudi preview ${d.id}\` and open http://127.0.0.1:4000/`,
    `Its page once ready and published: ${siteUrls(config).issue(d.id)}`,
    '',
    'Still needs a person:',
    ...d.needs.map((n) => `- ${n}`),
    '- read every paper, keep the ones that belong in the issue, write the note if you like',
    `- then set status: ready (\`sudi check\` names anything still missing)`,
    '',
    'Papers:',
    ...d.papers.map((p, i) => `${i + 1}. ${p.title.en}${p.popularity ? ` (${p.popularity.upvotes} upvotes)` : ''}\n   ${p.links?.abs ?? p.links?.hf ?? ''}`),
    '',
    ...unmatched,
  ];
  return { subject: `Draft to review: ${d.title}`, text: lines.join('\n') };
}
