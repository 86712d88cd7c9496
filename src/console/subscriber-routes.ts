/**
 * The Console's Subscribers: search by address, filters by status and language, counts and growth
 * per week, one Subscriber's history (sign-up, confirmation, Deliveries, and the bounces and
 * complaints inbound mail recorded), change of language, unsubscribe, and CSV import and export
 * with the CLI's rules and format (subscribers/csv.ts, subscribers/import-csv.ts).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { logEvent } from '../log.ts';
import { LangSchema, type Lang } from '../model.ts';
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from '../store/store.ts';
import { csvHeader, csvRows, parseSubscriberCsv } from '../subscribers/csv.ts';
import { describeImport, importRows } from '../subscribers/import-csv.ts';
import type { ConsoleDeps } from './deps.ts';
import { formatTime } from './issue-state.ts';
import type { Ui } from './ui.ts';

const PAGE = 50;
const EXPORT_PAGE = 1000;
const GROWTH_WEEKS = 12;
/** A pasted or chosen CSV file: far more than the site's 16 KB forms, still bounded. */
export const IMPORT_BODY_LIMIT = 4 * 1024 * 1024;
const LANGS: readonly Lang[] = ['zh', 'en', 'both'];

interface Filters {
  q?: string;
  status?: SubscriberStatus;
  lang?: Lang;
}

function filtersOf(query: unknown): Filters {
  const q = (query ?? {}) as Record<string, unknown>;
  const text = typeof q.q === 'string' ? q.q.trim().slice(0, 200) : '';
  const status = SUBSCRIBER_STATUSES.find((s) => s === q.status);
  const lang = LangSchema.safeParse(q.lang);
  return { q: text || undefined, status, lang: lang.success ? lang.data : undefined };
}

