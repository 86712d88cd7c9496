/**
 * Environment → typed Config. The only module that knows environment variable names; every other
 * module receives the Config (or the part it needs). `.env` is loaded by the CLI entry, not here.
 */
import path from 'node:path';
import { compile as compileProxyAddresses } from '@fastify/proxy-addr';
import { z } from 'zod';
import { hasCjk } from './cjk.ts';
import * as check from './config-values.ts';
import { SudiError } from './errors.ts';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
/** A string setting that must pass `c` (config-values.ts: what reaches a header, address or URL). */
const checked = (c: check.Check) =>
  z.string().superRefine((v, ctx) => {
    const problem = c(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const optionalChecked = (c: check.Check) => z.preprocess(emptyToUndefined, checked(c).optional());
const checkedOr = (c: check.Check, dflt: string) => z.preprocess(emptyToUndefined, checked(c).default(dflt));
const intIn = (min: number, max: number, dflt: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).default(dflt));

const EnvSchema = z.object({
  // Unset: the local server's own address (filled in from PORT below), so links work out of the box.
  SITE_URL: optionalChecked(check.url(['https:', 'http:'], 'https://news.example.org/', { bare: true })),
  SITE_TITLE: checkedOr(check.headerText(200), '每周AI论文速递 · Sudi'),
  SITE_TITLE_EN: optionalChecked(check.headerText(200)),
  SITE_DESCRIPTION: checkedOr(check.headerText(1000), 'A weekly digest of AI papers, in Chinese and English.'),
  SITE_LANGUAGE: checkedOr(check.languageTag, 'zh-CN'),
  SITE_AUTHOR: checkedOr(check.headerText(200), 'Sudi'),
  PORT: intIn(0, 65535, 8080),
  HOST: checkedOr(check.listenHost, '127.0.0.1'),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, { message: 'expected sqlite:PATH or postgres://USER@HOST/DB' })
      .default('sqlite:data/sudi.db'),
  ),
  SMTP_URL: optionalChecked(check.url(['smtp:', 'smtps:'], 'smtp://user:password@relay.example.org:587 or smtps://relay.example.org')),
  OUTBOX_DIR: z.preprocess(emptyToUndefined, z.string().default('outbox')),
  MAIL_FROM: checkedOr(check.mailFrom, 'Sudi <digest@localhost>'),
  LIST_ID: checkedOr(check.listId, 'Sudi weekly AI papers <weekly.sudi.localhost>'),
  SEND_RATE: z.preprocess(emptyToUndefined, z.coerce.number().min(0).default(0)),
  SEND_CONCURRENCY: intIn(1, 100, 4),
  LEASE_SECONDS: intIn(1, 86_400, 600),
  RELAY_RETRY_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().min(0.01).max(3600).default(30)),
  RELAY_RETRY_MAX_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().min(0.01).max(86_400).default(300)),
  SCHEDULE: z.preprocess(emptyToUndefined, z.string().default('0 * * * *')),
  TZ: checkedOr(check.timeZone, 'Asia/Shanghai'),
  SECRET: optionalChecked(check.token(32)),
  ADMIN_TOKEN: optionalChecked(check.token(16)),
  DKIM_DOMAIN: optionalChecked(check.hostname),
  DKIM_SELECTOR: optionalChecked(check.dkimSelector),
  DKIM_PRIVATE_KEY_FILE: optionalChecked(check.path_),
  FEED_LIMIT: intIn(1, 1000, 20),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('data')),
  PUBLIC_DIR: z.preprocess(emptyToUndefined, z.string().default('public')),
  TEMPLATES_DIR: z.preprocess(emptyToUndefined, z.string().optional()),
  SUBSCRIBE_RATE_LIMIT: intIn(1, 1_000_000, 10),
  BOUNCE_DOMAIN: optionalChecked(check.hostname),
  SOFT_BOUNCE_LIMIT: intIn(1, 1000, 3),
  INBOUND_PORT: intIn(0, 65535, 2525),
  INBOUND_HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  INBOUND_MAX_BYTES: intIn(1024, 100 * 1024 * 1024, 10 * 1024 * 1024),
  INBOUND_DIR: z.preprocess(emptyToUndefined, z.string().default('data/inbound')),
  INBOUND_IMAP_URL: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^imaps?:\/\/[^/]+/, { message: 'expected imaps://USER:PASSWORD@HOST[:PORT]/MAILBOX, e.g. imaps://bounces:secret@imap.example.org/INBOX' }).optional(),
  ),
  INBOUND_IMAP_INTERVAL: intIn(5, 86_400, 60),
  MAILGUN_WEBHOOK_SIGNING_KEY: optionalChecked(check.token(16)),
  POSTMARK_WEBHOOK_TOKEN: optionalChecked(check.token(16)),
  TRANSLATE_URL: optionalChecked(check.url(['https:', 'http:'], 'https://api.deepseek.com or http://127.0.0.1:11434/v1', { bare: true })),
  TRANSLATE_MODEL: optionalChecked(check.headerText(200)),
  TRANSLATE_API_KEY: optionalChecked(check.token(1)),
  TRANSLATE_CONCURRENCY: intIn(1, 32, 4),
  TRANSLATE_TIMEOUT_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().min(0.01).max(3600).default(120)),
  ARXIV_API_URL: checkedOr(check.url(['https:', 'http:'], 'https://export.arxiv.org/api/query', { bare: true }), 'https://export.arxiv.org/api/query'),
  HF_API_URL: checkedOr(check.url(['https:', 'http:'], 'https://huggingface.co/api', { bare: true }), 'https://huggingface.co/api'),
  ARXIV_DELAY_MS: intIn(0, 600_000, 3000),
  DRAFT_SCHEDULE: optionalChecked(check.cronExpression),
  DRAFT_MIN_UPVOTES: intIn(0, 1_000_000, 45),
  DRAFT_PAPERS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(500).optional()),
  EDITOR_EMAIL: optionalChecked(check.mailFrom),
  // Published in every Feed (rel="hub"), so it may carry no password or token.
  WEBSUB_HUB: optionalChecked(check.url(['https:', 'http:'], 'https://pubsubhubbub.appspot.com/', { bare: true })),
  TRUST_PROXY: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        const r = parseTrustProxy(v);
        if (typeof r !== 'string') return r;
        ctx.addIssue({ code: 'custom', message: r });
        return z.NEVER;
      }),
  ),
});

