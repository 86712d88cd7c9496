/**
 * Message factories for the Issues being sent: each Issue is read once and rendered once per
 * language on first need (Handlebars → MJML is the expensive part), then every message of that
 * language is spliced from the same pre-encoded parts.
 */
import type { App } from '../app.ts';
import { findIssue } from '../content/load-issues.ts';
import type { Issue, Lang } from '../model.ts';
import { renderEmail } from '../render/email.ts';
import { loadDkimSigner, type DkimSigner } from './dkim.ts';
import { createMessageFactory, type MessageFactory } from './message.ts';

export interface IssueMessages {
  issue(issueId: string): Promise<Issue>;
  factory(issueId: string, lang: Lang): Promise<MessageFactory>;
}

export function issueMessages(app: App): IssueMessages {
  const issues = new Map<string, Promise<Issue>>();
  const factories = new Map<string, Promise<MessageFactory>>();
  let dkim: Promise<DkimSigner | undefined> | undefined;

  const issue = (id: string) => {
    let p = issues.get(id);
    if (!p) {
      p = findIssue(app.config.issuesDir, id);
      issues.set(id, p);
      // A failure (file gone, invalid) is retried on the next call rather than remembered.
      p.catch(() => issues.delete(id));
    }
    return p;
  };

  return {
    issue,
    factory(issueId, lang) {
      const key = `${issueId}\0${lang}`;
      let p = factories.get(key);
      if (!p) {
        p = (async () => {
          dkim ??= app.config.dkim ? loadDkimSigner(app.config.dkim) : Promise.resolve(undefined);
          const rendered = await renderEmail(await issue(issueId), { config: app.config, now: app.deps.now(), lang });
          return createMessageFactory(rendered, { config: app.config, secret: await app.secret(), dkim: await dkim });
        })();
        factories.set(key, p);
        p.catch(() => factories.delete(key));
      }
      return p;
    },
  };
}
