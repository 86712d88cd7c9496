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
  ])('%j → %s', (input, want) => expect(normalizeEmail(input)).toBe(want));

  it.each([
    ['', /is empty/],
    ['   ', /is empty/],
    ['ann', /not an email address/],
    ['ann@', /not an email address/],
    ['@example.org', /not an email address/],
    ['a b@example.org', /not an email address/],
    ['a@b', /not an email address/],
    ['"quoted"@example.org', /not an email address/],
    ['ann@example.org\u0000', /invalid domain|not an email/],
    ['<script>@example.org', /not an email address/],
    ['ann@example.org,bob@example.org', /not an email address/],
    ['ann@exa mple.org', /invalid domain|not an email/],
    [`${'a'.repeat(65)}@example.org`, /longer than 64/],
    [`a@${'b'.repeat(250)}.org`, /longer than 254/],
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
