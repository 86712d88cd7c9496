/**
 * Builds a complete message (raw bytes) with nodemailer's public API, for one-off mail such as
 * confirmations and test copies: a stream transport that hands back the composed message instead
 * of sending it. Issue mail to many recipients is built by the delivery engine, which encodes the
 * body once per Issue instead.
 */
import { createTransport, type SendMailOptions } from 'nodemailer';
import type { OutgoingMessage } from './transport.ts';

let composer: ReturnType<typeof createTransport> | undefined;

export async function composeMessage(mail: SendMailOptions & { from: string; to: string; messageId: string }): Promise<OutgoingMessage> {
  // CRLF line breaks (the wire form); Bcc is never written into the message.
  composer ??= createTransport({ streamTransport: true, buffer: true, newline: 'windows', disableFileAccess: true, disableUrlAccess: true });
  const info = await composer.sendMail(mail);
  const raw = info.message as Buffer;
  return { from: String(info.envelope.from || mail.from), to: mail.to, raw, messageId: mail.messageId };
}
