/**
 * The API's error catalogue: every error a client can meet has a stable code and an HTTP
 * status; codes are never reused. The body is always
 * `{"error": {"code", "message", "details"}, "request_id"}`.
 */
export const API_ERRORS = {
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  AUTH_BAD_CREDENTIALS: 401,
  AUTHZ_FORBIDDEN: 403,
  NOT_FOUND: 404,
  BUILDING_NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  CONFLICT: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  VALIDATION_JSON: 400,
  /** Not HTTP/1.1 that Node's parser can read; answered before any request exists. */
  BAD_REQUEST: 400,
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  VALIDATION_TIME: 422,
  VALIDATION_POWER: 422,
  /** A reading's per-phase powers: out of range, or not adding up to its power_w. */
  VALIDATION_PHASES: 422,
  VALIDATION_WINDOW: 422,
  RATE_LIMITED: 429,
  /** Too many failed authentications from this address; refused before any token is checked. */
  AUTH_FAILURES_LIMITED: 429,
  /** Too many wrong passwords in a row for this account: wait, then try again. */
  LOGIN_BACKOFF: 429,
  /** Too many open live streams (for this user, or on this server). */
  STREAM_LIMIT: 429,
  INTERNAL: 500,
  MODEL_FAILED: 500,
  STORE_UNAVAILABLE: 503,
  QUEUE_UNAVAILABLE: 503,
  /** The configured price API failed (unreachable, timed out, an error, a bad answer). */
  PRICE_API_FAILED: 502,
  NOT_READY: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** An error with a catalogue code; thrown by services and routes, rendered by the app. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds for a Retry-After header (503, 429). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERRORS[code];
  }
}
