/**
 * `sudi send --dry-run`: everything about a send except sending. Who would get what (by language),
 * the subject, the size of a real message as it goes on the wire, and every problem found on the
 * way, without touching the ledger.
 */
import { domainToASCII } from 'node:url';
import { getDomain } from 'tldts';
import { hasCjk } from '../cjk.ts';
import type { Config } from '../config.ts';
import type { Issue, Lang } from '../model.ts';
import { emailSizes, formatKb, SIZE_WARN_BYTES } from '../render/email-size.ts';
import type { DeliveryState, LedgerStore, SubscriberStore } from '../store/store.ts';
import type { IssueMessages } from './issue-messages.ts';
import { parseMailFrom } from './message.ts';
import type { Transport } from './transport.ts';

export interface DryRunManifest {
  issue: Issue;
  /** The issue's subject (the zh and both editions). */
  subject: string | null;
  /** The en edition's subject, when somebody would receive that edition. */
  subjectEn: string | null;
  due: boolean;
  transport: string;
  recipients: { total: number; byLang: Record<Lang, number> };
  /** One sample message per language somebody would receive. */
  messages: { lang: Lang; bytes: number; htmlSent: number; encoding: string }[];
  existingSend: { total: number; finished: boolean; counts: Record<DeliveryState, number> } | null;
  problems: string[];
  notes: string[];
}

/** What a dry run reads; the composition root (app.ts) provides it. */
export interface DryRunDeps {
  config: Pick<Config, 'smtpUrl' | 'outboxDir' | 'siteUrl' | 'dkim' | 'mailFrom'>;
  now: () => Date;
  store(): Promise<Pick<SubscriberStore, 'listSubscribers'> & Pick<LedgerStore, 'getSend' | 'deliveryCounts'>>;
  transport(): Pick<Transport, 'description'>;
  issueMessages(): Promise<IssueMessages>;
}

export async function dryRunManifest(app: DryRunDeps, issue: Issue): Promise<DryRunManifest> {
  const store = await app.store();
  const now = app.now();
  const problems: string[] = [];
  const notes: string[] = [];
  const byLang: Record<Lang, number> = { zh: 0, en: 0, both: 0 };
  for (let after = 0; ; ) {
    const page = await store.listSubscribers({ status: 'active', afterId: after, limit: 1000 });
    if (page.length === 0) break;
    for (const s of page) byLang[s.lang]++;
    after = page.at(-1)!.id;
  }
  const total = byLang.zh + byLang.en + byLang.both;

  if (issue.status !== 'ready') problems.push(`${issue.source}: status is draft: \`sudi send\` refuses it until it is ready`);
  if (total === 0) problems.push('no active (confirmed) subscribers: nobody would receive it');
  const due = Date.parse(issue.publish_at) <= now.getTime();
  if (!due) notes.push(`due at ${issue.publish_at}: the scheduler sends it then; \`sudi send\` now would send it early`);
  if (!app.config.smtpUrl) notes.push(`no SMTP_URL: messages would be written to ${app.config.outboxDir} as .eml files`);
  if (!app.config.siteUrl.startsWith('https:')) problems.push(`SITE_URL ${app.config.siteUrl} is not https: Gmail and Yahoo expect an HTTPS one-click unsubscribe link (RFC 8058)`);
  const dkimProblem = dkimSetupProblem(app.config);
  if (dkimProblem) problems.push(dkimProblem);
  if (byLang.en > 0 && hasCjk(issue.note)) notes.push(`the editor's note has Chinese text: the en edition leaves it out (write it in English to reach en readers)`);

  const existing = await store.getSend(issue.id);
  const existingSend = existing ? { total: existing.total, finished: existing.finishedAt !== null, counts: await store.deliveryCounts(issue.id) } : null;
  if (existingSend?.finished) notes.push(`already sent (finished ${existing!.finishedAt!.toISOString()}): \`sudi send\` would do nothing`);
  else if (existingSend) notes.push(`a send exists (started ${existing!.createdAt.toISOString()}): \`sudi send\` would resume it`);

  const messages: DryRunManifest['messages'] = [];
  let subject: string | null = null;
  let subjectEn: string | null = null;
  const factories = await app.issueMessages();
  for (const lang of ['zh', 'en', 'both'] as Lang[]) {
    if (byLang[lang] === 0 && !(total === 0 && lang === 'both')) continue;
    try {
      const factory = await factories.factory(issue.id, lang);
      if (lang === 'en') subjectEn = factory.subject;
      else subject = factory.subject;
      const msg = factory.build({ subscriberId: 1, email: 'sample.recipient@example.org' }, { now });
      const bytes = Array.isArray(msg.raw) ? (msg.raw as Buffer[]).reduce((n, b) => n + b.length, 0) : Buffer.byteLength(msg.raw as string | Buffer);
      const html = emailSizes((await factories.rendered(issue.id, lang)).html);
      messages.push({ lang, bytes, htmlSent: html.sent, encoding: html.encoding });
      if (html.sent > SIZE_WARN_BYTES) problems.push(`${lang}: the HTML part is ${formatKb(html.sent)} as sent, over ${formatKb(SIZE_WARN_BYTES)}: Gmail may clip it (and hide the unsubscribe link)`);
    } catch (e) {
      problems.push(`${lang}: the message cannot be built: ${(e as Error).message}`);
    }
  }
  return { issue, subject, subjectEn, due, transport: app.transport().description, recipients: { total, byLang }, messages, existingSend, problems, notes };
}

