/**
 * Logs for the long-running services (`sudi serve`, `sudi worker`, `sudi inbound`): one pino logger
 * (the one Fastify uses too) writing to stderr, a JSON object a line for a log collector, or a short
 * human line in a terminal. One-shot commands keep their plain lines and never come here.
 *
 * Most of the code reports through a `(line) => void` (LineLog): plain lines for the CLI and tests.
 * A LineLog made by lineLog() carries its pino logger, and logEvent() then writes a level and
 * context fields (issue, subscriberId, …) beside the same message.
 */
import pino, { type Level, type Logger } from 'pino';
import { SudiError } from './errors.ts';

export type { Logger };

export interface LogStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A line sink; the one lineLog() makes also carries the structured logger behind it. */
export type LineLog = ((line: string) => void) & { logger?: Logger };

/** LOG_LEVEL (default info) and LOG_FORMAT (default: pretty on a terminal, json otherwise). */
export function logSettings(env: Record<string, string | undefined>, stream: LogStream): { level: string; format: LogFormat } {
  const level = (env.LOG_LEVEL || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new SudiError('E_CONFIG', `LOG_LEVEL: "${env.LOG_LEVEL}" is not a level (expected one of ${LOG_LEVELS.join(', ')}, e.g. LOG_LEVEL=debug)`);
  }
  const format = (env.LOG_FORMAT || (stream.isTTY ? 'pretty' : 'json')).toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new SudiError('E_CONFIG', `LOG_FORMAT: "${env.LOG_FORMAT}" is not a format (expected json or pretty)`);
  }
  return { level, format: format as LogFormat };
}

export function createLogger(stream: LogStream, env: Record<string, string | undefined>): Logger {
  const { level, format } = logSettings(env, stream);
  // pino writes each record with one synchronous write() of a whole line; a formatter in the same
  // process keeps the terminal format free of pino-pretty and its worker-thread transport.
  const destination = { write: (line: string) => void stream.write(format === 'json' ? line : prettyLine(line)) };
  return pino(
    {
      level,
      base: undefined, // no pid/hostname: the service manager adds its own
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A LineLog whose plain lines become records at `level`; logEvent() on it adds fields. */
export function lineLog(logger: Logger, level: Level = 'warn'): LineLog {
  const log: LineLog = (line) => logger[level](line);
  log.logger = logger;
  return log;
}

/**
 * Writes `msg` with a level and context fields when `log` has a structured logger behind it, and
 * just `msg` (the line the CLI and tests have always seen) when it is a plain line sink.
 */
export function logEvent(log: LineLog, level: Level, fields: Record<string, unknown>, msg: string): void {
  if (log.logger) log.logger[level](fields, msg);
  else log(msg);
}

const SKIPPED = new Set(['time', 'level', 'msg']);

/** One JSON record as `12:00:00.123 WARN  message key=value …` (pure, for the terminal format). */
export function prettyLine(json: string): string {
  let rec: { time?: unknown; level?: unknown; msg?: unknown } & Record<string, unknown>;
  try {
    rec = JSON.parse(json) as typeof rec;
  } catch {
    return json;
  }
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 23) : '';
  const level = (typeof rec.level === 'string' ? rec.level : '').toUpperCase().padEnd(5);
  const fields = Object.entries(rec)
    .filter(([k, v]) => !SKIPPED.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${fieldText(v)}`);
  return `${time} ${level} ${typeof rec.msg === 'string' ? rec.msg : ''}${fields.length ? ` ${fields.join(' ')}` : ''}\n`;
}

function fieldText(v: unknown): string {
  if (v && typeof v === 'object' && 'message' in v) return JSON.stringify(v.message);
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}
