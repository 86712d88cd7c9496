/**
 * One chat completion from an OpenAI-compatible API (DeepSeek, Qwen, vLLM, Ollama …), through the
 * official `openai` client: it retries 408/409/429/5xx, connection failures and timeouts, honouring
 * Retry-After (and retry-after-ms) up to a minute, with its own backoff otherwise. We allow 3 tries in
 * all and a timeout per try (TRANSLATE_TIMEOUT_SECONDS).
 *
 * The answer is checked here, not trusted: a body that is not JSON, not a chat completion, empty,
 * or cut off at the length limit is a failure with a reason a person can act on. The API key never
 * appears in a reason.
 */
import OpenAI from 'openai';
import { z } from 'zod';
import type { TranslateConfig } from '../config.ts';
import type { ChatMessage } from './prompt.ts';

export type FetchFn = typeof globalThis.fetch;

/** Tries per request, the first included. */
export const TRIES = 3;

export interface ChatClient {
  /** The model's answer text; throws a TranslationFailure saying why there is none. */
  complete(messages: ChatMessage[]): Promise<string>;
}

export class TranslationFailure extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'TranslationFailure';
  }
}

const Completion = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullish() }), finish_reason: z.string().nullish() }))
    .min(1),
});

export function createChatClient(settings: TranslateConfig, opts: { fetch?: FetchFn } = {}): ChatClient {
  const client = new OpenAI({
    baseURL: settings.url,
    apiKey: settings.apiKey,
    timeout: settings.timeoutMs,
    maxRetries: TRIES - 1,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    // Only what Config says: no organisation, project or admin key picked up from OPENAI_* variables,
    // and no console output (failures come back as reasons in the report).
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    logLevel: 'off',
  });
  const seconds = `${settings.timeoutMs / 1000} s`;
  return {
    async complete(messages) {
      let body: unknown;
      try {
        // temperature 0: the same English gives the same Chinese on a rerun, as far as the model allows.
        body = await client.chat.completions.create({ model: settings.model, messages, temperature: 0, stream: false });
      } catch (e) {
        throw new TranslationFailure(describeFailure(e, settings.url, seconds), { cause: e });
      }
      const parsed = Completion.safeParse(body);
      if (!parsed.success) {
        throw new TranslationFailure(`the answer is not a chat completion (expected JSON with choices[0].message.content; got ${preview(body)})`);
      }
      const choice = parsed.data.choices[0]!;
      if (choice.finish_reason === 'length') throw new TranslationFailure('the answer was cut off at the model\'s length limit (finish_reason "length")');
      const text = choice.message.content ?? '';
      if (text.trim() === '') throw new TranslationFailure('the answer is empty');
      return text;
    },
  };
}

function describeFailure(e: unknown, url: string, seconds: string): string {
  if (e instanceof OpenAI.APIConnectionTimeoutError) return `no answer within ${seconds} (${TRIES} tries)`;
  if (e instanceof OpenAI.APIConnectionError) return `could not reach ${url} (${TRIES} tries): ${causeOf(e)}`;
  if (e instanceof OpenAI.APIError && e.status !== undefined) {
    const retried = e.status === 408 || e.status === 409 || e.status === 429 || e.status >= 500;
    return `HTTP ${e.status}${retried ? ` (${TRIES} tries)` : ''}: ${oneLine(e.message)}`;
  }
  if (e instanceof SyntaxError) return `the answer is not JSON (${oneLine(e.message)})`;
  return oneLine(e instanceof Error ? e.message : String(e));
}

function causeOf(e: Error): string {
  const cause = e.cause;
  const inner = cause instanceof Error ? ((cause.cause instanceof Error ? cause.cause.message : undefined) ?? cause.message) : undefined;
  return oneLine(inner ?? e.message);
}

const oneLine = (s: string) => {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
};

function preview(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return oneLine(text ?? String(body)).slice(0, 80) || 'nothing';
}
