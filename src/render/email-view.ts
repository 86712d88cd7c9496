/**
 * Issue + language → the data the email templates see. All decisions about WHAT to show live
 * here (which title leads, which abstract, what to say when one is missing); HOW it looks lives
 * in templates/email/. Two flavours of the same view: `html` (every string already escaped, as
 * Handlebars SafeStrings) and `text` (plain strings, control characters removed).
 *
 * Language editions (the Subscriber's preference):
 * - `both` (default): the issue's (Chinese) title; per paper the English title (linked), the
 *   Chinese title, the Chinese and the English abstract (whichever exist). Chrome labels in
 *   Chinese with English alongside.
 * - `zh`: all chrome in Chinese. Chinese title leads (linked), the English title under it as the
 *   paper's real name (what a reader searches for); the Chinese abstract, or one Chinese line
 *   saying there is none yet.
 * - `en`: nothing but English. Subject and heading are `title_en` (or "Weekly AI Papers
 *   (YYMMDD–YYMMDD)" from the week), the site title is SITE_TITLE_EN; per paper the English title
 *   (linked) and the English abstract, or one English line saying there is none. An editor's note
 *   with Chinese text in it is left out (the `zh` and `both` editions carry it).
 */
import Handlebars from 'handlebars';
import type { Config } from '../config.ts';
import { hasCjk } from '../cjk.ts';
import type { Issue, Lang, Paper } from '../model.ts';
import { siteUrls } from '../site-urls.ts';
import { stripXmlIllegal } from '../xml-chars.ts';
import { escapeHtml, noteHtml, paragraphsHtml } from './html-text.ts';
import { cleanText, noteText, paragraphsText } from './text.ts';

export type Flavour = 'html' | 'text';
type Out<F extends Flavour> = F extends 'html' ? Handlebars.SafeString : string;

export const LANG_TAG = { zh: 'zh-CN', en: 'en' } as const;

/** Preferred order of the link that a paper's title points to. */
const TITLE_LINK_ORDER = ['paper', 'abs', 'code', 'pdf', 'project'];

const LINK_LABELS: Record<string, { zh: string; en: string }> = {
  paper: { zh: '论文', en: 'Paper' },
  abs: { zh: 'arXiv', en: 'arXiv' },
  hf: { zh: 'Hugging Face', en: 'Hugging Face' },
  code: { zh: '代码', en: 'Code' },
  pdf: { zh: 'PDF', en: 'PDF' },
  project: { zh: '项目主页', en: 'Project' },
  demo: { zh: '演示', en: 'Demo' },
  data: { zh: '数据', en: 'Data' },
  video: { zh: '视频', en: 'Video' },
};

export interface Placeholders {
  unsubscribeUrl: string;
  preferencesUrl: string;
  /** The address the message is sent to (named in the footer). */
  recipient: string;
}

/** What an edition says where a paper has no abstract in its language. */
export const NO_ABSTRACT = { zh: '暂无中文摘要。', en: 'English abstract not available.' } as const;

export interface ViewInput {
  issue: Issue;
  config: Pick<Config, 'siteUrl' | 'siteTitle' | 'siteTitleEn' | 'siteAuthor'>;
  now: Date;
  lang: Lang;
  placeholders: Placeholders;
}

/** Chooses between a Chinese and an English label for the edition (`中文 / English` for both). */
export function pick(lang: Lang, zh: string, en: string): string {
  return lang === 'zh' ? zh : lang === 'en' ? en : `${zh} / ${en}`;
}

/** `240415` from `2024-04-15`: the digest's own way of writing a week. */
const yymmdd = (isoDate: string) => isoDate.slice(2).replaceAll('-', '');

/** The English issue title: `title_en`, else "Weekly AI Papers (240415–240419)" from the week. */
export function englishTitleOf(issue: Pick<Issue, 'title_en' | 'week'>): string {
  return issue.title_en ?? `Weekly AI Papers (${yymmdd(issue.week.start)}–${yymmdd(issue.week.end)})`;
}

/** The issue title an edition shows: English for `en`, the issue's own (Chinese) title otherwise. */
export function issueTitleOf(issue: Issue, lang: Lang): string {
  return lang === 'en' ? englishTitleOf(issue) : issue.title;
}

export function subjectOf(issue: Issue, lang: Lang = 'both'): string {
  return cleanText(issueTitleOf(issue, lang)).replace(/\s+/g, ' ').trim();
}

/** The editor's note as an edition carries it: the `en` edition leaves out a note with Chinese text. */
export function noteOf(issue: Issue, lang: Lang): string {
  return lang === 'en' && hasCjk(issue.note) ? '' : issue.note;
}

/**
 * The preheader: the note's first paragraph when it is in the edition's language (any for `both`),
 * else the paper count and the first titles.
 */
