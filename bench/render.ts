/**
 * Email rendering benchmark (`npm run bench -- render`).
 *
 * - render one issue: cold (first call in a fresh process: template compile + MJML/htmlnano warm-up)
 *   and warm (templates cached), median of repeated runs;
 * - one Subscriber's message where personalization runs in production: the delivery engine's
 *   message factory (delivery/message.ts) building the complete message, headers and transfer-
 *   encoded body with the Subscriber's links spliced in; µs per message, median over batches of 1000;
 * - the baseline it replaces, measured in the same run: per recipient a full Handlebars + MJML render,
 *   personalize, and nodemailer composing the message (both parts in the encoding Sudi chooses);
 * - the seed issue's HTML size, raw and as sent (quoted-printable vs base64).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../src/config.ts';
import { parseIssue } from '../src/content/parse-issue.ts';
import type { Issue, Lang } from '../src/model.ts';
import type { RenderedEmail } from '../src/render/email.ts';
import { encodedSizes, formatKb } from '../src/render/email-size.ts';
import { composeMessage } from '../src/delivery/compose.ts';
import { createMessageFactory } from '../src/delivery/message.ts';
import { personalAddresses } from '../src/personal-links.ts';
import { splicedBody } from '../src/delivery/spliced-body.ts';
import { chooseTransferEncoding, emailSizes, personalize, renderEmail } from '../src/render/email.ts';
import { personalParts, slotValues } from '../src/render/personalize.ts';
import { preferencesUrl, unsubscribeUrl } from '../src/subscribers/links.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const NOW = new Date('2024-04-20T01:00:00Z');

function seedFile(): string {
  const imported = path.join(ROOT, 'issues', '2024-04-15.md');
  return existsSync(imported) ? imported : path.join(ROOT, 'tests', 'fixtures', 'issues', '2024-04-15.md');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The first render in a fresh Node process, timed inside that process (imports excluded). */