export interface Config {
  siteUrl: string; // always ends with '/'
  siteTitle: string;
  /** The digest's English name (the `en` edition); SITE_TITLE_EN, else SITE_TITLE when it has no Chinese, else DEFAULT_SITE_TITLE_EN. */
  siteTitleEn: string;
  siteDescription: string;
  siteLanguage: string;
  siteAuthor: string;
  port: number;
  host: string;
  databaseUrl: string;
  smtpUrl: string | undefined;
  outboxDir: string;
  mailFrom: string;
  listId: string;
  sendRate: number; // messages/s; 0 = no cap
  sendConcurrency: number;
  /** How long a claimed Delivery stays leased to its sender before another may take it over. */
  leaseSeconds: number;
  /** While the SMTP relay cannot be reached: the first wait before probing it again, doubling up to the cap (ms). */
  relayRetry: { baseMs: number; maxMs: number };
  schedule: string;
  tz: string;
  secret: string | undefined; // resolved (generated if needed) by app.ts
  adminToken: string | undefined;
  dkim: { domain: string; selector: string; privateKeyFile: string } | undefined;
  feedLimit: number;
  dataDir: string;
  publicDir: string;
  templatesDir: string;
  /** POSTs to /subscribe allowed per client IP per minute (429 past it). */
  subscribeRateLimit: number;
  /** Which X-Forwarded-For entries to believe for the client IP (TRUST_PROXY). */
  trustProxy: TrustProxy;
  issuesDir: string;
  /** Where bounces and mailto unsubscribes come back (VERP envelope sender, List-Unsubscribe mailto). */
  bounceDomain: string;
  /** Soft bounces on this many Issues in a row suppress the Subscriber. */
  softBounceLimit: number;
  inboundPort: number;
  inboundHost: string;
  /** Largest inbound message accepted (bytes); bigger ones are refused or set aside. */
  inboundMaxBytes: number;
  /** Where inbound messages that could not be read are set aside (`rejected/`). */
  inboundDir: string;
  /** Mailbox polled for bounces (imapflow); processed mail is moved to ?processed=FOLDER (default Processed). */
  inboundImapUrl: string | undefined;
  /** Seconds between IMAP polls. */
  inboundImapInterval: number;
  /** POST /webhooks/mailgun exists only with it (Mailgun's HTTP webhook signing key). */
  mailgunWebhookSigningKey: string | undefined;
  /** POST /webhooks/postmark exists only with it (basic-auth password or ?token=). */
  postmarkWebhookToken: string | undefined;
  /** Machine translation (an OpenAI-compatible chat-completions API); undefined = not configured. */
  translate: TranslateConfig | undefined;
  /** The arXiv API's query endpoint (`sudi fetch`). */
  arxivApiUrl: string;
  /** Hugging Face's API base (`/daily_papers` under it). */
  hfApiUrl: string;
  /** Least milliseconds between two arXiv requests (arXiv asks for 3 s). */
  arxivDelayMs: number;
  /** DRAFT_SCHEDULE: `sudi serve` assembles the week's draft from Hugging Face on this cron (in TZ). */
  draft: { schedule: string; minUpvotes: number; maxPapers: number | undefined } | undefined;
  /** Where the draft schedule mails what it assembled. */
  editorEmail: string | undefined;
  /** WebSub hub (WEBSUB_HUB): every Feed names it, and publishing pings it per changed Feed. */
  websubHub: string | undefined;
}

