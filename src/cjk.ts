/**
 * Whether text is written (partly) in Chinese, Japanese or Korean script: what a reader of the
 * English edition cannot read. Decides which title and which note an edition shows, the English
 * site title's default, and how a subject is encoded (delivery/message.ts).
 */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/u;

export function hasCjk(s: string): boolean {
  return CJK.test(s);
}
