/**
 * A project that really sent an Issue (sudi send → a real SMTP server on loopback), so inbound
 * tests answer the messages Sudi emitted: the VERP envelope sender and the Message-ID are the
 * ones on the wire, not ones the test made up.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deliveryProject, type DeliveryProject } from '../helpers/delivery-project.ts';
import { runCliCaptured } from '../helpers/run-cli.ts';
import { startSmtpCapture, type Captured } from '../helpers/smtp-capture.ts';

export const BOUNCE_DOMAIN = 'bounces.example.org';
export const ISSUE = '2024-04-15';

export interface SentMail {
  email: string;
  /** The VERP token of the envelope sender, as sent. */
  token: string;
  messageId: string;
  envelopeFrom: string;
  raw: Buffer;
}

export interface SentProject {
  project: DeliveryProject;
  /** One per Subscriber, in Subscriber order. */
  sent: SentMail[];
  run(argv: string[]): ReturnType<typeof runCliCaptured>;
  /** Writes `bytes` as a file in the project's tmp folder; returns its path. */
  save(name: string, bytes: Buffer): Promise<string>;
  statusOf(email: string): Promise<string | undefined>;
  cleanup(): Promise<void>;
}

export async function sentProject(subscribers: number, env: Record<string, string> = {}): Promise<SentProject> {
  const smtp = await startSmtpCapture();
  const project = await deliveryProject({ env: { SMTP_URL: smtp.url, BOUNCE_DOMAIN, ...env } });
  const run = (argv: string[]) => runCliCaptured(argv, { cwd: project.dir, env: project.env });
  try {
    await project.addSubscribers(subscribers);
    const r = await run(['send', ISSUE]);
    if (r.code !== 0) throw new Error(`sudi send failed: ${r.stderr}`);
  } finally {
    await smtp.close();
  }
  const sent = smtp.accepted().map((m: Captured) => ({
    email: m.to[0]!,
    envelopeFrom: m.from,
    token: m.from.slice('bounces+'.length, m.from.indexOf('@')),
    messageId: m.messageId!,
    raw: m.raw,
  }));
  sent.sort((a, b) => a.email.localeCompare(b.email, 'en', { numeric: true }));
  return {
    project,
    sent,
    run,
    async save(name, bytes) {
      const file = path.join(project.dir, name);
      await writeFile(file, bytes);
      return file;
    },
    async statusOf(email) {
      const app = project.app();
      try {
        return (await (await app.store()).findSubscriberByEmail(email))?.status;
      } finally {
        await app.close();
      }
    },
    cleanup: () => project.cleanup(),
  };
}
