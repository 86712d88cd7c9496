/**
 * End to end in real Chromium: open the Archive, subscribe through the form, read the confirmation
 * mail from the outbox, open its link, press Confirm, then unsubscribe through the pages.
 * Screenshots go to tests/artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebFixture, type WebFixture } from './web-fixture.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '..', 'artifacts');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser;
let w: WebFixture;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  w = await startWebFixture();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
});
afterAll(async () => {
  await browser?.close();
  await w?.close();
});

describe('subscribe → confirm → unsubscribe in Chromium', () => {
  it('works through the pages alone, with no CSP violation', async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    // Console errors (a CSP violation is one) and failed loads; the browser's own favicon probe aside.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => problems.push(e.message));
    const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `web-${name}.png`), fullPage: true });

    // The Archive, with its stylesheet applied and the honeypot out of sight.
    const home = await page.goto(w.url + '/');
    expect(home?.status()).toBe(200);
    expect(await page.evaluate(() => document.styleSheets.length)).toBeGreaterThan(0);
    expect(await page.isVisible('#subscribe-email')).toBe(true);
    // The stylesheet moves the honeypot out of the viewport (no inline style: the CSP forbids it).
    const hp = await page.locator('#subscribe-website').boundingBox();
    expect(hp === null || hp.x + hp.width <= 0).toBe(true);
    await shot('1-archive');

    await page.fill('#subscribe-email', 'Reader@Example.org');
    await page.check('input[name="lang"][value="en"]');
    await Promise.all([page.waitForURL(`${w.url}/subscribe`), page.click('form[action$="/subscribe"] button[type="submit"]')]);
    await expect.poll(() => page.textContent('h1')).toContain('Check your inbox');
    await shot('2-check-inbox');
    const pending = (await w.subscriber('reader@example.org'))!;
    expect(pending).toMatchObject({ status: 'pending', lang: 'en' });

    // The confirmation mail, from the outbox: its HTML part's button link.
    const mails = await w.mails();
    expect(mails).toHaveLength(1);
    const mailPage = await context.newPage();
    await mailPage.setContent(String(mails[0]!.html));
    const href = await mailPage.getAttribute('a:has-text("Confirm subscription")', 'href');
    await mailPage.screenshot({ path: path.join(ARTIFACTS, 'web-3-confirmation-mail.png'), fullPage: true });
    await mailPage.close();
    expect(href).toMatch(new RegExp(`^${w.url}/confirm/${pending.id}\\.`));

    // Opening the link changes nothing; pressing Confirm does.
    await page.goto(href!);
    await shot('4-confirm');
    expect((await w.subscriber('reader@example.org'))!.status).toBe('pending');
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Confirm")')]);
    await expect.poll(() => page.textContent('h1')).toContain('You are subscribed');
    await shot('5-confirmed');
    expect((await w.subscriber('reader@example.org'))!.status).toBe('active');

    // Preferences → Unsubscribe → the button.
    await Promise.all([page.waitForURL(/\/preferences\//), page.click('a:has-text("Language preference")')]);
    expect(await page.isChecked('input[name="lang"][value="en"]')).toBe(true);
    await shot('6a-preferences');
    await Promise.all([page.waitForURL(/\/unsubscribe\//), page.click('a:has-text("Unsubscribe")')]);
    expect((await w.subscriber('reader@example.org'))!.status).toBe('active');
    await shot('6-unsubscribe');
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Unsubscribe")')]);
    await expect.poll(() => page.textContent('h1')).toContain('You are unsubscribed');
    await shot('7-unsubscribed');
    expect((await w.subscriber('reader@example.org'))!.status).toBe('unsubscribed');

    expect(problems).toEqual([]);
    await context.close();
  });
});
