/**
 * The auth layer's error catalogue. Each code is stable (never reused, never renamed) and
 * carries the HTTP status the API answers with. Every failure is an `AuthError`: the HTTP
 * wiring maps `statusCode` and `code` straight into the response, and anything that is not an
 * `AuthError` must be treated as a refusal too (fail closed).
 *
 * Status choice: 401 when the caller can fix it (send a valid token), 503 when the server cannot
 * authenticate anyone right now (nothing configured, key server unreachable), 500 for a broken
 * local secret store, 403/404 for authorization decisions (see `access.policy.ts`).
 */
export const AUTH_ERRORS = {
  AUTH_MISSING: { status: 401, description: 'no Authorization header was sent' },
  AUTH_MALFORMED: {
    status: 401,
    description: 'the header is not exactly `Bearer <token>` or the token is not a JWT',
  },
  AUTH_ALG_NOT_ALLOWED: {
    status: 401,
    description: 'the token is signed with an algorithm this server does not accept for it',
  },
  AUTH_UNKNOWN_KEY: { status: 401, description: 'no trusted key matches the token `kid`' },
  AUTH_INVALID_SIGNATURE: { status: 401, description: 'the token signature does not verify' },
  AUTH_EXPIRED: { status: 401, description: 'the token `exp` is in the past' },
  AUTH_NOT_YET_VALID: {
    status: 401,
    description: 'the token `nbf` or `iat` is in the future beyond the clock tolerance',
  },
  AUTH_WRONG_ISSUER: { status: 401, description: 'the token `iss` is not the configured issuer' },
  AUTH_WRONG_AUDIENCE: {
    status: 401,
    description: 'the token `aud` does not include the configured audience',
  },
  AUTH_CLAIM_INVALID: {
    status: 401,
    description: 'a required claim (`sub`, `exp`) is missing or a time claim is not a number',
  },
  AUTH_KEYS_UNAVAILABLE: {
    status: 503,
    description: 'the JWKS could not be fetched and the token key is not cached',
  },
  AUTH_NOT_CONFIGURED: {
    status: 503,
    description: 'no token verification source is configured; every token is refused',
  },
  AUTH_CONFIG_INVALID: { status: 500, description: 'an auth setting is invalid' },
  AUTH_LOCAL_KEY_INVALID: {
    status: 500,
    description: 'the local signing key file is unreadable, malformed or not private (0600)',
  },
  AUTH_HASH_INVALID: { status: 500, description: 'a stored password hash is malformed' },
  AUTHZ_FORBIDDEN: {
    status: 403,
    description: 'the caller may see the building but not perform this action',
  },
  AUTHZ_NOT_FOUND: {
    status: 404,
    description: 'the caller has no access to the building (answered as if it did not exist)',
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;

/** An authentication or authorization failure with a stable code, an HTTP status and a fix. */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  /** HTTP status; named `statusCode` so Fastify's error handler uses it as is. */
  readonly statusCode: number;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
    this.code = code;
    this.statusCode = AUTH_ERRORS[code].status;
  }
}
