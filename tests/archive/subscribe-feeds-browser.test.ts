/**
 * The subscribe form offers the feeds of the Edition a reader picks: in Chromium, with the built
 * index page and stylesheet (served to the browser from public/ by request interception), picking
 * a language shows that language's feed links and hides the others.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/run-cli.ts';
import { LATER, ROOT, SITE_URL, tempProject } from '../build/site-helpers.ts';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FILES = ['2024-04-15.md', 'tags.yml'].map((f) => path.join(ROOT, 'tests', 'fixtures', 'archive', f));

let browser: Browser;
let pub: string;

beforeAll(async () => {
  const project = await tempProject(FILES);
  const r = await runCliCaptured(['build'], { cwd: project, env: { SITE_URL }, now: LATER });
  expect(r.code).toBe(0);
  pub = path.join(project, 'public');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
});
afterAll(async () => browser?.close());

describe('the subscribe form in Chromium', () => {
  it('shows the feeds of the picked language only', async () => {
    const page = await browser.newPage();
    // Nothing leaves the machine: every request for the site is answered from the built folder.
    await page.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (!url.href.startsWith(SITE_URL)) return route.abort();
      const rel = url.pathname.slice(1) || 'index.html';
      const type = rel.endsWith('.css') ? 'text/css' : 'text/html; charset=utf-8';
      return route.fulfill({ status: 200, contentType: type, body: await readFile(path.join(pub, rel.endsWith('/') ? `${rel}index.html` : rel)) });
    });
    await page.goto(SITE_URL);
    const visibleFeeds = () =>
      page.$$eval('.subscribe .feed-choice a', (links) => links.filter((a) => (a as HTMLElement).offsetParent !== null).map((a) => (a as HTMLAnchorElement).href));

    expect(await visibleFeeds()).toEqual([`${SITE_URL}feed.xml`, `${SITE_URL}atom.xml`, `${SITE_URL}feed.json`]);
    await page.check('input[name="lang"][value="en"]');
    expect(await visibleFeeds()).toEqual([`${SITE_URL}en/feed.xml`, `${SITE_URL}en/atom.xml`, `${SITE_URL}en/feed.json`]);
    await page.check('input[name="lang"][value="zh"]');
    expect(await visibleFeeds()).toEqual([`${SITE_URL}zh/feed.xml`, `${SITE_URL}zh/atom.xml`, `${SITE_URL}zh/feed.json`]);
    await page.close();
  });
});
