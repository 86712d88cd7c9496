/**
 * The Console's Issues: the list with each one's state and `sudi check` problems, one Issue's
 * language editions as sent (HTML under its own strict CSP, text inline), a test send to one
 * address, and the manual trigger behind a confirmation that names the number of recipients.
 */
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logEvent } from '../log.ts';
import { LangSchema, type Issue, type Lang } from '../model.ts';
import { checkEmail } from '../subscribers/normalize-email.ts';
import type { ConsoleDeps } from './deps.ts';
import { formatTime, issueState } from './issue-state.ts';
import type { Ui } from './ui.ts';

const ISSUE_ID = /^\d{4}-\d{2}-\d{2}$/;
const LANGS: readonly { lang: Lang; name: string }[] = [
  { lang: 'zh', name: 'Chinese' },
  { lang: 'en', name: 'English' },
  { lang: 'both', name: 'Both languages' },
];

/**
 * The preview's own policy: the email's inline styles and its images, nothing else; no script at
 * all (the iframe is sandboxed too), and only the Console may frame it.
 */
const PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:; font-src data: http: https:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox";

export async function issueRoutes(fastify: FastifyInstance, deps: ConsoleDeps, ui: Ui): Promise<void> {
  /** Every issue file, as `sudi check` sees it: problems per file, named by the file alone. */
  const checked = async () => {
    const r = await deps.loadIssues();
    return r.files.map((file) => {
      const id = path.basename(file, '.md');
      // `FILE:LINE: …` names the file alone: the page never shows where it lives on the server.
      const mine = (lines: string[]) => lines.filter((p) => p.startsWith(`${file}:`)).map((p) => path.basename(file) + p.slice(file.length));
      return { id, file: path.basename(file), issue: r.issues.find((i) => i.id === id) ?? null, problems: mine(r.problems), warnings: mine(r.warnings) };
    });
  };
  const oneIssue = async (req: FastifyRequest, reply: FastifyReply): Promise<Issue | null> => {
    const { id } = req.params as { id: string };
    const found = ISSUE_ID.test(id) ? (await checked()).find((f) => f.id === id) : undefined;
    if (!found) {
      ui.notice(req, reply, 404, 'No such issue', `There is no issue file ${ISSUE_ID.test(id) ? `${id}.md` : 'with that name'}.`);
      return null;
    }
    if (!found.issue) {
      ui.notice(req, reply, 409, `Issue ${id} does not pass check`, `${found.problems.length} problem(s): ${found.problems.join('; ')}`, '/admin');
      return null;
    }
    return found.issue;
  };

  /**
   * As /admin/send and `sudi send` (findIssue): nothing is sent from a set of issue files with
   * problems, so a slip in next week's draft stops this week's send until it is fixed.
   */
  const sendable = async (req: FastifyRequest, reply: FastifyReply, issue: Issue): Promise<boolean> => {
    const bad = (await checked()).filter((f) => f.problems.length > 0);
    if (bad.length === 0) return true;
    ui.notice(req, reply, 409, 'The issue files do not pass check', `Nothing is sent while ${bad.map((f) => f.file).join(', ')} ${bad.length === 1 ? 'has' : 'have'} problems (see the list of issues).`, `/admin/issues/${issue.id}`);
    return false;
  };

  fastify.get('/admin', async (req, reply) => {
    const [files, sends] = await Promise.all([checked(), deps.store.listSends()]);
    const now = deps.now();
    const rows = await Promise.all(
      files
        .slice()
        .reverse()
        .map(async (f) => {
          const send = sends.find((s) => s.issueId === f.id) ?? null;
          const counts = send ? await deps.store.deliveryCounts(f.id) : null;
          const state = f.issue ? issueState(f.issue, send, counts, now) : { kind: 'invalid', label: 'does not pass check' };
          return { ...f, title: f.issue?.title, papers: f.issue?.papers.length, publishAt: f.issue ? formatTime(new Date(f.issue.publish_at)) : '', state, send: !!send };
        }),
    );
    const problemCount = rows.reduce((n, r) => n + r.problems.length, 0);
    // Sends whose issue file is gone still have a page: the ledger outlives the file.
    const orphans = sends.filter((s) => !files.some((f) => f.id === s.issueId)).map((s) => ({ id: s.issueId, finished: !!s.finishedAt }));
    return ui.page(req, reply, 'issues', 'Issues', { rows, problemCount, orphans });
  });

  fastify.get('/admin/issues/:id', async (req, reply) => {
    const issue = await oneIssue(req, reply);
    if (!issue) return reply;
    const [send, warnings] = await Promise.all([deps.store.getSend(issue.id), checked().then((all) => all.find((f) => f.id === issue.id)?.warnings ?? [])]);
    const counts = send ? await deps.store.deliveryCounts(issue.id) : null;
    const editions = await Promise.all(LANGS.map(async (l) => ({ ...l, ...(await deps.edition(issue, l.lang)) })));
    return ui.page(req, reply, 'issue', `Issue ${issue.id}`, {
      issue,
      papers: issue.papers.length,
      publishAt: formatTime(new Date(issue.publish_at)),
      state: issueState(issue, send, counts, deps.now()),
      ready: issue.status === 'ready',
      send: !!send,
      warnings,
      editions,
      langs: LANGS,
    });
  });

  fastify.get('/admin/issues/:id/preview/:lang', async (req, reply) => {
    const lang = LangSchema.safeParse((req.params as { lang: string }).lang);
    if (!lang.success) return ui.notice(req, reply, 404, 'No such edition', 'The editions are zh, en and both.');
    const issue = await oneIssue(req, reply);
    if (!issue) return reply;
    const { html } = await deps.edition(issue, lang.data);
    return reply
      .header('cache-control', 'no-store')
      .header('content-security-policy', PREVIEW_CSP)
      .header('x-frame-options', 'SAMEORIGIN')
      .type('text/html; charset=utf-8')
      .send(html);
  });

  fastify.post('/admin/issues/:id/test-send', async (req, reply) => {
    const issue = await oneIssue(req, reply);
    if (!issue) return reply;
    const body = req.body as { address?: unknown; lang?: unknown };
    const lang = LangSchema.safeParse(body.lang);
    const address = checkEmail(body.address);
    const back = `/admin/issues/${issue.id}`;
    if (!address.ok) return ui.redirect(req, reply, back, `Test not sent: the address ${address.reason} (expected e.g. name@example.org).`);
    if (!lang.success) return ui.redirect(req, reply, back, 'Test not sent: choose an edition (zh, en or both).');
    const r = await deps.testSend(issue, lang.data, address.email);
    logEvent(deps.log, r.accepted ? 'info' : 'warn', { issue: issue.id, clientAddress: req.ip, code: r.code }, `console: test send of ${issue.id} (${lang.data}) ${r.accepted ? 'accepted' : 'not accepted'}: ${r.response}`);
    return ui.redirect(req, reply, back, r.accepted ? `Test of the ${lang.data} edition sent to ${address.email}: ${r.response}` : `Test to ${address.email} not accepted: ${r.response}`);
  });

  fastify.get('/admin/issues/:id/send', async (req, reply) => {
    const issue = await oneIssue(req, reply);
    if (!issue) return reply;
    if (issue.status !== 'ready') return ui.notice(req, reply, 409, `Issue ${issue.id} is a draft`, 'Set status: ready in its file to send it.', `/admin/issues/${issue.id}`);
    if (!(await sendable(req, reply, issue))) return reply;
    const [send, recipients] = await Promise.all([deps.store.getSend(issue.id), deps.store.countSubscribers('active')]);
    const publishAt = new Date(issue.publish_at);
    return ui.page(req, reply, 'confirm-send', `Send issue ${issue.id}?`, {
      issue,
      send: send && { total: send.total, finished: !!send.finishedAt },
      recipients,
      notPublished: publishAt > deps.now() && formatTime(publishAt),
    });
  });

  fastify.post('/admin/issues/:id/send', async (req, reply) => {
    const issue = await oneIssue(req, reply);
    if (!issue) return reply;
    if (issue.status !== 'ready') return ui.notice(req, reply, 409, `Issue ${issue.id} is a draft`, 'Set status: ready in its file to send it.', `/admin/issues/${issue.id}`);
    if (!(await sendable(req, reply, issue))) return reply;
    const started = await deps.startSend(issue, req.ip);
    const what = started.created ? 'Send started' : started.resumed ? `Paused send resumed (${started.resumed.reason ?? 'no reason recorded'})` : started.alreadyRunning ? 'This send is already running' : 'Send resumed';
    return ui.redirect(req, reply, `/admin/sends/${issue.id}`, `${what}.`);
  });
}
