/**
 * The Console end to end in real Chromium (one browser for the file), against a real server, a
 * real SQLite Store and a real SMTP server: sign in, see the issue and its editions, send a test,
 * start the Send behind its confirmation and watch the Server-Sent Events progress reach done,
 * retry the one failure, and unsubscribe someone; at 375 px too, with no CSP violation or failed
 * load. Screenshots go to tests/artifacts/; with SUDI_UPDATE_SCREENSHOTS=1 also to docs/screenshots/
 * (the README's pictures).
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { startWebFixture, type WebFixture } from './web-fixture.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '..', 'artifacts');
const DOCS = path.resolve(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ADMIN_TOKEN = 'console-browser-token-0123456789';
const ISSUE = '2024-04-15';
const READERS = ['ann@example.org', 'bob@example.org', 'carol@example.org', 'dan@example.org', 'full@example.org'];

let browser: Browser;
let w: WebFixture;
let smtp: SmtpCapture;
/** Holds every message at the final dot until the test opens it: the page sees the Send live. */
let release!: () => void;
let full = true;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const gate = new Promise<void>((r) => (release = r));
  smtp = await startSmtpCapture({
    // One mailbox is full (a permanent failure that suppresses nobody) until the test empties it.
    rcpt: (to) => (to === 'full@example.org' && full ? { code: 552, message: '5.2.2 Mailbox full' } : null),
    data: (msg) => (msg.to.some((t) => t.endsWith('@example.org')) ? gate.then(() => 'accept' as const) : 'accept'),
  });
  w = await startWebFixture({ ADMIN_TOKEN, SMTP_URL: smtp.url, MAIL_FROM: 'Sudi <digest@news.example.org>', SEND_CONCURRENCY: '2' });
  for (const [i, email] of READERS.entries()) await w.store.insertSubscriber({ email, status: 'active', lang: i % 2 ? 'en' : 'zh', source: 'test', now: w.clock.now });
  await w.store.insertSubscriber({ email: 'later@example.org', status: 'pending', lang: 'both', source: 'web', now: w.clock.now });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
});
afterAll(async () => {
  release?.();
  await browser?.close();
  await w?.close();
  await smtp?.close();
});


async function watched(page: Page, problems: string[]) {
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push(e.message));
}

const shot = async (page: Page, name: string) => {
  const file = path.join(ARTIFACTS, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.SUDI_UPDATE_SCREENSHOTS === '1') {
    await mkdir(DOCS, { recursive: true });
    await copyFile(file, path.join(DOCS, `console-${name}.png`));
  }
};

