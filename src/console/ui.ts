/** What every Console route plugin gets from the Console's shell (plugin.ts): pages, notices, redirects, the Session. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from './sessions.ts';
import type { ConsolePage } from './views.ts';

export interface Ui {
  /** A Console page for this request's Session (its CSRF token, its one-time notice). */
  page(req: FastifyRequest, reply: FastifyReply, name: ConsolePage, title: string, context?: Record<string, unknown>, status?: number): FastifyReply;
  /** A short page that says what went wrong, with a link back. */
  notice(req: FastifyRequest, reply: FastifyReply, status: number, heading: string, text: string, back?: string): FastifyReply;
  /** 303 to `to`, with a one-time notice shown there. */
  redirect(req: FastifyRequest, reply: FastifyReply, to: string, flash?: string): FastifyReply;
  session(req: FastifyRequest): Session | null;
}
