/**
 * Message factories for the Issues being sent: each Issue is read once and rendered once, in all
 * three languages, on first need (Handlebars → MJML, in a short-lived child process, so the sender
 * never holds MJML's memory: see render-client.ts and render-child.ts), then every message of a
 * language is spliced from the same pre-encoded parts.
 */
import type { Config } from '../config.ts';
import { findIssue } from '../content/load-issues.ts';
import type { Issue, Lang } from '../model.ts';
import type { RenderedEmail } from '../render/email.ts';
import type { DkimSigner } from './dkim.ts';
import { createMessageFactory, type MessageFactory, type PersonalAddresses } from './message.ts';
import type { RenderIssue } from './render-client.ts';

const LANGS: readonly Lang[] = ['zh', 'en', 'both'];

export interface IssueMessages {
  issue(issueId: string): Promise<Issue>;
  /** The rendered email (with placeholders) of one language. */
  rendered(issueId: string, lang: Lang): Promise<RenderedEmail>;
  factory(issueId: string, lang: Lang): Promise<MessageFactory>;
}

/** What the render cache needs, declared here and provided by the composition root (app.ts). */
export interface IssueMessagesDeps {
  config: Config;
  now: () => Date;
  secret(): Promise<string>;
  /** The DKIM signer (undefined: DKIM is off), made once by the composition root. */
  dkim(): Promise<DkimSigner | undefined>;
  /** Each recipient's signed links and return addresses. */
  addresses(): Promise<PersonalAddresses>;
  /** Renders an Issue's emails (in a child process, remembering what it rendered: render-client.ts). */
  renderIssue: RenderIssue;
}

export function issueMessages(app: IssueMessagesDeps): IssueMessages {
  const issues = new Map<string, Promise<Issue>>();
  const factories = new Map<string, Promise<MessageFactory>>();
  const renderings = new Map<string, Promise<Map<Lang, RenderedEmail>>>();
  const rendered = (issueId: string) => {
    let p = renderings.get(issueId);
    if (!p) {
      p = (async () => {
        const all = await app.renderIssue(await issue(issueId), { config: app.config, now: app.now(), langs: LANGS });
        return new Map(all.map((r) => [r.lang, r]));
      })();
      renderings.set(issueId, p);
      p.catch(() => renderings.delete(issueId));
    }
    return p;
  };
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
    rendered: async (issueId, lang) => (await rendered(issueId)).get(lang)!,
    factory(issueId, lang) {
      const key = `${issueId}\0${lang}`;
      let p = factories.get(key);
      if (!p) {
        p = (async () => {
          const r = (await rendered(issueId)).get(lang)!;
          const [secret, addresses, dkim] = await Promise.all([app.secret(), app.addresses(), app.dkim()]);
          return createMessageFactory(r, { config: app.config, secret, addresses, dkim });
        })();
        factories.set(key, p);
        p.catch(() => factories.delete(key));
      }
      return p;
    },
  };
}
