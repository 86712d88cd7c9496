/**
 * Environment → typed Config. The only module that knows environment variable names; every other
 * module receives the Config (or the part it needs). `.env` is loaded by the CLI entry, not here.
 */
import path from 'node:path';
import { z } from 'zod';
import { SudiError } from './errors.ts';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const intIn = (min: number, max: number, dflt: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).default(dflt));

const EnvSchema = z.object({
  SITE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .url({ message: 'expected an absolute URL such as https://news.example.org/' })
      .refine((v) => /^https?:/.test(v), { message: 'expected an http(s) URL' })
      // Unset: the local server's own address (filled in from PORT below), so links work out of the box.
      .optional(),
  ),
  SITE_TITLE: z.preprocess(emptyToUndefined, z.string().default('每周AI论文速递 · Sudi')),
  SITE_DESCRIPTION: z.preprocess(emptyToUndefined, z.string().default('A weekly digest of AI papers, in Chinese and English.')),
  SITE_LANGUAGE: z.preprocess(emptyToUndefined, z.string().default('zh-CN')),
  SITE_AUTHOR: z.preprocess(emptyToUndefined, z.string().default('Sudi')),
  PORT: intIn(0, 65535, 8080),
  HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, { message: 'expected sqlite:PATH or postgres://USER@HOST/DB' })
      .default('sqlite:data/sudi.db'),
  ),
  SMTP_URL: optionalString,
  OUTBOX_DIR: z.preprocess(emptyToUndefined, z.string().default('outbox')),
  MAIL_FROM: z.preprocess(emptyToUndefined, z.string().default('Sudi <digest@localhost>')),
  LIST_ID: z.preprocess(emptyToUndefined, z.string().default('Sudi weekly AI papers <weekly.sudi.localhost>')),
  SEND_RATE: z.preprocess(emptyToUndefined, z.coerce.number().min(0).default(0)),
  SEND_CONCURRENCY: intIn(1, 100, 4),
  LEASE_SECONDS: intIn(1, 86_400, 600),
  RELAY_RETRY_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().min(0.01).max(3600).default(30)),
  RELAY_RETRY_MAX_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().min(0.01).max(86_400).default(300)),
  SCHEDULE: z.preprocess(emptyToUndefined, z.string().default('0 * * * *')),
  TZ: z.preprocess(emptyToUndefined, z.string().default('Asia/Shanghai')),
  SECRET: z.preprocess(emptyToUndefined, z.string().min(32, { message: 'expected at least 32 characters' }).optional()),
  ADMIN_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16, { message: 'expected at least 16 characters' }).optional()),
  DKIM_DOMAIN: optionalString,
  DKIM_SELECTOR: optionalString,
  DKIM_PRIVATE_KEY_FILE: optionalString,
  FEED_LIMIT: intIn(1, 1000, 20),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('data')),
  PUBLIC_DIR: z.preprocess(emptyToUndefined, z.string().default('public')),
  TEMPLATES_DIR: z.preprocess(emptyToUndefined, z.string().optional()),
  SUBSCRIBE_RATE_LIMIT: intIn(1, 1_000_000, 10),
  TRUST_PROXY: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^(true|false|\d{1,2}|[\w.:/]+(\s*,\s*[\w.:/]+)*)$/, { message: 'expected true, a hop count such as 1, or proxy addresses such as 127.0.0.1,10.0.0.0/8' })
      .optional(),
  ),
});

export interface Config {
  siteUrl: string; // always ends with '/'
  siteTitle: string;
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
  /** Fastify's trustProxy: whether (and which) X-Forwarded-For to believe for the client IP. */
  trustProxy: boolean | number | string;
  issuesDir: string;
}

/** The project's own templates/ folder, used when TEMPLATES_DIR is unset. */
export const BUNDLED_TEMPLATES_DIR = path.resolve(import.meta.dirname, '..', 'templates');

export function parseConfig(env: Record<string, string | undefined>, cwd: string, overrides: { issuesDir?: string } = {}): Config {
  const r = EnvSchema.safeParse(env);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${String(i.path[0])}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
    throw new SudiError('E_CONFIG', 'invalid configuration; see .env.example', { problems });
  }
  const e = r.data;
  const dkimParts = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY_FILE];
  if (dkimParts.some(Boolean) && !dkimParts.every(Boolean)) {
    throw new SudiError('E_CONFIG', 'DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE together (or none of them)');
  }
  const abs = (p: string) => path.resolve(cwd, p);
  const databaseUrl = e.DATABASE_URL.startsWith('sqlite:') ? `sqlite:${abs(e.DATABASE_URL.slice('sqlite:'.length))}` : e.DATABASE_URL;
  return {
    siteUrl: e.SITE_URL === undefined ? `http://localhost:${e.PORT}/` : e.SITE_URL.endsWith('/') ? e.SITE_URL : `${e.SITE_URL}/`,
    siteTitle: e.SITE_TITLE,
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
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    issuesDir: abs(overrides.issuesDir ?? 'issues'),
  };
}

function parseTrustProxy(v: string | undefined): boolean | number | string {
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  return /^\d+$/.test(v) ? Number(v) : v;
}
