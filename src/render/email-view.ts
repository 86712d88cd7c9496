/**
 * Issue + language → the data the email templates see. All decisions about WHAT to show live
 * here (which title leads, which abstract, what to say when one is missing); HOW it looks lives
 * in templates/email/. Two flavours of the same view: `html` (every string already escaped, as
 * Handlebars SafeStrings) and `text` (plain strings, control characters removed).
 *
 * Language variants (the Subscriber's preference):
 * - `both` (default): English title (linked), Chinese title, the Chinese and the English abstract
 *   (whichever exist). Chrome labels in Chinese with English alongside.
 * - `zh`: Chinese title leads (linked), the English title under it as the paper's real name;
 *   the Chinese abstract, or the English one, labelled as such, when there is no Chinese abstract.
 * - `en`: English title (linked), no Chinese title; the English abstract, or, when there is none,
 *   the Chinese abstract labelled "Chinese abstract (no English abstract yet)": a reader can still
 *   translate it, and leaving the paper bare would hide what it is about.
 */
import Handlebars from 'handlebars';
import type { Config } from '../config.ts';
import type { Issue, Lang, Paper } from '../model.ts';
import { siteUrls } from '../site-urls.ts';
import { stripXmlIllegal } from '../xml-chars.ts';
import { escapeHtml, noteHtml, paragraphsHtml } from './html-text.ts';
import { cleanText, noteText, paragraphsText } from './text.ts';

export type Flavour = 'html' | 'text';
type Out<F extends Flavour> = F extends 'html' ? Handlebars.SafeString : string;

export const LANG_TAG = { zh: 'zh-CN', en: 'en' } as const;

/** Preferred order of the link that a paper's title points to. */
const TITLE_LINK_ORDER = ['paper', 'code', 'pdf', 'project'];

const LINK_LABELS: Record<string, { zh: string; en: string }> = {
  paper: { zh: '论文', en: 'Paper' },
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
}

export interface ViewInput {
  issue: Issue;
  config: Pick<Config, 'siteUrl' | 'siteTitle' | 'siteAuthor'>;
  now: Date;
  lang: Lang;
  placeholders: Placeholders;
}

/** Chooses between a Chinese and an English label according to the variant (`中文 / English` for both). */
export function pick(lang: Lang, zh: string, en: string): string {
  return lang === 'zh' ? zh : lang === 'en' ? en : `${zh} / ${en}`;
}

export function subjectOf(issue: Issue): string {
  return cleanText(issue.title).replace(/\s+/g, ' ').trim();
}

/** The preheader: the note's first paragraph, else the paper count and the first titles. */
export function preheaderOf(issue: Issue, lang: Lang): string {
  const firstNoteLine = noteText(issue.note)
    .split('\n')
    .find((l) => l.trim() !== '' && !/^[=\-#>]+$/.test(l.trim()) && !/^(\[\d+\] )?https?:\/\//.test(l));
  const n = issue.papers.length;
  const titles = issue.papers.map((p) => (lang === 'en' ? p.title.en : (p.title.zh ?? p.title.en)));
  const text = firstNoteLine
    ? firstNoteLine
    : lang === 'en'
      ? `${n} paper${n === 1 ? '' : 's'} this week: ${titles.join(' · ')}`
      : `本期 ${n} 篇论文：${titles.join(' · ')}`;
  // Without the note's link reference marks (`a link [1]`): the preheader has no references.
  return truncate(cleanText(text).replace(/ \[\d+\]/g, '').replace(/\s+/g, ' ').trim(), 140);
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
    } else if (lang === 'zh') {
      if (p.abstract.zh !== undefined) add('zh');
      else add('en', '英文摘要');
    } else if (p.abstract.en !== undefined) add('en');
    else add('zh', 'Chinese abstract (no English abstract yet)');

    const url = titleLink(p);
    return {
      number: i + 1,
      id: p.id,
      url: url === undefined ? undefined : s(url),
      heading,
      subheading,
      abstracts,
      links: Object.entries(p.links).map(([name, href]) => {
        const l = LINK_LABELS[name];
        return { name, label: s(l ? pick(lang, l.zh, l.en) : name), url: s(href) };
      }),
      tags: p.tags.map((t) => s(t)),
    };
  });

  const note = html ? noteHtml(stripXmlIllegal(issue.note)) : noteText(issue.note);
  const subject = subjectOf(issue);
  return {
    lang,
    isZh: lang === 'zh',
    isEn: lang === 'en',
    isBoth: lang === 'both',
    htmlLang: lang === 'en' ? LANG_TAG.en : LANG_TAG.zh,
    subject: s(subject),
    preheader: s(preheaderOf(issue, lang)),
    site: { title: s(config.siteTitle), url: s(urls.home), author: s(config.siteAuthor) },
    issue: {
      id: s(issue.id),
      title: s(issue.title),
      weekStart: s(issue.week.start),
      weekEnd: s(issue.week.end),
      url: s(urls.issue(issue.id)),
      paperCount: issue.papers.length,
    },
    note: note === '' ? undefined : raw(note),
    papers,
    feeds: { rss: s(urls.rss), atom: s(urls.atom), json: s(urls.json) },
    // Placeholders are our own tokens, not content: passed through unescaped on purpose.
    unsubscribeUrl: raw(input.placeholders.unsubscribeUrl),
    preferencesUrl: raw(input.placeholders.preferencesUrl),
    year: now.getUTCFullYear(),
  };
}
