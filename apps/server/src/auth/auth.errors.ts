/**
 * The auth layer's coded error. Its codes, statuses and meanings are the `auth` causes of the one
 * error catalogue (`@nilm/contracts` error.catalogue.ts): a token the caller can fix answers 401
 * `AUTH_INVALID`, a server that cannot authenticate anyone right now 503 `NOT_READY`, a broken
 * local secret or setting 500 `INTERNAL`; the app's error handler sends the code in
 * `details.auth_code`. Anything that is not an `AuthError` must be treated as a refusal too (fail
 * closed). Authorization decisions are not errors here: see `access.policy.ts`.
 */
import { errorStatus, type AuthErrorCode } from '@nilm/contracts';

export type { AuthErrorCode };

/** An authentication failure with a stable code, an HTTP status and a fix. */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  /** HTTP status of the answer; named `statusCode` as Fastify names it. */
  readonly statusCode: number;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
    this.code = code;
    this.statusCode = errorStatus(code);
  }
}
