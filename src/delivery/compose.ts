/**
 * Builds a complete message (raw bytes) with nodemailer's public API, for one-off mail such as
 * confirmations and test copies: a stream transport that hands back the composed message instead
 * of sending it. Issue mail to many recipients is built by the delivery engine, which encodes the
 * body once per Issue instead.
 */
import { createTransport, type SendMailOptions } from 'nodemailer';
import type { OutgoingMessage } from './transport.ts';

let composer: ReturnType<typeof createTransport> | undefined;

/** A message to one recipient, `to` (the envelope has only that one: no Cc or Bcc). */
export type ComposedMail = Omit<SendMailOptions, 'cc' | 'bcc'> & { from: string; to: string; messageId: string };

export async function composeMessage(mail: ComposedMail): Promise<OutgoingMessage> {
  // CRLF line breaks (the wire form). The stream transport writes a Bcc header (it is meant for
  // inspecting mail), so none is passed on even from an untyped caller.
  composer ??= createTransport({ streamTransport: true, buffer: true, newline: 'windows', disableFileAccess: true, disableUrlAccess: true });
  const { cc: _cc, bcc: _bcc, ...one } = mail as SendMailOptions & ComposedMail;
  // The stream transport's info: the message bytes (buffer: true) and the envelope it derived.
  const info = (await composer.sendMail(one)) as { message: Buffer; envelope: { from?: string | false } };
  return { from: String(info.envelope.from || mail.from), to: mail.to, raw: info.message, messageId: mail.messageId };
}
