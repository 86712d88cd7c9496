import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { renderEmail } from '../../src/render/email.ts';
import { parseIssue } from '../../src/content/parse-issue.ts';

describe('TRANSLATE_* settings', () => {
  it('unset: no translation; set: base URL without trailing slash, concurrency 4 and 120 s by default', () => {
    expect(parseConfig({}, '/tmp').translate).toBeUndefined();
    const c = parseConfig({ TRANSLATE_URL: 'https://api.deepseek.com/v1/', TRANSLATE_MODEL: 'deepseek-chat', TRANSLATE_API_KEY: 'sk-1' }, '/tmp');
    expect(c.translate).toEqual({ url: 'https://api.deepseek.com/v1', model: 'deepseek-chat', apiKey: 'sk-1', concurrency: 4, timeoutMs: 120_000 });
    const tuned = parseConfig(
      { TRANSLATE_URL: 'http://127.0.0.1:11434/v1', TRANSLATE_MODEL: 'qwen2.5:7b', TRANSLATE_API_KEY: 'ollama', TRANSLATE_CONCURRENCY: '8', TRANSLATE_TIMEOUT_SECONDS: '0.5' },
      '/tmp',
    );
    expect(tuned.translate).toMatchObject({ concurrency: 8, timeoutMs: 500 });
  });

  it.each([
    [{ TRANSLATE_URL: 'ftp://example.org' }, /TRANSLATE_URL: must start with https:\/\/ or http:\/\//],
    [{ TRANSLATE_URL: 'https://user:pw@api.example.org' }, /TRANSLATE_URL: must not contain a user name, password/],
    [{ TRANSLATE_CONCURRENCY: '0' }, /TRANSLATE_CONCURRENCY/],
    [{ TRANSLATE_TIMEOUT_SECONDS: 'soon' }, /TRANSLATE_TIMEOUT_SECONDS/],
    [{ TRANSLATE_MODEL: 'deepseek\nchat' }, /TRANSLATE_MODEL: contains a control character/],
  ])('refuses %j', (env, says) => {
    const full = { TRANSLATE_URL: 'https://api.example.org', TRANSLATE_MODEL: 'm', TRANSLATE_API_KEY: 'k', ...env };
    let problems = '';
    try {
      parseConfig(full, '/tmp');
    } catch (e) {
      problems = ((e as { problems: string[] }).problems ?? []).join('\n') + String(e);
    }
    expect(problems).toMatch(says);
  });
});

describe('a draft without its Chinese title still previews', () => {
  it('renders every edition with the English title once, never an empty Chinese heading', async () => {
    const issue = parseIssue(
      '2024-04-15.md',
      `---
title: 每周AI论文速递 (240415-240419)
week: { start: 2024-04-15, end: 2024-04-19 }
publish_at: 2024-04-20T09:00:00+08:00
status: draft
papers:
  - title: { en: "Fetched English Title" }
    abstract: { en: "An abstract." }
---
`,
    );
    const config = parseConfig({}, '/tmp');
    for (const lang of ['zh', 'en', 'both'] as const) {
      const { text } = await renderEmail(issue, { config, now: new Date('2024-04-20T01:00:00Z'), lang });
      expect(text.split('Fetched English Title').length - 1, lang).toBe(1);
      expect(text, lang).toMatch(/^1\. Fetched English Title$/m);
      expect(text).not.toContain('undefined');
    }
  });
});
