/**
 * The answers Fastify and Node would otherwise write themselves, as JSON without our headers:
 * a request Node cannot parse (400), headers over Node's limit (431), a request too slow to arrive
 * (408), a malformed URL (400) and an over-long route parameter (414). Each becomes one of our
 * refusals, with the security headers and without echoing what the client sent.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Pages } from './pages.ts';
import { REFUSALS, refusalPage, sendRefusal, type Refusal } from './respond.ts';

const BY_STATUS: Partial<Record<number, Refusal>> = {
  404: REFUSALS.notFound,
  405: REFUSALS.methodNotAllowed,
  408: REFUSALS.timeout,
  413: REFUSALS.tooLarge,
  414: REFUSALS.uriTooLong,
  415: REFUSALS.unsupportedType,
  429: REFUSALS.tooMany,
  431: REFUSALS.headersTooLarge,
};

export function refusalForStatus(status: number): Refusal {
  return BY_STATUS[status] ?? (status >= 400 && status < 500 ? { ...REFUSALS.badForm, status } : REFUSALS.failed);
}

/** Fastify's `frameworkErrors`: FST_ERR_BAD_URL (400), FST_ERR_MAX_PARAM_LENGTH (414). */
export function frameworkErrors(pages: Pages) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    void sendRefusal(req, reply, pages, err.code === 'FST_ERR_BAD_URL' ? REFUSALS.badRequest : refusalForStatus(err.statusCode ?? 400));
  };
}

/**
 * Fastify's `clientErrorHandler`: Node could not parse a request, so there is no request or reply
 * object; the answer is written to the socket, which is then closed (as Node and Fastify do).
 */
export function clientErrorHandler(pages: Pages, headers: Record<string, string>) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    // A reset connection has no one left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const r = err.code === 'HPE_HEADER_OVERFLOW' ? REFUSALS.headersTooLarge : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? REFUSALS.timeout : REFUSALS.badRequest;
    if (socket.writable) socket.write(rawResponse(r.status, headers, refusalPage(pages, r)));
    socket.destroy(err);
  };
}

/** A complete HTTP/1.1 response with a text/html body, for writing straight to a socket. */
export function rawResponse(status: number, headers: Record<string, string>, html: string): string {
  const all: Record<string, string> = {
    ...headers,
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(html)),
    'cache-control': 'no-store',
    connection: 'close',
  };
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${lines.join('')}\r\n${html}`;
}