export async function subscriberRoutes(fastify: FastifyInstance, deps: ConsoleDeps, ui: Ui): Promise<void> {
  const { store } = deps;

  fastify.get('/admin/subscribers', async (req, reply) => {
    const f = filtersOf(req.query);
    // A Subscriber id to page after: digits only (a bigint in PostgreSQL); anything else is the first page.
    const afterParam = (req.query as { after?: unknown }).after;
    const after = typeof afterParam === 'string' && /^\d{1,15}$/.test(afterParam) ? Number(afterParam) : 0;
    const now = deps.now();
    const [found, tally, growth] = await Promise.all([
      store.searchSubscribers({ text: f.q, status: f.status, lang: f.lang, afterId: after, limit: PAGE + 1 }),
      store.tallySubscribers(),
      store.subscriberGrowth(new Date(now.getTime() - (GROWTH_WEEKS - 1) * 7 * 24 * 3600_000)),
    ]);
    const rows = found.slice(0, PAGE).map((s) => ({ ...s, created: formatTime(s.createdAt) }));
    const params = (extra: Record<string, string>) => new URLSearchParams({ ...(f.q ? { q: f.q } : {}), ...(f.status ? { status: f.status } : {}), ...(f.lang ? { lang: f.lang } : {}), ...extra }).toString();
    const byStatus = SUBSCRIBER_STATUSES.map((status) => ({
      status,
      langs: LANGS.map((lang) => tally.find((t) => t.status === status && t.lang === lang)?.n ?? 0),
      total: tally.filter((t) => t.status === status).reduce((n, t) => n + t.n, 0),
    }));
    return ui.page(req, reply, 'subscribers', 'Subscribers', {
      filters: f,
      statuses: SUBSCRIBER_STATUSES.map((s) => ({ value: s, selected: s === f.status })),
      langs: LANGS.map((l) => ({ value: l, selected: l === f.lang })),
      rows,
      next: found.length > PAGE ? `/admin/subscribers?${params({ after: String(rows.at(-1)!.id) })}` : null,
      exportUrl: `/admin/subscribers/export.csv?${params({})}`,
      byStatus,
      total: tally.reduce((n, t) => n + t.n, 0),
      growth: growth.map((g) => ({ ...g, week: g.weekStart.toISOString().slice(0, 10) })),
    });
  });

  fastify.get('/admin/subscribers/export.csv', async (req, reply) => {
    const f = filtersOf(req.query);
    // Page by page, as `sudi subscribers export` does: bounded memory however long the list.
    async function* csv() {
      yield csvHeader();
      let afterId = 0;
      for (;;) {
        const page = await store.searchSubscribers({ text: f.q, status: f.status, lang: f.lang, afterId, limit: EXPORT_PAGE });
        if (page.length > 0) yield csvRows(page);
        if (page.length < EXPORT_PAGE) return;
        afterId = page.at(-1)!.id;
      }
    }
    logEvent(deps.log, 'info', { clientAddress: req.ip }, `console: subscribers exported (from ${req.ip})`);
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="subscribers-${deps.now().toISOString().slice(0, 10)}.csv"`)
      .type('text/csv; charset=utf-8')
      .send(Readable.from(csv()));
  });

  fastify.post('/admin/subscribers/import', { bodyLimit: IMPORT_BODY_LIMIT }, async (req, reply) => {
    const body = req.body as { csv?: unknown; confirmed?: unknown; skip_invalid?: unknown };
    const text = typeof body.csv === 'string' ? body.csv : '';
    const file = 'pasted.csv';
    const confirmed = body.confirmed === 'yes';
    const parsed = parseSubscriberCsv(text, file);
    if (parsed.problems.length > 0 && body.skip_invalid !== 'yes') {
      const shown = parsed.problems.slice(0, 10).join('; ');
      return ui.redirect(req, reply, '/admin/subscribers', `Nothing imported: ${parsed.problems.length} bad line(s) (fix them, or tick "skip bad lines"): ${shown}${parsed.problems.length > 10 ? '; …' : ''}`);
    }
    const { counts, notes } = await importRows({ store, config: deps.config, secret: deps.secret }, parsed.rows, { file, source: 'import:console', confirmed, now: deps.now() });
    if (counts.queued > 0) deps.wakeConfirmations();
    logEvent(deps.log, 'info', { clientAddress: req.ip, ...counts }, `console: ${describeImport(file, counts, { confirmed, skipped: parsed.problems.length })}`);
    const summary = describeImport(file, counts, { confirmed, skipped: parsed.problems.length });
    return ui.redirect(req, reply, '/admin/subscribers', `${summary}.${notes.length ? ` ${notes.slice(0, 10).join('; ')}` : ''}`);
  });

  const oneSubscriber = async (id: string) => (/^\d{1,15}$/.test(id) ? store.getSubscriber(Number(id)) : null);

  fastify.get('/admin/subscribers/:id', async (req, reply) => {
    const s = await oneSubscriber((req.params as { id: string }).id);
    if (!s) return ui.notice(req, reply, 404, 'No such Subscriber', 'There is no Subscriber with that number (perhaps removed).', '/admin/subscribers');
    const [events, deliveries] = await Promise.all([store.listInboundEvents({ subscriberId: s.id, limit: 50 }), store.subscriberDeliveries(s.id, 50)]);
    const history = [
      { at: s.createdAt, what: `signed up (${s.source})` },
      ...(s.confirmedAt ? [{ at: s.confirmedAt, what: 'confirmed' }] : []),
      ...(s.unsubscribedAt ? [{ at: s.unsubscribedAt, what: 'unsubscribed' }] : []),
      ...(s.suppressedAt ? [{ at: s.suppressedAt, what: `suppressed (${s.status})` }] : []),
      ...events.map((e) => ({
        at: e.receivedAt,
        what: `${e.kind.replace('_', ' ')}${e.status ? ` ${e.status}` : ''}${e.issueId ? ` on issue ${e.issueId}` : ''} via ${e.source}${e.diagnostic ? `: ${e.diagnostic}` : ''}${e.outcome ? ` → ${e.outcome}` : ''}`,
      })),
      ...deliveries.map((d) => ({ at: d.updatedAt, what: `issue ${d.issueId}: ${d.state}${d.lastResponse ? ` (${d.lastResponse})` : ''}` })),
    ]
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .map((h) => ({ when: formatTime(h.at), what: h.what }));
    return ui.page(req, reply, 'subscriber', s.email, {
      s,
      langs: LANGS.map((l) => ({ value: l, checked: l === s.lang })),
      canUnsubscribe: s.status === 'active' || s.status === 'pending',
      history,
    });
  });

  fastify.post('/admin/subscribers/:id/lang', async (req, reply) => {
    const s = await oneSubscriber((req.params as { id: string }).id);
    if (!s) return ui.notice(req, reply, 404, 'No such Subscriber', 'There is no Subscriber with that number.', '/admin/subscribers');
    const lang = LangSchema.safeParse((req.body as { lang?: unknown }).lang);
    if (!lang.success) return ui.redirect(req, reply, `/admin/subscribers/${s.id}`, 'Choose zh, en or both.');
    await store.updateSubscriber(s.id, { lang: lang.data }, deps.now());
    logEvent(deps.log, 'info', { subscriberId: s.id, clientAddress: req.ip }, `console: Subscriber #${s.id} language → ${lang.data}`);
    return ui.redirect(req, reply, `/admin/subscribers/${s.id}`, `Language set to ${lang.data}.`);
  });

  fastify.post('/admin/subscribers/:id/unsubscribe', async (req, reply) => {
    const s = await oneSubscriber((req.params as { id: string }).id);
    if (!s) return ui.notice(req, reply, 404, 'No such Subscriber', 'There is no Subscriber with that number.', '/admin/subscribers');
    if (s.status !== 'active' && s.status !== 'pending') return ui.redirect(req, reply, `/admin/subscribers/${s.id}`, `Already ${s.status}.`);
    await store.setSubscriberStatus(s.id, 'unsubscribed', deps.now());
    logEvent(deps.log, 'info', { subscriberId: s.id, clientAddress: req.ip }, `console: Subscriber #${s.id} unsubscribed by the operator`);
    return ui.redirect(req, reply, `/admin/subscribers/${s.id}`, 'Unsubscribed: no further issue goes to this address.');
  });
}
