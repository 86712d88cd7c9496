/**
 * How the server answers: HTML pages for browsers and forms, JSON for JSON clients, the same
 * words either way. Every refusal is one of the REFUSALS below, so status codes and texts stay
 * consistent across routes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PageName, Pages } from './pages.ts';

export interface Refusal {
  status: number;
  /** Stable machine-readable code for JSON clients. */
  code: string;
  heading: string;
  zh: string;
  en: string;
}

const refusal = (status: number, code: string, heading: string, zh: string, en: string): Refusal => ({ status, code, heading, zh, en });

export const REFUSALS = {
  invalidLink: refusal(400, 'invalid_link', '链接无效 This link is not valid', '这个链接不完整或已被改动。请使用邮件中的原始链接。', 'This link is incomplete or has been altered. Please use the link exactly as it appears in the mail.'),
  expiredLink: refusal(410, 'expired_link', '链接已过期 This link has expired', '确认链接 7 天内有效。请在首页重新订阅，获取新的确认邮件。', 'Confirmation links work for 7 days. Subscribe again on the front page to get a new one.'),
  staleLink: refusal(410, 'stale_link', '链接已失效 This link no longer applies', '这个地址此后已退订或被停用。如需再次订阅，请在首页重新订阅。', 'This address has left the list since the link was sent. To come back, subscribe again on the front page.'),
  invalidLang: refusal(400, 'invalid_lang', '语言无效 Unknown language', '请选择 zh、en 或 both。', 'Please choose zh, en or both.'),
  badForm: refusal(400, 'bad_request', '请求无效 Bad request', '表单内容无法识别。', 'The form could not be read.'),
  badRequest: refusal(400, 'bad_request', '请求无效 Bad request', '这个请求无法识别。', 'The request could not be read.'),
  timeout: refusal(408, 'timeout', '请求超时 Request timeout', '请求发送得太慢。', 'The request took too long to arrive.'),
  uriTooLong: refusal(414, 'uri_too_long', '地址过长 Address too long', '这个地址太长。请使用邮件中的原始链接。', 'This address is too long. Please use the link exactly as it appears in the mail.'),
  headersTooLarge: refusal(431, 'headers_too_large', '请求头过大 Headers too large', '请求头太大。', 'The request headers are too large.'),
  notFound: refusal(404, 'not_found', '页面不存在 Page not found', '这个地址没有页面。', 'There is no page at this address.'),
  methodNotAllowed: refusal(405, 'method_not_allowed', '不支持的操作 Not allowed', '这个地址不接受这种请求。', 'This address does not accept this kind of request.'),
  tooLarge: refusal(413, 'too_large', '内容过大 Too large', '提交的内容太大。', 'What was sent is too large.'),
  unsupportedType: refusal(415, 'unsupported_type', '格式不支持 Unsupported format', '请以表单或 JSON 提交。', 'Please send a form (application/x-www-form-urlencoded) or JSON.'),
  tooMany: refusal(429, 'rate_limited', '请求过多 Too many requests', '请稍后再试。', 'Please wait a minute and try again.'),
  failed: refusal(500, 'server_error', '出错了 Something went wrong', '服务器出错，请稍后再试。', 'The server failed; please try again later.'),
} as const;

export function invalidEmail(reason: string): Refusal {
  return refusal(400, 'invalid_email', '邮箱地址无效 Invalid email address', '请检查邮箱地址，例如 name@example.org。', `The email address ${reason}.`);
}

/** JSON when the client sent JSON, or asks for JSON and not HTML. */
export function wantsJson(req: FastifyRequest): boolean {
  if (/^application\/([\w.+-]+\+)?json\b/i.test(req.headers['content-type'] ?? '')) return true;
  const accept = req.headers.accept ?? '';
  return /application\/json/i.test(accept) && !/text\/html/i.test(accept);
}

/** Dynamic pages are personal (tokens in URLs): never cached, never indexed. */
function privateHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex');
}

export function sendPage(reply: FastifyReply, pages: Pages, status: number, name: PageName, title: string, context: Record<string, unknown> = {}) {
  return privateHeaders(reply).code(status).type('text/html; charset=utf-8').send(pages.render(name, title, context));
}

export function sendRefusal(req: FastifyRequest, reply: FastifyReply, pages: Pages, r: Refusal) {
  if (wantsJson(req)) {
    return privateHeaders(reply).code(r.status).type('application/json; charset=utf-8').send({ ok: false, error: r.code, message: r.en });
  }
  return privateHeaders(reply).code(r.status).type('text/html; charset=utf-8').send(refusalPage(pages, r));
}

/** The HTML page for a refusal (also written straight to the socket when no request could be parsed). */
export function refusalPage(pages: Pages, r: Refusal): string {
  return pages.render('page-error', r.heading, {
    heading: r.heading,
    lines: [
      { lang: 'zh-CN', text: r.zh },
      { lang: 'en', text: r.en },
    ],
  });
}
