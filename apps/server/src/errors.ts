/**
 * The API's coded error, over the one catalogue in @nilm/contracts (error.catalogue.ts): the code
 * fixes the HTTP status and the retry meaning; codes are never reused. The body is always
 * `{"error": {"code", "message", "details"}, "request_id"}`. `answerOf` is the one mapping from
 * any thrown error to that body, used by the app's error handler.
 */
import {
  errorEntry,
  errorStatus,
  isErrorCode,
  type AnswerCode,
  type ErrorCode,
  type ErrorStatus,
} from '@nilm/contracts';

export type ApiErrorCode = AnswerCode;

/** An error with a catalogue answer code; thrown by services and routes, rendered by the app. */
export class ApiError extends Error {
  readonly status: ErrorStatus;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds for a Retry-After header (503, 429). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = errorStatus(code);
  }
}

/** What the API answers for an error. */
export interface ErrorAnswer {
  status: ErrorStatus;
  code: AnswerCode;
  message: string;
  details?: unknown;
  retryAfterS?: number;
  /** True for a fault of the server (5xx but 503): the error goes to the log at error level. */
  fault: boolean;
}

/** Seconds a client waits before retrying a 503 that names no wait of its own. */
const UNAVAILABLE_RETRY_S = 5;

const plainDetails = (d: unknown): Record<string, unknown> =>
  typeof d === 'object' && d !== null && !Array.isArray(d) ? (d as Record<string, unknown>) : {};

/**
 * The answer for a thrown error that carries a catalogue code (an `ApiError`, or a cause such as
 * an `AuthError`, a `NilmError`, a `SourceError`), or undefined for anything else. A cause is sent
 * as its answer code with the cause named in details (`auth_code`, `nilm_code`, ...). A 4xx
 * keeps the thrown message, which says what was wrong; a 5xx from below the API sends the
 * catalogue's message and no details, since the thrown ones may name paths, hosts or keys (they go
 * to the log).
 */
export function answerOf(err: unknown): ErrorAnswer | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (!isErrorCode(code)) return undefined;
  if (err instanceof ApiError) {
    return {
      status: err.status,
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details }),
      ...(err.retryAfterS !== undefined
        ? { retryAfterS: err.retryAfterS }
        : err.status === 503
          ? { retryAfterS: UNAVAILABLE_RETRY_S }
          : {}),
      fault: err.status >= 500 && err.status !== 503,
    };
  }
  const entry = errorEntry(code as ErrorCode);
  const fault = entry.status >= 500 && entry.status !== 503;
  const own = plainDetails((err as { details?: unknown }).details);
  const details = entry.detail
    ? { [entry.detail]: code, ...(entry.status >= 500 ? {} : own) }
    : entry.status >= 500
      ? {}
      : own;
  return {
    status: entry.status,
    code: entry.answer,
    message: entry.status >= 500 ? entry.message : err.message,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    ...(entry.status === 503 ? { retryAfterS: UNAVAILABLE_RETRY_S } : {}),
    fault,
  };
}
