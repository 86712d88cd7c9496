/**
 * Builds a complete message (raw bytes) with nodemailer's MailComposer, for one-off mail such as
 * confirmations and test copies. Issue mail to many recipients is built by the delivery engine,
 * which encodes the body once per Issue instead.
 */
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { OutgoingMessage } from './transport.ts';

export async function composeMessage(mail: Mail.Options & { from: string; to: string; messageId: string }): Promise<OutgoingMessage> {
  const node = new MailComposer({ ...mail, disableFileAccess: true, disableUrlAccess: true }).compile();
  node.keepBcc = false;
  const raw = await node.build();
  const envelopeFrom = node.getEnvelope().from || mail.from;
  return { from: String(envelopeFrom), to: mail.to, raw, messageId: mail.messageId };
}
