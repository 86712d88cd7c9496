/**
 * Personalization: one rendering, many Subscribers. Each filled message carries its own URLs,
 * escaped for HTML and verbatim in the text part, exactly once per place, and nothing of anyone else's.
 */
import { describe, expect, it } from 'vitest';
import { isSudiError } from '../../src/errors.ts';
import { HTML_PLACEHOLDERS, personalize, renderEmail, TEXT_PLACEHOLDERS, type RenderedEmail } from '../../src/render/email.ts';
import { personalParts, slotValues } from '../../src/render/personalize.ts';
import { escapeHtml } from '../../src/render/html-text.ts';
import { adversarialIssue, NOW, seedIssue, testConfig } from './fixtures.ts';

const count = (hay: string, needle: string) => hay.split(needle).length - 1;

const alice = {
  unsubscribeUrl: "https://news.example.org/digest/unsubscribe/AAA.alice?x=1&y='2'&z=\"3\"",
  preferencesUrl: 'https://news.example.org/digest/preferences/AAA.alice?tab=lang&v=<1>',
  // Quotes, an ampersand and a non-ASCII local part are all valid in an address.
  recipient: `"o'alice&co"+ä@example.org`,
};
const bob = {
  unsubscribeUrl: 'https://news.example.org/digest/unsubscribe/BBB.bob?x=9&y=8',
  preferencesUrl: 'https://news.example.org/digest/preferences/BBB.bob',
  recipient: 'bob@example.net',
};

async function render(): Promise<RenderedEmail> {
  return renderEmail(seedIssue(), { config: testConfig(), now: NOW });
}

