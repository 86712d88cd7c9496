/**
 * What one line of a digest looks like: an English title, Chinese text, a bare link, or page chrome.
 * Pure predicates, kept apart from the importer's state machine so each rule is testable alone.
 */

export interface DigestLine {
  /** 1-based line number in the digest file. */
  no: number;
  /** The line without surrounding whitespace ('' for a blank line). */
  text: string;
}

const HAN = /\p{Script=Han}/u;
/** CJK scripts plus CJK punctuation and full-width forms: none of them belongs in an English title. */
const ANY_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303F\uFF00-\uFFEF]/u;
const URL = /(?:https?:\/\/|www\.)\S+/i;
const URLS = new RegExp(URL.source, 'gi');

/**
 * Page chrome, matched as whole lines (or a line made only of these words, e.g. "发送评论 编辑评论"),
 * so an abstract or a title that merely mentions one of them is never cut.
 */
const CHROME_WORDS = new Set(
  [
    '暂无评论', '发表评论', '发送评论', '编辑评论', '评论', '评论区', '留言', '颜文字', '相关文章', '相关推荐',
    '分享', '分享到', '返回顶部', '上一篇', '下一篇', '阅读全文', '点赞', '打赏', '取消回复',
    'leave a reply', 'leave a comment', 'comments', 'no comments', 'previous post', 'next post', 'share this:',
    'related posts',
  ].map((w) => w.toLowerCase()),
);
const CHROME_LINE = [
  /^(上一篇|下一篇)\s*[:：]/, // 上一篇：<previous page title>
  /^(共\s*)?\d+\s*条评论$/,
  /^评论\s*[(（]\d+[)）]$/,
  /^Source:\s*(https?:\/\/)?[\w.-]+\.[a-z]{2,}\/\S*$/i, // an emoji widget's credit line, e.g. "Source: github.com/k4yt3x/flowerhd"
];

export function classifyLine(text: string): 'blank' | 'chrome' | 'text' {
  if (text === '') return 'blank';
  const lower = text.toLowerCase();
  if (CHROME_WORDS.has(lower) || CHROME_LINE.some((re) => re.test(text))) return 'chrome';
  const words = text.split(/\s+/);
  if (words.length > 1 && words.every((w) => CHROME_WORDS.has(w.toLowerCase()))) return 'chrome';
  return 'text';
}

export function hasCjk(text: string): boolean {
  return HAN.test(text);
}

/** One line of mostly Latin letters, no CJK and no URL: "Pre-training Small Base LMs with Fewer Tokens". */
export function isEnglishTitle(text: string): boolean {
  if (text === '' || ANY_CJK.test(text) || isLinkLine(text) || /https?:\/\//i.test(text)) return false;
  const letters = text.match(/\p{L}/gu) ?? [];
  const latin = text.match(/\p{Script=Latin}/gu) ?? [];
  // A run of two Latin letters rules out emoticons such as "o(*////▽////*)q".
  return /\p{Script=Latin}{2}/u.test(text) && latin.length * 2 >= letters.length;
}

/** A line that is only a link, maybe labelled: "https://…", "代码: https://…", "Code: https://…". */
export function isLinkLine(text: string): boolean {
  const first = text.search(URL);
  if (first < 0) return false;
  const label = text.slice(0, first).replace(/[\s:：]/g, '');
  const rest = text.slice(first).replace(URLS, '').replace(/[\s,，;；。.、]/g, '');
  return [...label].length <= 10 && rest === '';
}

/** A Chinese line that reads like an abstract rather than a title: a sentence, or long. */
export function looksLikeAbstract(text: string): boolean {
  return /[。！？]/.test(text) || [...text].length > 80;
}