export interface TranslateConfig {
  /** Base URL without a trailing slash; requests go to `${url}/chat/completions`. */
  url: string;
  model: string;
  apiKey: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Per request (each try); a request that takes longer is retried, at most 3 tries in all. */
  timeoutMs: number;
}

/** The `en` edition's name for the digest when SITE_TITLE_EN is unset and SITE_TITLE is Chinese. */
export const DEFAULT_SITE_TITLE_EN = 'Weekly AI Papers · Sudi';

/** The project's own templates/ folder, used when TEMPLATES_DIR is unset. */
export const BUNDLED_TEMPLATES_DIR = path.resolve(import.meta.dirname, '..', 'templates');

export function parseConfig(env: Record<string, string | undefined>, cwd: string, overrides: { issuesDir?: string } = {}): Config {
  const r = EnvSchema.safeParse(env);
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      const key = String(i.path[0]);
      return `${key}: ${i.message} (got ${check.shownValue(key, env[key])})`;
    });
    throw new SudiError('E_CONFIG', 'invalid configuration; see .env.example', { problems });
  }
  const e = r.data;
  const dkimParts = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY_FILE];
  if (dkimParts.some(Boolean) && !dkimParts.every(Boolean)) {
    throw new SudiError('E_CONFIG', 'DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE together (or none of them)');
  }
  const translateParts = [e.TRANSLATE_URL, e.TRANSLATE_MODEL, e.TRANSLATE_API_KEY];
  if (translateParts.some(Boolean) && !translateParts.every(Boolean)) {
    throw new SudiError('E_CONFIG', 'machine translation needs TRANSLATE_URL, TRANSLATE_MODEL and TRANSLATE_API_KEY together (or none of them)');
  }
  const abs = (p: string) => path.resolve(cwd, p);
  const databaseUrl = e.DATABASE_URL.startsWith('sqlite:') ? `sqlite:${abs(e.DATABASE_URL.slice('sqlite:'.length))}` : e.DATABASE_URL;
  return {
    siteUrl: e.SITE_URL === undefined ? `http://localhost:${e.PORT}/` : e.SITE_URL.endsWith('/') ? e.SITE_URL : `${e.SITE_URL}/`,
    siteTitle: e.SITE_TITLE,
    siteTitleEn: e.SITE_TITLE_EN ?? (hasCjk(e.SITE_TITLE) ? DEFAULT_SITE_TITLE_EN : e.SITE_TITLE),
    siteDescription: e.SITE_DESCRIPTION,
    siteLanguage: e.SITE_LANGUAGE,
    siteAuthor: e.SITE_AUTHOR,
    port: e.PORT,
    host: e.HOST,
    databaseUrl,
    smtpUrl: e.SMTP_URL,
    outboxDir: abs(e.OUTBOX_DIR),
    mailFrom: e.MAIL_FROM,
    listId: e.LIST_ID,
    sendRate: e.SEND_RATE,
    sendConcurrency: e.SEND_CONCURRENCY,
    leaseSeconds: e.LEASE_SECONDS,
    relayRetry: { baseMs: e.RELAY_RETRY_SECONDS * 1000, maxMs: Math.max(e.RELAY_RETRY_SECONDS, e.RELAY_RETRY_MAX_SECONDS) * 1000 },
    schedule: e.SCHEDULE,
    tz: e.TZ,
    secret: e.SECRET,
    adminToken: e.ADMIN_TOKEN,
    dkim: e.DKIM_DOMAIN ? { domain: e.DKIM_DOMAIN, selector: e.DKIM_SELECTOR!, privateKeyFile: abs(e.DKIM_PRIVATE_KEY_FILE!) } : undefined,
    feedLimit: e.FEED_LIMIT,
    dataDir: abs(e.DATA_DIR),
    publicDir: abs(e.PUBLIC_DIR),
    templatesDir: e.TEMPLATES_DIR ? abs(e.TEMPLATES_DIR) : BUNDLED_TEMPLATES_DIR,
    subscribeRateLimit: e.SUBSCRIBE_RATE_LIMIT,
    trustProxy: e.TRUST_PROXY,
    issuesDir: abs(overrides.issuesDir ?? 'issues'),
    // Unset: MAIL_FROM's own domain, so the defaults work where MAIL_FROM's domain receives mail.
    bounceDomain: (e.BOUNCE_DOMAIN ?? (/@([^@>\s]+)>?\s*$/.exec(e.MAIL_FROM)?.[1] ?? 'localhost')).toLowerCase(),
    softBounceLimit: e.SOFT_BOUNCE_LIMIT,
    inboundPort: e.INBOUND_PORT,
    inboundHost: e.INBOUND_HOST,
    inboundMaxBytes: e.INBOUND_MAX_BYTES,
    inboundDir: abs(e.INBOUND_DIR),
    inboundImapUrl: e.INBOUND_IMAP_URL,
    inboundImapInterval: e.INBOUND_IMAP_INTERVAL,
    mailgunWebhookSigningKey: e.MAILGUN_WEBHOOK_SIGNING_KEY,
    postmarkWebhookToken: e.POSTMARK_WEBHOOK_TOKEN,
    translate: e.TRANSLATE_URL
      ? {
          url: e.TRANSLATE_URL.replace(/\/+$/, ''),
          model: e.TRANSLATE_MODEL!,
          apiKey: e.TRANSLATE_API_KEY!,
          concurrency: e.TRANSLATE_CONCURRENCY,
          timeoutMs: e.TRANSLATE_TIMEOUT_SECONDS * 1000,
        }
      : undefined,
    arxivApiUrl: e.ARXIV_API_URL,
    hfApiUrl: e.HF_API_URL,
    arxivDelayMs: e.ARXIV_DELAY_MS,
    draft: e.DRAFT_SCHEDULE ? { schedule: e.DRAFT_SCHEDULE, minUpvotes: e.DRAFT_MIN_UPVOTES, maxPapers: e.DRAFT_PAPERS } : undefined,
    editorEmail: e.EDITOR_EMAIL,
    websubHub: e.WEBSUB_HUB === undefined ? undefined : new URL(e.WEBSUB_HUB).href,
  };
}

