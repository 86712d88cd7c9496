import { describe, expect, it } from 'vitest';
import { SudiError } from '../../src/errors.ts';
import { checkEmail, normalizeEmail } from '../../src/subscribers/normalize-email.ts';

describe('normalizeEmail', () => {
  it.each([
    [' Ann@Example.ORG ', 'ann@example.org'],
    ['a.b+tag@sub.example.co.uk', 'a.b+tag@sub.example.co.uk'],
    ["o'brien@example.ie", "o'brien@example.ie"],
    ['x@Bücher.de', 'x@xn--bcher-kva.de'],
    ['\tann@example.org\r\n', 'ann@example.org'],
    // Internationalized domains (IDNA/UTS #46 to punycode) and RFC 6531 local parts.
    ['用户@例子.中国', '用户@xn--fsqu00a.xn--fiqs8s'],
    ['user@пример.рф', 'user@xn--e1afmkfd.xn--p1ai'],
    ['User@Пример.РФ', 'user@xn--e1afmkfd.xn--p1ai'],
    ['Пользователь@пример.рф', 'пользователь@xn--e1afmkfd.xn--p1ai'],
    ['ann@xn--e1afmkfd.xn--p1ai', 'ann@xn--e1afmkfd.xn--p1ai'],
    ['ann@例子。中国', 'ann@xn--fsqu00a.xn--fiqs8s'],
    ['jose\u0301@example.org', 'jos\u00e9@example.org'],
    [`ann@${'b'.repeat(63)}.org`, `ann@${'b'.repeat(63)}.org`],
    ['ann@sub-domain.example.co.uk', 'ann@sub-domain.example.co.uk'],
  ])('%j → %s', (input, want) => expect(normalizeEmail(input)).toBe(want));

  it.each([
    ['', /is empty/],
    ['   ', /is empty/],
    ['ann', /not an email address/],
    ['ann@', /not an email address/],
    ['@example.org', /not an email address/],
    ['a b@example.org', /contains U\+0020 \(space\)/],
    ['a@b', /not an email address/],
    ['"quoted"@example.org', /not an email address/],
    ['ann@example.org\u0000', /contains U\+0000 \(control character\)/],
    ['<script>@example.org', /not an email address/],
    ['ann@example.org,bob@example.org', /not an email address/],
    ['ann@exa mple.org', /contains U\+0020/],
    [`${'a'.repeat(65)}@example.org`, /longer than 64/],
    [`a@${'b'.repeat(250)}.org`, /longer than 254/],
    [`ann@${'b'.repeat(64)}.org`, /domain label of 64 characters \(at most 63/],
    [`ann@${'b'.repeat(64)}.例子.中国`, /domain label of 64 characters/],
    [`${'用'.repeat(22)}@example.org`, /longer than 64/], // 66 octets of UTF-8
    [`${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}.org`, /longer than 254/],
    ['a..b@example.org', /not an email address/],
    ['.a@example.org', /not an email address/],
    ['a.@example.org', /not an email address/],
    ['😀@example.org', /not an email address/],
    ['ann@-example.org', /invalid domain/],
    ['ann@example-.org', /invalid domain/],
    ['ann@example.org.', /invalid domain/],
    ['ann@example.123', /invalid domain/],
    ['ann@example.c0m', /invalid top-level domain/],
    ['ann@exa_mple.org', /invalid domain/],
    ['a\u202Eb@example.org', /contains U\+202E \(right-to-left override\)/],
    ['ann@exa\u200Bmple.org', /contains U\+200B \(zero-width space\)/],
    ['ann\n@example.org', /contains U\+000A/],
  ])('refuses %j with a clear message', (input, reason) => {
    const r = checkEmail(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(reason);
      expect(r.reason).toContain('name@example.org');
    }
    expect(() => normalizeEmail(input)).toThrow(SudiError);
  });

  it('refuses non-strings and quotes only a bounded slice of the input in the error', () => {
    expect(checkEmail(undefined)).toEqual({ ok: false, reason: expect.stringMatching(/missing/) });
    expect(checkEmail(['a@example.org'])).toMatchObject({ ok: false });
    const e = (() => {
      try {
        normalizeEmail('x'.repeat(10_000));
      } catch (err) {
        return err as SudiError;
      }
    })()!;
    expect(e.code).toBe('E_USAGE');
    expect(e.message.length).toBeLessThan(250);
  });
});
