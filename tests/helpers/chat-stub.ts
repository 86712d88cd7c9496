/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions shape (POST
 * /v1/chat/completions), for the translation tests. Each request goes to `answer`, which says
 * what to send back: a completion, an HTTP error (with Retry-After), a broken body, or nothing at
 * all (to time out). `hold` keeps a request unanswered until the test releases it, to observe how
 * many are in flight at once.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  /** The parsed JSON body. */
  body: { model: string; messages: { role: string; content: string }[]; [k: string]: unknown };
  headers: IncomingHttpHeaders;
  path: string;
  /** The system and user messages' text. */
  system: string;
  user: string;
}

export type StubReply =
  | { content: string; finishReason?: string }
  | { status: number; headers?: Record<string, string>; body?: string }
  | { hang: true };

export type Answer = (req: ChatRequest, n: number) => StubReply | Promise<StubReply>;

export interface ChatStub {
  /** Base URL for TRANSLATE_URL, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  requests: ChatRequest[];
  close(): Promise<void>;
}

/** The body an OpenAI-compatible server sends for one answer. */
export function completionBody(content: string, finishReason = 'stop'): string {
  return JSON.stringify({
    id: 'chatcmpl-stub',
    object: 'chat.completion',
    created: 1713139200,
    model: 'stub-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

export async function startChatStub(answer: Answer): Promise<ChatStub> {
  const requests: ChatRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(res, 404, {}, '{"error":{"message":"not found"}}');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest['body'];
        const text = (role: string) => body.messages.filter((m) => m.role === role).map((m) => m.content).join('\n');
        const request: ChatRequest = { body, headers: req.headers, path: req.url, system: text('system'), user: text('user') };
        requests.push(request);
        const reply = await answer(request, requests.length);
        if ('hang' in reply) return; // never answered: the client's timeout has to end it
        if ('content' in reply) return send(res, 200, { 'content-type': 'application/json' }, completionBody(reply.content, reply.finishReason));
        send(res, reply.status, { 'content-type': 'application/json', ...reply.headers }, reply.body ?? `{"error":{"message":"stub error ${reply.status}"}}`);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, headers);
  res.end(body);
}

/** The English text a request asks to translate (after the instruction line). */
export function englishOf(req: ChatRequest): string {
  return req.user.split('\n\n').slice(1).join('\n\n');
}