/**
 * What is wrong with the DKIM setup for the From address, or null. Gmail and Yahoo require bulk mail
 * to pass DMARC, which needs a DKIM signature by the From domain or one sharing its organizational
 * domain (relaxed alignment, the default: news.example.org and example.org align).
 */
export function dkimSetupProblem(config: Pick<Config, 'dkim' | 'mailFrom'>): string | null {
  const fromDomain = parseMailFrom(config.mailFrom).address.split('@')[1]!;
  const from = ascii(fromDomain);
  if (!config.dkim) {
    return `no DKIM signing: set DKIM_DOMAIN (${from}), DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE; Gmail and Yahoo expect bulk mail signed by the From domain (README: Deliverability)`;
  }
  const signer = ascii(config.dkim.domain);
  if (signer === from) return null;
  const org = (d: string) => getDomain(d, { allowPrivateDomains: true }) ?? d;
  if (org(signer) === org(from)) return null;
  return `DKIM_DOMAIN ${config.dkim.domain} does not match MAIL_FROM's domain ${fromDomain}: DMARC fails unless the signing domain is the From domain or shares its organizational domain (expected DKIM_DOMAIN=${[...new Set([from, org(from)])].join(' or ')})`;
}

const ascii = (domain: string) => (domainToASCII(domain.toLowerCase()) || domain).toLowerCase();

export function describeDryRun(m: DryRunManifest): string[] {
  const lines = [
    `dry run: nothing is sent and the ledger is not touched`,
    `issue:      ${m.issue.id}  ${m.issue.title}  (${m.issue.status}, publish_at ${m.issue.publish_at}${m.due ? ', due' : ', not yet due'})`,
    `subject:    ${m.subject ?? '(could not be rendered)'}`,
    ...(m.subjectEn === null ? [] : [`subject en: ${m.subjectEn}`]),
    `recipients: ${m.recipients.total} active subscriber(s): ${m.recipients.byLang.zh} zh, ${m.recipients.byLang.en} en, ${m.recipients.byLang.both} both`,
    ...m.messages.map((x) => `message:    ${x.lang.padEnd(4)} ${formatKb(x.bytes)} on the wire (HTML part ${formatKb(x.htmlSent)}, ${x.encoding})`),
    `via:        ${m.transport}`,
  ];
  if (m.existingSend) {
    const c = m.existingSend.counts;
    lines.push(`ledger:     ${m.existingSend.total} deliveries: ${c.accepted} accepted, ${c.queued} queued, ${c.deferred} deferred, ${c.failed} failed, ${c.suppressed} suppressed, ${c.unknown} unknown`);
  }
  for (const n of m.notes) lines.push(`note:       ${n}`);
  lines.push(m.problems.length === 0 ? 'problems:   none found' : `problems:   ${m.problems.length}`);
  for (const p of m.problems) lines.push(`  - ${p}`);
  return lines;
}