/**
 * TRUST_PROXY as operators write it. `none`: X-Forwarded-For is ignored; `hops`: that many proxies
 * in front, whatever their address (the client is the entry the farthest of them added);
 * `addresses`: proxies are recognised by address (IPs, CIDRs or proxy-addr's names loopback,
 * linklocal, uniquelocal); `all`: every entry is believed, so the client IP is whatever the
 * visitor wrote first.
 */
export type TrustProxy =
  | { kind: 'none' }
  | { kind: 'all' }
  | { kind: 'hops'; hops: number }
  | { kind: 'addresses'; addresses: string[] };

const TRUST_PROXY_EXPECTED = 'expected a hop count such as 1, true, or proxy addresses such as 127.0.0.1,10.0.0.0/8';

/** The TrustProxy an env value means, or what is wrong with it. */
export function parseTrustProxy(v: string | undefined): TrustProxy | string {
  const value = v?.trim() ?? '';
  if (value === '' || /^(false|0)$/i.test(value)) return { kind: 'none' };
  if (/^true$/i.test(value)) return { kind: 'all' };
  if (/^\d+$/.test(value)) return Number(value) <= 20 ? { kind: 'hops', hops: Number(value) } : `${value} proxy hops is more than any real chain (${TRUST_PROXY_EXPECTED})`;
  const addresses = value.split(',').map((a) => a.trim());
  try {
    // proxy-addr is what Fastify matches addresses with, so it decides what is valid.
    compileProxyAddresses(addresses);
  } catch (e) {
    return `${e instanceof Error ? e.message : String(e)} (${TRUST_PROXY_EXPECTED})`;
  }
  return { kind: 'addresses', addresses };
}
