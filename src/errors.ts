/**
 * One error class for everything Sudi reports to a person. The code says what kind of failure it
 * is; the exit code follows from it (2 = the input or usage was wrong, 1 = something failed).
 */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_ISSUE_INVALID'
  | 'E_IMPORT'
  | 'E_NOT_FOUND'
  | 'E_CONFLICT'
  | 'E_TEMPLATE'
  | 'E_BUILD'
  | 'E_STORE'
  | 'E_SMTP'
  | 'E_TOKEN'
  /** A paper source (arXiv, Hugging Face) failed or answered something unreadable. */
  | 'E_SOURCE';

const INPUT_ERRORS: ReadonlySet<ErrorCode> = new Set(['E_USAGE', 'E_CONFIG', 'E_ISSUE_INVALID', 'E_IMPORT', 'E_NOT_FOUND']);

export class SudiError extends Error {
  readonly code: ErrorCode;
  /** One line per problem, each already formatted for a person (e.g. `FILE:LINE: field: message`). */
  readonly problems: readonly string[];

  constructor(code: ErrorCode, message: string, options: { problems?: readonly string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SudiError';
    this.code = code;
    this.problems = options.problems ?? [];
  }

  get exitCode(): 1 | 2 {
    return INPUT_ERRORS.has(this.code) ? 2 : 1;
  }
}

export function isSudiError(e: unknown): e is SudiError {
  return e instanceof SudiError;
}
