import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { App } from '../../app.ts';
import { SudiError } from '../../errors.ts';
import type { Lang } from '../../model.ts';
import { SUBSCRIBER_STATUSES, type Store, type Subscriber, type SubscriberStatus } from '../../store/store.ts';
import type { ConfirmationAttempt } from '../../subscribers/confirmation-sender.ts';
import type { SubscribeResult } from '../../subscribers/subscriptions.ts';
import { withIssuesOption, type CliContext } from '../context.ts';

const PAGE = 1000;
const langOption = () => new Option('--lang <lang>', 'language of the issues they get').choices(['zh', 'en', 'both']);
const statusOption = () => new Option('--status <status>', 'only Subscribers with this status').choices([...SUBSCRIBER_STATUSES]);

/**
 * `sudi subscribers add|remove|list|import|export`: the operator's view of the list. Adding and
 * importing follow the web's double opt-in (pending + a confirmation mail) unless `--confirmed`
 * records that consent was given elsewhere.
 */
export function registerSubscribers(program: Command, ctx: CliContext): void {
  const cmd = program.command('subscribers').description('add, remove, list, import and export Subscribers');
  const services = async (app: App) => ({
    store: await app.store(),
    transport: app.transport(),
    config: app.config,
    secret: await app.secret(),
    now: ctx.now,
    log: ctx.err,
  });

  withIssuesOption(cmd.command('add'))
    .description('add one address: pending with a confirmation mail, or active at once with --confirmed')
    .argument('<email>', 'the address, e.g. name@example.org')
    .addOption(langOption())
    .option('--confirmed', 'consent was already given: make them active, send no confirmation mail')
    .action((email: string, opts: { issues: string; lang?: Lang; confirmed?: boolean }) =>
      ctx.withApp(opts, async (app) => {
        const [{ normalizeEmail }, { subscribe }] = await Promise.all([import('../../subscribers/normalize-email.ts'), import('../../subscribers/subscriptions.ts')]);
        const normalized = normalizeEmail(email);
        const deps = await services(app);
        const r = await subscribe(deps, { email: normalized, lang: opts.lang, source: 'cli', confirmed: opts.confirmed, operator: true }, ctx.now());
        const { sendQueuedNow } = await import('../../subscribers/confirmation-sender.ts');
        const sent = r.queued ? (await sendQueuedNow(deps)).find((a) => a.subscriberId === r.subscriber.id) : undefined;
        ctx.out(describe(r, sent, app));
      }),
    );

  withIssuesOption(cmd.command('remove'))
    .description('delete an address and everything stored about it (the delivery ledger keeps only its id)')
    .argument('<email>', 'the address')
    .action((email: string, opts: { issues: string }) =>
      ctx.withApp(opts, async (app) => {
        const store = await app.store();
        const s = await existing(store, email);
        await store.deleteSubscriber(s.id);
        ctx.out(`removed ${s.email} (was ${s.status})`);
      }),
    );

  withIssuesOption(cmd.command('show'))
    .description('show one address: status, dates, and the bounces, complaints and unsubscribes that came back for it')
    .argument('<email>', 'the address')
    .action((email: string, opts: { issues: string }) =>
      ctx.withApp(opts, async (app) => {
        const store = await app.store();
        const s = await existing(store, email);
        const dates = (['createdAt', 'confirmedAt', 'unsubscribedAt', 'suppressedAt'] as const).filter((k) => s[k]).map((k) => `${k.replace(/At$/, '')} ${s[k]!.toISOString()}`);
        ctx.out(`${s.email}  #${s.id}  ${s.status}  lang ${s.lang}  source ${s.source}\n  ${dates.join('  ')}`);
        const { eventLine } = await import('../../inbound/event-lines.ts');
        const events = await store.listInboundEvents({ subscriberId: s.id, limit: 50 });
        ctx.out(events.length ? `inbound events (newest first):` : 'inbound events: none');
        for (const e of events) ctx.out(eventLine(e, e.issueId ? `issue ${e.issueId}` : null));
      }),
    );

  withIssuesOption(cmd.command('list'))
    .description('print Subscribers: id, email, status, language, source, created')
    .addOption(statusOption())
    .action((opts: { issues: string; status?: SubscriberStatus }) =>
      ctx.withApp(opts, async (app) => {
        const store = await app.store();
        let n = 0;
        for await (const page of pages(app, opts.status)) {
          for (const s of page) ctx.out([s.id, s.email, s.status, s.lang, s.source, s.createdAt.toISOString()].join('\t'));
          n += page.length;
        }
        ctx.err(`${n} Subscriber(s)${opts.status ? ` with status ${opts.status}` : ''}; ${await store.countSubscribers('active')} active`);
      }),
    );

  withIssuesOption(cmd.command('import'))
    .description('import a CSV with a header row (email, optional lang); every bad line is reported and nothing is imported unless --skip-invalid')
    .argument('<file>', 'CSV file, e.g. subscribers.csv')
    .option('--confirmed', 'consent was already given: import as active, send no confirmation mail')
    .option('--skip-invalid', 'import the good lines even when some are bad (the bad ones are still reported)')
    .action((file: string, opts: { issues: string; confirmed?: boolean; skipInvalid?: boolean }) =>
      ctx.withApp(opts, async (app) => {
        const full = path.resolve(ctx.cwd, file);
        let text: string;
        try {
          text = await readFile(full, 'utf8');
        } catch (e) {
          throw new SudiError('E_IMPORT', `cannot read ${full}: ${(e as Error).message}`);
        }
        const [{ parseSubscriberCsv }, { importRows, describeImport }] = await Promise.all([import('../../subscribers/csv.ts'), import('../../subscribers/import-csv.ts')]);
        const parsed = parseSubscriberCsv(text, file);
        if (parsed.problems.length > 0 && !opts.skipInvalid) {
          throw new SudiError('E_IMPORT', `${file}: ${parsed.problems.length} bad line(s); nothing imported (fix them, or pass --skip-invalid)`, { problems: parsed.problems });
        }
        for (const p of parsed.problems) ctx.err(`skipped ${p}`);
        const deps = await services(app);
        const { counts, notes } = await importRows(deps, parsed.rows, { file, source: `import:${path.basename(file)}`, confirmed: opts.confirmed, now: ctx.now() });
        for (const n of notes) ctx.err(n);
        const { sendQueuedNow } = await import('../../subscribers/confirmation-sender.ts');
        const mails = counts.queued > 0 ? await sendQueuedNow(deps) : [];
        for (const a of mails) if (a.outcome !== 'done') ctx.err(`confirmation mail to ${a.email ?? a.subscriberId} ${a.outcome === 'retry' ? 'stays queued (sudi serve retries it)' : 'given up'}: ${a.response}`);
        ctx.out(`${describeImport(file, counts, { confirmed: opts.confirmed, skipped: parsed.problems.length })}, ${mails.filter((a) => a.outcome === 'done').length} sent via ${app.transport().description}`);
        if (parsed.problems.length > 0) ctx.err(`${parsed.problems.length} bad line(s) in ${file} were not imported`);
      }),
    );

  withIssuesOption(cmd.command('export'))
    .description('print Subscribers as CSV (email, lang, status, source and dates) to stdout')
    .addOption(statusOption())
    .action((opts: { issues: string; status?: SubscriberStatus }) =>
      ctx.withApp(opts, async (app) => {
        const { csvHeader, csvRows } = await import('../../subscribers/csv.ts');
        ctx.stdout.write(csvHeader());
        for await (const page of pages(app, opts.status)) ctx.stdout.write(csvRows(page));
      }),
    );
}

