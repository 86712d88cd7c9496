/**
 * Guessing the admin token: every failure is logged with the client's address, and a client that
 * keeps failing gets 429 (the right token included) while other clients are unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILED_TOKEN_LIMIT } from '../../src/http/admin-routes.ts';
import { requestFrom } from './nginx-proxy.ts';
import { startWebFixture, type WebFixture } from './web-fixture.ts';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

let w: WebFixture;
beforeAll(async () => {
  w = await startWebFixture({ ADMIN_TOKEN });
});
afterAll(async () => {
  await w.close();
});

/** From a loopback address of its own: one client per address. */
const attempt = (from: string, token: string | undefined) =>
  requestFrom(from, `${w.url}/admin/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    // An issue that does not exist: the right token gets 404, and no Send ever starts.
    body: JSON.stringify({ issue: '2023-01-02' }),
  });

describe('POST /admin/send with wrong tokens', () => {
  it(`answers 401 to the first ${FAILED_TOKEN_LIMIT} failures, logging each with the address, then 429 even for the right token`, async () => {
    const from = '127.0.0.7';
    const statuses: number[] = [];
    for (let i = 0; i < FAILED_TOKEN_LIMIT; i++) statuses.push((await attempt(from, i === 0 ? undefined : `guess-${i}-0123456789`)).status);
    expect(statuses).toEqual(Array(FAILED_TOKEN_LIMIT).fill(401));

    const failures = w.logs.filter((l) => l.startsWith('admin: ') && l.includes('bearer token on POST /admin/send from 127.0.0.7 '));
    expect(failures).toHaveLength(FAILED_TOKEN_LIMIT);
    expect(failures[0]).toBe(`admin: missing bearer token on POST /admin/send from 127.0.0.7 (1 of ${FAILED_TOKEN_LIMIT} failures allowed in 15 min)`);
    expect(failures[FAILED_TOKEN_LIMIT - 1]).toMatch(/^admin: wrong bearer token .* \(10 of 10 failures/);
    expect(w.logs).toContainEqual(expect.stringMatching(/^admin: 127\.0\.0\.7 is refused \(429\) for \d+ s after 10 wrong bearer tokens$/));

    const limited = await attempt(from, 'one-more-guess-0123456789');
    expect(limited.status).toBe(429);
    // The right token too: otherwise a 429 for wrong and a 404 for right would still answer the guess.
    expect((await attempt(from, ADMIN_TOKEN)).status).toBe(429);

    // Another client is not affected, and the right token works there.
    expect((await attempt('127.0.0.8', 'wrong-0123456789abcdef')).status).toBe(401);
    expect((await attempt('127.0.0.8', ADMIN_TOKEN)).status).toBe(404);
  });

  it('does not count requests with the right token', async () => {
    const from = '127.0.0.9';
    for (let i = 0; i < 3 * FAILED_TOKEN_LIMIT; i++) expect((await attempt(from, ADMIN_TOKEN)).status).toBe(404);
    expect((await attempt(from, 'wrong-0123456789abcdef')).status).toBe(401);
    expect(w.logs.filter((l) => l.includes('from 127.0.0.9 '))).toEqual([`admin: wrong bearer token on POST /admin/send from 127.0.0.9 (1 of ${FAILED_TOKEN_LIMIT} failures allowed in 15 min)`]);
  });
});

describe('POST /admin/send under a burst of guesses', () => {
  it('200 wrong tokens sent at once: exactly 10 get 401 and are logged, the rest get 429', async () => {
    const from = '127.0.0.11';
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => attempt(from, `burst-guess-${i}-0123456789`)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(FAILED_TOKEN_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(200 - FAILED_TOKEN_LIMIT);
    const lines = w.logs.filter((l) => l.startsWith('admin: wrong bearer token on POST /admin/send from 127.0.0.11 '));
    // Guesses that were in flight together are counted (and logged) one by one; the ones that
    // arrive after the lock-out are refused before their token is even looked at.
    expect(lines.length).toBeGreaterThanOrEqual(FAILED_TOKEN_LIMIT);
    expect(lines.filter((l) => !l.endsWith(': 429)'))).toHaveLength(FAILED_TOKEN_LIMIT);
  });
});