describe('the Console in Chromium', () => {
  it('runs a week: sign in, check, preview, test send, send, watch it finish, retry the failure, unsubscribe', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    await watched(page, problems);

    // Any console URL leads to the sign-in form first; the keyboard alone signs in.
    await page.goto(`${w.url}/admin`);
    expect(page.url()).toBe(`${w.url}/admin/sign-in`);
    await shot(page, '1-sign-in');
    await page.getByLabel('Admin token').fill('not the token');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not the token');
    // That 401 was the point; from here on nothing may fail to load.
    expect(problems.splice(0)).toEqual([`401 ${w.url}/admin/sign-in`, expect.stringContaining('401 (Unauthorized)')]);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${w.url}/admin`), page.keyboard.press('Enter')]);
    expect(await page.textContent('h1')).toBe('Issues');
    expect(await page.textContent(`a[href="/admin/issues/${ISSUE}"]`)).toBe(ISSUE);
    expect(await page.locator('.state').first().textContent()).toBe('ready');
    await shot(page, '2-issues');

    // The issue: its three editions as sent, framed from their own sandboxed route, and a test send.
    await Promise.all([page.waitForURL(`${w.url}/admin/issues/${ISSUE}`), page.click(`a[href="/admin/issues/${ISSUE}"]`)]);
    const frames = page.locator('iframe[sandbox=""]');
    expect(await frames.count()).toBe(3);
    const en = page.frameLocator(`iframe[src="/admin/issues/${ISSUE}/preview/en"]`);
    await expect.poll(() => en.locator('body').textContent({ timeout: 20_000 })).toMatch(/\w/);
    await page.getByLabel('Address', { exact: true }).fill('editor@example.net');
    await page.getByLabel('Edition', { exact: true }).selectOption('en');
    await Promise.all([page.waitForURL(`${w.url}/admin/issues/${ISSUE}`), page.getByRole('button', { name: 'Send a test' }).click()]);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('sent to editor@example.net');
    const test = smtp.messages.find((m) => m.to.includes('editor@example.net'))!;
    expect((await simpleParser(test.raw)).subject).toMatch(/^\[TEST\] /);
    expect(await w.store.getSend(ISSUE)).toBeNull(); // a test is not in the ledger
    await shot(page, '3-issue');

    // The trigger, behind a confirmation that names the recipients.
    await Promise.all([page.waitForURL(`${w.url}/admin/issues/${ISSUE}/send`), page.click('a:has-text("Send to Subscribers")')]);
    expect(await page.textContent('#recipients')).toBe('5 active Subscriber(s)');
    await shot(page, '4-confirm');
    await Promise.all([page.waitForURL(`${w.url}/admin/sends/${ISSUE}`), page.getByRole('button', { name: 'Send to 5 Subscriber(s)' }).click()]);

    // Live: the messages are held at the server, so the page is connected before any is accepted.
    const live = page.locator('[data-events]');
    await expect.poll(() => live.getAttribute('data-state')).toBe('live');
    expect(await page.textContent('[data-count="accepted"]')).toBe('0');
    await shot(page, '5-send-live');
    release();
    await expect.poll(() => live.getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    expect(await page.textContent('[data-count="accepted"]')).toBe('4');
    expect(await page.textContent('[data-count="failed"]')).toBe('1');
    expect(await page.textContent('#progress-text')).toBe('5 of 5 done');
    expect(await page.textContent('#send-status')).toMatch(/^Finished /);

    // The failure, with the server's response; the mailbox is emptied, then Retry now.
    await page.reload();
    const row = page.locator('tr', { hasText: 'full@example.org' });
    expect(await row.textContent()).toContain('552 5.2.2 Mailbox full');
    await shot(page, '6-send-failure');
    full = false;
    await Promise.all([page.waitForURL(`${w.url}/admin/sends/${ISSUE}`), row.getByRole('button', { name: 'Retry full@example.org now' }).click()]);
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('queued again');
    await expect.poll(() => page.locator('[data-events]').getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    expect(await page.textContent('[data-count="accepted"]')).toBe('5');
    expect(await page.textContent('[data-count="failed"]')).toBe('0');
    expect(smtp.accepted().filter((m) => m.to.includes('full@example.org'))).toHaveLength(1);
    // One Send per issue still: the five, plus the test.
    expect((await w.store.listSends()).map((s) => [s.issueId, s.total])).toEqual([[ISSUE, 5]]);

    // Subscribers: search, open one, unsubscribe.
    await page.click('nav a:has-text("Subscribers")');
    await page.getByLabel('Address contains').fill('carol');
    await Promise.all([page.waitForURL(/\/admin\/subscribers\?q=carol/), page.getByRole('button', { name: 'Search' }).click()]);
    expect(await page.locator('#subscriber-list tbody tr').count()).toBe(1);
    await page.getByLabel('Address contains').fill('');
    await Promise.all([page.waitForURL(/\/admin\/subscribers\?/), page.getByRole('button', { name: 'Search' }).click()]);
    await shot(page, '7-subscribers');
    await page.getByLabel('Address contains').fill('carol');
    await Promise.all([page.waitForURL(/q=carol/), page.getByRole('button', { name: 'Search' }).click()]);
    await Promise.all([page.waitForURL(/\/admin\/subscribers\/\d+$/), page.click('a:has-text("carol@example.org")')]);
    expect(await page.locator('.history').textContent()).toContain(`issue ${ISSUE}: accepted`);
    await Promise.all([page.waitForURL(/\/admin\/subscribers\/\d+$/), page.getByRole('button', { name: 'Unsubscribe' }).click()]);
    expect(await page.textContent('#subscriber-status')).toBe('unsubscribed');
    expect((await w.subscriber('carol@example.org'))!.status).toBe('unsubscribed');
    await shot(page, '8-subscriber');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('is usable at 375 px: nothing wider than the screen but the scrolling tables', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 800 }, deviceScaleFactor: 2 });
    const page = await context.newPage();
    const problems: string[] = [];
    await watched(page, problems);
    await page.goto(`${w.url}/admin/sign-in`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${w.url}/admin`), page.getByRole('button', { name: 'Sign in' }).click()]);
    for (const p of ['/admin', `/admin/issues/${ISSUE}`, `/admin/issues/${ISSUE}/send`, `/admin/sends/${ISSUE}`, '/admin/subscribers', '/admin/subscribers/1']) {
      await page.goto(w.url + p);
      expect([p, await page.evaluate(() => document.documentElement.scrollWidth)]).toEqual([p, 375]);
      // Every control has a name a screen reader can say: a label, or text for a button.
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('input:not([type="hidden"]), select, textarea, button')]
          .filter((el) => (el instanceof HTMLButtonElement ? !(el.textContent?.trim() || el.getAttribute('aria-label')) : !((el as HTMLInputElement).labels?.length || el.getAttribute('aria-label'))))
          .map((el) => el.outerHTML),
      );
      expect([p, unnamed]).toEqual([p, []]);
    }
    await page.goto(`${w.url}/admin/sends/${ISSUE}`);
    await expect.poll(() => page.locator('[data-events]').getAttribute('data-state')).toBe('done');
    await shot(page, '9-send-375px');
    expect(problems).toEqual([]);
    await context.close();
  });
});