describe('personalize', () => {
  it('fills each place once, escaped in HTML and verbatim in text, with nothing of another recipient', async () => {
    const rendered = await render();
    const places = {
      html: { unsub: count(rendered.html, HTML_PLACEHOLDERS.unsubscribeUrl), prefs: count(rendered.html, HTML_PLACEHOLDERS.preferencesUrl), to: count(rendered.html, HTML_PLACEHOLDERS.recipient) },
      text: { unsub: count(rendered.text, TEXT_PLACEHOLDERS.unsubscribeUrl), prefs: count(rendered.text, TEXT_PLACEHOLDERS.preferencesUrl), to: count(rendered.text, TEXT_PLACEHOLDERS.recipient) },
    };
    // The bilingual footer names the recipient in both languages.
    expect(places).toEqual({ html: { unsub: 1, prefs: 1, to: 2 }, text: { unsub: 1, prefs: 1, to: 2 } });

    const a = personalize(rendered, alice);
    const b = personalize(rendered, bob);
    expect(count(a.html, escapeHtml(alice.unsubscribeUrl))).toBe(places.html.unsub);
    expect(count(a.html, escapeHtml(alice.preferencesUrl))).toBe(places.html.prefs);
    // The raw forms (with & " ' <) never reach the HTML.
    expect(a.html).not.toContain(alice.unsubscribeUrl);
    expect(a.html).not.toContain(alice.preferencesUrl);
    expect(a.html).toContain('AAA.alice?x&#61;1&amp;y&#61;&#39;2&#39;&amp;z&#61;&quot;3&quot;');
    expect(count(a.text, alice.unsubscribeUrl)).toBe(places.text.unsub);
    expect(count(a.text, alice.preferencesUrl)).toBe(places.text.prefs);
    expect(count(a.html, '&quot;o&#39;alice&amp;co&quot;+ä@example.org')).toBe(places.html.to);
    expect(count(a.text, alice.recipient)).toBe(places.text.to);
    expect(a.html).not.toContain(alice.recipient);
    // Every URL stands on its own line in the text part.
    expect(a.text.split('\n')).toContain(alice.unsubscribeUrl);

    for (const leftover of [...Object.values(HTML_PLACEHOLDERS), ...Object.values(TEXT_PLACEHOLDERS), 'sudi:', '\uFFFF']) {
      expect(a.html).not.toContain(leftover);
      expect(a.text).not.toContain(leftover);
    }
    for (const other of ['BBB', 'bob']) {
      expect(a.html).not.toContain(other);
      expect(a.text).not.toContain(other);
    }
    expect(b.html).not.toContain('alice');
    expect(b.text).not.toContain('alice');
    // Personalizing is pure: the rendering is unchanged and the same input gives the same output.
    expect(personalize(rendered, alice)).toEqual(a);
    expect(rendered.html).toContain(HTML_PLACEHOLDERS.unsubscribeUrl);
  });

  it('gives the same result as a plain replace, also on a copy of the rendering (e.g. passed between workers)', async () => {
    const rendered = await render();
    const copy = structuredClone(rendered);
    const byReplace = {
      html: rendered.html
        .replaceAll(HTML_PLACEHOLDERS.unsubscribeUrl, escapeHtml(bob.unsubscribeUrl))
        .replaceAll(HTML_PLACEHOLDERS.preferencesUrl, escapeHtml(bob.preferencesUrl))
        .replaceAll(HTML_PLACEHOLDERS.recipient, escapeHtml(bob.recipient)),
      text: rendered.text
        .replaceAll(TEXT_PLACEHOLDERS.unsubscribeUrl, bob.unsubscribeUrl)
        .replaceAll(TEXT_PLACEHOLDERS.preferencesUrl, bob.preferencesUrl)
        .replaceAll(TEXT_PLACEHOLDERS.recipient, bob.recipient),
    };
    expect(personalize(copy, bob)).toEqual(byReplace);
    expect(personalize(rendered, bob)).toEqual(byReplace);
  });

  it('the values the delivery engine splices in are the ones personalize joins, in slot order', async () => {
    const rendered = await renderEmail(adversarialIssue(), { config: testConfig(), now: NOW });
    const parts = personalParts(rendered);
    for (const who of [alice, bob]) {
      const v = slotValues(parts, who);
      const join = (statics: readonly string[], values: string[]) => statics.map((s, i) => s + (values[i] ?? '')).join('');
      expect(join(parts.html.statics, v.html)).toBe(personalize(rendered, who).html);
      expect(join(parts.text.statics, v.text)).toBe(personalize(rendered, who).text);
    }
  });

  it('content that imitates a placeholder is not filled', async () => {
    const rendered = await renderEmail(adversarialIssue(), { config: testConfig(), now: NOW });
    const a = personalize(rendered, alice);
    expect(count(a.html, escapeHtml(alice.unsubscribeUrl))).toBe(1);
    expect(count(a.text, alice.unsubscribeUrl)).toBe(1);
    // The abstract's literal text survives (encoded in HTML, verbatim in text).
    expect(a.html).toContain('&#123;%sudi:unsubscribe-url%&#125;');
    expect(a.text).toContain('{%sudi:unsubscribe-url%}');
  });

  it('rejects values that are not plain http(s) URLs', async () => {
    const rendered = await render();
    for (const bad of ['javascript:alert(1)', 'https://x.org/a\nBcc: victim@example.org', 'https://x.org/a b', '/relative/unsubscribe', 'https://x.org/\uFFFF']) {
      let err: unknown;
      try {
        personalize(rendered, { ...alice, unsubscribeUrl: bad });
      } catch (e) {
        err = e;
      }
      expect(isSudiError(err) && err.code === 'E_CONFIG').toBe(true);
      err = undefined;
      try {
        slotValues(personalParts(rendered), { ...alice, preferencesUrl: bad });
      } catch (e) {
        err = e;
      }
      expect(isSudiError(err) && err.code === 'E_CONFIG').toBe(true);
    }
  });

  it('rejects a recipient that is not one address on one line', async () => {
    const parts = personalParts(await render());
    for (const bad of ['', 'no-at-sign', 'a@b\nBcc: victim@example.org', 'a b@example.org', 'a@b@c', 'a@example.org\uFFFF']) {
      let err: unknown;
      try {
        slotValues(parts, { ...alice, recipient: bad });
      } catch (e) {
        err = e;
      }
      expect(isSudiError(err) && err.code === 'E_CONFIG', JSON.stringify(bad)).toBe(true);
    }
  });
});