/** Keyset paging by id: bounded memory and a stable order however large the list. */
async function* pages(app: App, status: SubscriberStatus | undefined): AsyncGenerator<Subscriber[]> {
  const store = await app.store();
  let afterId = 0;
  for (;;) {
    const page = await store.listSubscribers({ status, afterId, limit: PAGE });
    if (page.length === 0) return;
    yield page;
    afterId = page[page.length - 1]!.id;
    if (page.length < PAGE) return;
  }
}

function describe(r: SubscribeResult, sent: ConfirmationAttempt | undefined, app: App): string {
  const s = r.subscriber;
  const base = `${s.email}: ${s.status} (lang ${s.lang})`;
  if (r.queued) {
    if (sent?.outcome === 'retry') throw new SudiError('E_SMTP', `${base}; the confirmation mail was not accepted (${sent.response}); it stays queued and \`sudi serve\` retries it`);
    if (sent?.outcome === 'given-up') throw new SudiError('E_SMTP', `${base}; the confirmation mail was refused: ${sent.response}`);
    return `${base}; confirmation mail sent via ${app.transport().description}`;
  }
  if (s.status === 'pending') return `${base}; a confirmation mail was queued at ${s.confirmationSentAt?.toISOString()}, the next one is possible 24 h after it`;
  if (r.outcome === 'created') return `${base}; added`;
  return r.outcome === 'active' ? `${base}; already on the list` : base;
}

async function existing(store: Store, email: string): Promise<Subscriber> {
  const { normalizeEmail } = await import('../../subscribers/normalize-email.ts');
  const s = await store.findSubscriberByEmail(normalizeEmail(email));
  if (!s) throw new SudiError('E_NOT_FOUND', `no Subscriber ${normalizeEmail(email)} (expected an address from \`sudi subscribers list\`)`);
  return s;
}