export function preheaderOf(issue: Issue, lang: Lang): string {
  const firstNoteLine = noteText(noteOf(issue, lang))
    .split('\n')
    .find((l) => l.trim() !== '' && !/^[=\-#>]+$/.test(l.trim()) && !/^(\[\d+\] )?https?:\/\//.test(l));
  const n = issue.papers.length;
  const titles = issue.papers.map((p) => (lang === 'en' ? p.title.en : (p.title.zh ?? p.title.en)));
  const fits = firstNoteLine !== undefined && (lang !== 'zh' || hasCjk(firstNoteLine));
  const text = fits
    ? firstNoteLine
    : lang === 'en'
      ? `${paperCount(n, 'en')} this week: ${titles.join(' · ')}`
      : `本期 ${paperCount(n, 'zh')}：${titles.join(' · ')}`;
  // Without the note's link reference marks (`a link [1]`): the preheader has no references.
  return truncate(cleanText(text).replace(/ \[\d+\]/g, '').replace(/\s+/g, ' ').trim(), 140);
}

function paperCount(n: number, lang: 'zh' | 'en'): string {
  return lang === 'zh' ? `${n} 篇论文` : `${n} paper${n === 1 ? '' : 's'}`;
}

function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

function titleLink(p: Paper): string | undefined {
  for (const name of TITLE_LINK_ORDER) if (p.links[name]) return p.links[name];
  return Object.values(p.links)[0];
}

export function buildView<F extends Flavour>(flavour: F, input: ViewInput): Record<string, unknown> {
  const { issue, config, now, lang } = input;
  const html = flavour === 'html';
  // Control characters XML forbids are dropped from HTML too: invisible, and a parse error in HTML.
  const s = (v: string): Out<F> => (html ? new Handlebars.SafeString(escapeHtml(stripXmlIllegal(v))) : cleanText(v)) as Out<F>;
  const raw = (v: string): Out<F> => (html ? new Handlebars.SafeString(v) : v) as Out<F>;
  const urls = siteUrls(config);

  const papers = issue.papers.map((p, i) => {
    const en = { text: s(p.title.en), lang: LANG_TAG.en };
    // Only a draft (a preview, a test copy) may lack its Chinese title: ready requires it.
    const zh = p.title.zh === undefined ? en : { text: s(p.title.zh), lang: LANG_TAG.zh };
    const heading = lang === 'zh' ? zh : en;
    const subheading = zh === en ? undefined : lang === 'zh' ? en : lang === 'both' ? zh : undefined;
    const abstracts: { lang: string; label?: Out<F>; body: Out<F> }[] = [];
    const add = (which: 'zh' | 'en', label?: string) => {
      const v = p.abstract[which];
      if (v === undefined) return;
      abstracts.push({
        lang: LANG_TAG[which],
        label: label === undefined ? undefined : s(label),
        body: html ? raw(paragraphsHtml(stripXmlIllegal(v))) : raw(paragraphsText(v)),
      });
    };
    if (lang === 'both') {
      add('zh');
      add('en');
    } else add(lang);
    // One line in the edition's language instead of the other language's abstract.
    const missing = lang !== 'both' && p.abstract[lang] === undefined ? s(NO_ABSTRACT[lang]) : undefined;

    const url = titleLink(p);
    return {
      number: i + 1,
      id: p.id,
      url: url === undefined ? undefined : s(url),
      heading,
      subheading,
      abstracts,
      missing,
      links: Object.entries(p.links).map(([name, href]) => {
        const l = LINK_LABELS[name];
        return { name, label: s(l ? pick(lang, l.zh, l.en) : name), url: s(href) };
      }),
      tags: p.tags.map((t) => s(t)),
    };
  });

  const edition = lang === 'both' ? 'zh' : lang;
  const noteSource = noteOf(issue, lang);
  const note = html ? noteHtml(stripXmlIllegal(noteSource)) : noteText(noteSource);
  const subject = subjectOf(issue, lang);
  const title = issueTitleOf(issue, lang);
  return {
    lang,
    isZh: lang === 'zh',
    isEn: lang === 'en',
    isBoth: lang === 'both',
    htmlLang: lang === 'en' ? LANG_TAG.en : LANG_TAG.zh,
    subject: s(subject),
    preheader: s(preheaderOf(issue, lang)),
    // title: the edition's name for the digest; titleZh / titleEn for the bilingual footer.
    site: { title: s(lang === 'en' ? config.siteTitleEn : config.siteTitle), titleZh: s(config.siteTitle), titleEn: s(config.siteTitleEn), url: s(urls.home), author: s(config.siteAuthor) },
    issue: {
      id: s(issue.id),
      title: s(title),
      weekStart: s(issue.week.start),
      weekEnd: s(issue.week.end),
      // The issue's page in the Archive ("view in browser").
      url: s(urls.issue(issue.id)),
      paperCount: issue.papers.length,
      paperCountLabel: s(paperCount(issue.papers.length, edition)),
    },
    note: note === '' ? undefined : raw(note),
    noteLang: hasCjk(noteSource) ? LANG_TAG.zh : LANG_TAG.en,
    papers,
    feeds: { rss: s(urls.rss), atom: s(urls.atom), json: s(urls.json) },
    // Placeholders are our own tokens, not content: passed through unescaped on purpose.
    unsubscribeUrl: raw(input.placeholders.unsubscribeUrl),
    preferencesUrl: raw(input.placeholders.preferencesUrl),
    recipient: raw(input.placeholders.recipient),
    year: now.getUTCFullYear(),
  };
}