function coldRenderMs(file: string): number {
  const script = `
    const { parseIssue } = await import('./src/content/parse-issue.ts');
    const { parseConfig } = await import('./src/config.ts');
    const { renderEmail } = await import('./src/render/email.ts');
    const { readFileSync } = await import('node:fs');
    const issue = parseIssue(${JSON.stringify(file)}, readFileSync(${JSON.stringify(file)}, 'utf8'));
    const config = parseConfig({ SITE_URL: 'https://news.example.org/' }, process.cwd());
    const t = performance.now();
    await renderEmail(issue, { config, now: new Date(${NOW.getTime()}) });
    console.log(performance.now() - t);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return Number(out.trim().split('\n').pop());
}

export async function run(): Promise<string[]> {
  const file = seedFile();
  const issue: Issue = parseIssue(file, readFileSync(file, 'utf8'));
  const config = parseConfig({ SITE_URL: 'https://news.example.org/', MAIL_FROM: 'Sudi <digest@news.example.org>' }, ROOT);
  const render = (lang: Lang = 'both') => renderEmail(issue, { config, now: NOW, lang });

  const cold = median([coldRenderMs(file), coldRenderMs(file), coldRenderMs(file)]);

  // Warm renders and the per-recipient baseline are interleaved so both see the same machine load.
  for (let i = 0; i < 5; i++) await render();
  const warmRuns: number[] = [];
  const baselineRuns: number[] = [];
  for (let i = 0; i < 20; i++) {
    let t = performance.now();
    await render();
    warmRuns.push(performance.now() - t);
    // Baseline: what personalization replaces, per recipient a full Handlebars + MJML render,
    // filled in and composed into a complete message by nodemailer.
    t = performance.now();
    const r = await render();
    await composeNaively(r, i);
    baselineRuns.push(performance.now() - t);
  }
  const warm = median(warmRuns);
  const baselineUs = median(baselineRuns) * 1000;

  const rendered = await render();
  const BATCH = 1000;
  const BATCHES = 50;
  let sink = 0;
  const perMessage = (fill: (n: number) => number): number => {
    const batches: number[] = [];
    for (let b = 0; b < BATCHES + 5; b++) {
      const t = performance.now();
      for (let i = 0; i < BATCH; i++) sink += fill(b * BATCH + i);
      if (b >= 5) batches.push(((performance.now() - t) * 1000) / BATCH); // the first 5 batches warm the JIT
    }
    return median(batches);
  };
  // Where personalization runs in production: the message factory, as a send uses it.
  const factory = createMessageFactory(rendered, { config, secret: SECRET, addresses: personalAddresses(config, SECRET) });
  const buildUs = perMessage((n) => {
    const m = factory.build({ subscriberId: n + 1, email: `reader${n}@example.org` }, { now: NOW });
    return (m.raw as Buffer[]).length;
  });
  // The personalization inside it alone: the same functions build() calls for the body.
  const parts = personalParts(rendered);
  const textBody = splicedBody(parts.text, chooseTransferEncoding(rendered.text));
  const htmlBody = splicedBody(parts.html, chooseTransferEncoding(rendered.html));
  const spliceUs = perMessage((n) => {
    const v = slotValues(parts, recipient(n));
    const out: Buffer[] = [];
    textBody.encode(v.text, out);
    htmlBody.encode(v.html, out);
    return out.length;
  });
  if (sink === 0) throw new Error('unreachable: keeps the work from being optimised away');

  const lines = [
    `Seed issue: ${path.relative(ROOT, file)} (${issue.papers.length} papers), language variant \`both\` unless noted.`,
    '',
    '| What | Median |',
    '|---|---|',
    `| Render one issue, cold (first call in a fresh process: template compile, MJML + htmlnano warm-up) | ${cold.toFixed(0)} ms |`,
    `| Render one issue, warm (templates cached) | ${warm.toFixed(1)} ms |`,
    `| One Subscriber's message, as a send builds it (delivery/message.ts: links signed, personalized, headers, transfer-encoded body as chunks) | ${buildUs.toFixed(2)} µs |`,
    `| of which personalization: the Subscriber's values checked and escaped (render/personalize.ts), spliced between the pre-encoded body pieces (delivery/spliced-body.ts) | ${spliceUs.toFixed(2)} µs |`,
    `| Baseline: per recipient a full Handlebars + MJML render, personalize, nodemailer composing the message | ${(baselineUs / 1000).toFixed(1)} ms |`,
    `| **Ratio baseline / the production message** (like for like: a complete message out) | **${Math.round(baselineUs / buildUs).toLocaleString('en-US')}×** (goal ≥ 1000×) |`,
    `| Ratio baseline / its personalization step | ${Math.round(baselineUs / spliceUs).toLocaleString('en-US')}× |`,
    '',
    '| Seed issue HTML | Raw | Quoted-printable | Base64 | As sent (chosen) |',
    '|---|---|---|---|---|',
  ];
  for (const lang of ['both', 'zh', 'en'] as const) {
    const html = personalize(await render(lang), recipient(1)).html;
    const enc = encodedSizes(html);
    const s = emailSizes(html);
    lines.push(`| \`${lang}\` | ${formatKb(s.raw)} | ${formatKb(enc['quoted-printable'])} | ${formatKb(enc.base64)} | **${formatKb(s.sent)}** (${s.encoding}) |`);
  }
  const text = personalize(rendered, recipient(1)).text;
  const ts = emailSizes(text);
  lines.push(`| plain-text part (\`both\`) | ${formatKb(ts.raw)} | ${formatKb(encodedSizes(text)['quoted-printable'])} | ${formatKb(encodedSizes(text).base64)} | ${formatKb(ts.sent)} (${ts.encoding}) |`);
  lines.push('', 'Budget: under 90 KB as sent (Gmail clips at about 102 KB); goal ≤ 60 KB.');
  return lines;
}

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop';

/** The message without the render-once design: what the baseline builds for each recipient. */
async function composeNaively(r: RenderedEmail, n: number): Promise<number> {
  const ref = { subscriberId: n + 1, email: `reader${n}@example.org` };
  const config = { siteUrl: 'https://news.example.org/' };
  const values = { unsubscribeUrl: unsubscribeUrl(config, SECRET, ref), preferencesUrl: preferencesUrl(config, SECRET, ref), recipient: ref.email };
  const { html, text } = personalize(r, values);
  const m = await composeMessage({
    from: 'Sudi <digest@news.example.org>',
    to: ref.email,
    subject: r.subject,
    date: NOW,
    messageId: `<${n}.bench@news.example.org>`,
    text: { content: text, contentTransferEncoding: chooseTransferEncoding(text) },
    html: { content: html, contentTransferEncoding: chooseTransferEncoding(html) },
    list: { id: '<weekly.news.example.org>', unsubscribe: [values.unsubscribeUrl, 'mailto:digest@news.example.org?subject=unsubscribe'] },
  });
  return (m.raw as Buffer).length;
}

function recipient(n: number) {
  const token = `${n.toString(36)}.${(n * 2654435761).toString(36)}`;
  return {
    unsubscribeUrl: `https://news.example.org/unsubscribe/${token}`,
    preferencesUrl: `https://news.example.org/preferences/${token}?from=email&lang=zh`,
    recipient: `reader${n}@example.org`,
  };
}
