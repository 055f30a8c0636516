import {
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';

import {
  MIN_HS256_SECRET_LENGTH,
  resolveAuthSettings,
  trimTrailingSlashes,
  type AuthSettings,
} from './auth.config.js';
import { AuthError } from './auth.errors.js';
import { systemClock, type Clock, type PlatformRole } from './auth.types.js';
import {
  JwksCache,
  quoteUntrusted,
  type JwksAlgorithm,
  type JwksCacheOptions,
  type JwksKeySource,
} from './jwks.cache.js';

/** Which trust anchor verified a token. */
export type TokenSource = 'jwks' | 'hs256' | 'local';

/**
 * The local issuer's key as the verifier trusts it: a token whose header `kid` equals `kid`
 * is verified with `key` and `alg` only, and must carry this `issuer` and `audience`.
 */
export interface TrustedLocalKey {
  alg: 'ES256' | 'HS256';
  kid: string;
  /** ES256: the public key. HS256: the secret bytes. */
  key: CryptoKey | Uint8Array;
  issuer: string;
  audience: string;
}

/** A verified caller. */
export interface VerifiedToken {
  sub: string;
  email?: string;
  /**
   * The OIDC `email_verified` claim, when the token carries it as a boolean. Supabase's copy in
   * `user_metadata` is user-editable and is not read.
   */
  emailVerified?: boolean;
  role: PlatformRole;
  /** Expiry, seconds since the epoch. */
  exp: number;
  source: TokenSource;
  /** Every claim of the token, verified but uninterpreted. */
  claims: JWTPayload;
}

export interface TokenVerifierOptions {
  /** Public keys for RS256/ES256 tokens; without it those tokens are refused. */
  jwks?: JwksKeySource;
  /** Secret for HS256 tokens; without it HS256 is refused. */
  hs256Secret?: string;
  /** Expected `iss` for external tokens; a trailing slash on either side is ignored. */
  issuer?: string;
  /** Expected `aud` for external tokens. */
  audience?: string;
  local?: TrustedLocalKey;
  /** Slack for `exp`, `nbf` and `iat` against our clock. Default 30 s. */
  clockToleranceSec?: number;
  now?: Clock;
}

/** Longest token accepted; real ones are well under 4 KiB. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const BEARER_PREFIX = 'Bearer ';
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Most verified tokens a verifier remembers (a few MB at most). */
const VERIFIED_KEPT = 10_000;

interface KeyPlan {
  key: CryptoKey | Uint8Array;
  alg: string;
  /** Accepted `iss` values; the first is the one named in messages. */
  issuers?: string[];
  audience?: string;
  source: TokenSource;
}

/**
 * The platform role carried by verified claims: `admin` when the top-level `role` claim or
 * `app_metadata.role` is exactly `admin`, otherwise `user`. Supabase sets `role` to
 * `authenticated` on every user, so an admin flag lives in `app_metadata` (writable only with
 * the service key). `user_metadata` is user-editable and is never read.
 */
export function roleFromClaims(claims: JWTPayload): PlatformRole {
  if (claims.role === 'admin') return 'admin';
  const app = claims.app_metadata;
  if (typeof app === 'object' && app !== null && (app as { role?: unknown }).role === 'admin') {
    return 'admin';
  }
  return 'user';
}

function malformed(message: string, cause?: unknown): AuthError {
  return new AuthError('AUTH_MALFORMED', message, { cause });
}

/** The token from a header that must be exactly `Bearer <compact JWS>`. */
function parseBearer(authorization: string): string {
  if (!authorization.startsWith(BEARER_PREFIX)) {
    throw malformed(
      "The Authorization header must be exactly 'Bearer <token>' (capital B, one space).",
    );
  }
  const token = authorization.slice(BEARER_PREFIX.length);
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
    throw malformed(
      "The bearer token is not a JWT (three base64url parts joined by '.'). Send the access " +
        'token from sign-in, without quotes or extra spaces.',
    );
  }
  return token;
}

function describeTime(sec: unknown): string {
  return typeof sec === 'number' ? new Date(sec * 1000).toISOString() : String(sec);
}

/** Translate jose's failures into the catalogue; anything unexpected is still a refusal. */
function fromJoseError(err: unknown, plan: KeyPlan): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof errors.JWTExpired) {
    return new AuthError(
      'AUTH_EXPIRED',
      `The token expired at ${describeTime(err.payload.exp)}. Sign in again for a new token.`,
      { cause: err },
    );
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'iss':
        return new AuthError(
          'AUTH_WRONG_ISSUER',
          `The token issuer ${JSON.stringify(err.payload.iss)} is not the configured issuer ` +
            `"${plan.issuers?.[0]}". Use a token from the configured identity provider.`,
          { cause: err },
        );
      case 'aud':
        return new AuthError(
          'AUTH_WRONG_AUDIENCE',
          `The token audience ${JSON.stringify(err.payload.aud)} does not include ` +
            `"${plan.audience}". Use an access token issued for this server.`,
          { cause: err },
        );
      case 'nbf':
        if (err.reason === 'check_failed') {
          return new AuthError(
            'AUTH_NOT_YET_VALID',
            `The token is not valid before ${describeTime(err.payload.nbf)}. Check the clocks ` +
              'of the server and the identity provider.',
            { cause: err },
          );
        }
        break;
    }
    return new AuthError(
      'AUTH_CLAIM_INVALID',
      `The token claim "${err.claim}" is missing or invalid (${err.message}). Tokens need a ` +
        'string "sub" and a numeric "exp"; sign in again.',
      { cause: err },
    );
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError(
      'AUTH_INVALID_SIGNATURE',
      'The token signature does not verify. The token was altered or signed by someone else; ' +
        'sign in again.',
      { cause: err },
    );
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new AuthError(
      'AUTH_ALG_NOT_ALLOWED',
      `The token algorithm is not accepted (expected ${plan.alg}).`,
      { cause: err },
    );
  }
  return malformed(
    'The token could not be parsed or verified. Send the access token from sign-in unchanged.',
    err,
  );
}

/**
 * Verifies bearer tokens against the configured trust anchors. Fails closed: every path that
 * does not end in a verified signature and valid claims throws an `AuthError`.
 *
 * Rules:
 * - The header is exactly `Bearer <token>`; nothing configured means `AUTH_NOT_CONFIGURED`.
 * - `alg` is pinned per key, never taken on trust: a `kid` equal to the local key's is verified
 *   only with that key and its algorithm; HS256 only with the configured secret; RS256/ES256
 *   only with a JWKS key of matching type. `none` and every other algorithm are refused, so an
 *   HS256 token "signed" with an RSA public key never meets that key.
 * - `exp` and a non-empty string `sub` are required; `exp`, `nbf` and `iat` are checked with
 *   `clockToleranceSec` of slack; `iss` and `aud` are checked when configured.
 * - A token verified once is remembered (up to `VERIFIED_KEPT` tokens, the oldest forgotten
 *   first) so that its signature is not checked again on every request: an ES256 verification
 *   cost about a tenth of a cached readings answer. A remembered token is accepted again only
 *   while it has not expired (with the same slack) and while its header still leads to the very
 *   key that verified it: a key removed from the JWKS, or replaced under the same kid, sends the
 *   token through full verification again. Refusals are never remembered.
 */
export class TokenVerifier {
  private readonly jwks: JwksKeySource | undefined;
  private readonly secret: Uint8Array | undefined;
  private readonly issuers: string[] | undefined;
  private readonly audience: string | undefined;
  private readonly local: TrustedLocalKey | undefined;
  private readonly toleranceSec: number;
  private readonly now: Clock;
  private readonly accepted: ReadonlySet<string>;
  /** Tokens verified before, by their text: the key that verified each and what it said. */
  private readonly verified = new Map<
    string,
    { key: CryptoKey | Uint8Array; result: VerifiedToken }
  >();

  constructor(options: TokenVerifierOptions) {
    if (options.hs256Secret !== undefined && options.hs256Secret.length < MIN_HS256_SECRET_LENGTH) {
      throw new AuthError(
        'AUTH_CONFIG_INVALID',
        `hs256Secret is shorter than ${MIN_HS256_SECRET_LENGTH} characters. Use the full JWT secret.`,
      );
    }
    const tolerance = options.clockToleranceSec ?? 30;
    if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300) {
      throw new AuthError(
        'AUTH_CONFIG_INVALID',
        `clockToleranceSec must be between 0 and 300, got ${tolerance}.`,
      );
    }
    this.jwks = options.jwks;
    this.secret =
      options.hs256Secret !== undefined ? new TextEncoder().encode(options.hs256Secret) : undefined;
    if (options.issuer !== undefined) {
      const bare = trimTrailingSlashes(options.issuer);
      this.issuers = [bare, `${bare}/`];
    }
    this.audience = options.audience;
    this.local = options.local;
    this.toleranceSec = tolerance;
    this.now = options.now ?? systemClock;
    const accepted = new Set<string>();
    if (this.jwks) accepted.add('RS256').add('ES256');
    if (this.secret) accepted.add('HS256');
    if (this.local) accepted.add(this.local.alg);
    this.accepted = accepted;
  }

  /** True when at least one trust anchor is configured; otherwise every token is refused. */
  get configured(): boolean {
    return this.accepted.size > 0;
  }

  /**
   * Verify an `Authorization` header value and return the caller, or throw an `AuthError`.
   */
  async verify(authorization: string | null | undefined): Promise<VerifiedToken> {
    if (!this.configured) {
      throw new AuthError(
        'AUTH_NOT_CONFIGURED',
        'No token verification is configured, so every request is refused. Set a Supabase URL, ' +
          'a JWKS URL or an HS256 secret, or enable the local issuer.',
      );
    }
    if (authorization === undefined || authorization === null || authorization === '') {
      throw new AuthError(
        'AUTH_MISSING',
        "No Authorization header. Send 'Authorization: Bearer <token>' with the token from sign-in.",
      );
    }
    const token = parseBearer(authorization);
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch (cause) {
      throw malformed('The token header is not valid base64url JSON. Sign in again.', cause);
    }
    const plan = await this.planKey(header);
    const nowMs = this.now();
    const known = this.verified.get(token);
    if (known) {
      // Time only moves forward, so `nbf` and `iat` still hold; `exp` is checked again.
      if (known.key === plan.key && known.result.exp > Math.floor(nowMs / 1000) - this.toleranceSec)
        return known.result;
      this.verified.delete(token);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, plan.key, {
        algorithms: [plan.alg],
        issuer: plan.issuers,
        audience: plan.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: this.toleranceSec,
        currentDate: new Date(nowMs),
      }));
    } catch (err) {
      throw fromJoseError(err, plan);
    }
    const result = this.toVerified(payload, plan.source, nowMs);
    if (this.verified.size >= VERIFIED_KEPT)
      this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { key: plan.key, result });
    return result;
  }

  /** Choose the one key (and algorithm) this token may be checked with, from our config only. */
  private async planKey(header: ProtectedHeaderParameters): Promise<KeyPlan> {
    const { alg, kid } = header;
    if (typeof alg !== 'string' || (kid !== undefined && typeof kid !== 'string')) {
      throw malformed('The token header lacks a string "alg" or has a non-string "kid".');
    }
    if (!this.accepted.has(alg)) {
      const hint =
        alg === 'HS256'
          ? ' HS256 tokens are accepted only when an HS256 secret is configured.'
          : alg.toLowerCase() === 'none'
            ? ' Unsigned tokens are never accepted.'
            : '';
      throw new AuthError(
        'AUTH_ALG_NOT_ALLOWED',
        `Tokens signed with ${quoteUntrusted(alg)} are not accepted (accepted: ${[...this.accepted].join(', ')}).${hint}`,
      );
    }
    const local = this.local;
    if (local && kid === local.kid) {
      if (alg !== local.alg) {
        throw new AuthError(
          'AUTH_ALG_NOT_ALLOWED',
          `The local key ${quoteUntrusted(kid)} signs ${local.alg}, but the token says ${alg}. Sign in again.`,
        );
      }
      return {
        key: local.key,
        alg,
        issuers: [local.issuer],
        audience: local.audience,
        source: 'local',
      };
    }
    const external = { issuers: this.issuers, audience: this.audience };
    if (alg === 'HS256' && this.secret) {
      return { key: this.secret, alg, ...external, source: 'hs256' };
    }
    if ((alg === 'RS256' || alg === 'ES256') && this.jwks) {
      if (kid === undefined) {
        throw new AuthError(
          'AUTH_UNKNOWN_KEY',
          `The ${alg} token has no "kid" header, so no key can be chosen. Use a token from the ` +
            'configured identity provider.',
        );
      }
      const key = await this.jwks.getKey(kid, alg satisfies JwksAlgorithm);
      return { key, alg, ...external, source: 'jwks' };
    }
    throw new AuthError(
      'AUTH_UNKNOWN_KEY',
      `No trusted ${alg} key has kid ${kid === undefined ? '(none)' : quoteUntrusted(kid)}. Sign in again.`,
    );
  }

  private toVerified(claims: JWTPayload, source: TokenSource, nowMs: number): VerifiedToken {
    const { sub, exp, iat, email, email_verified: emailVerified } = claims;
    if (typeof sub !== 'string' || sub === '') {
      throw new AuthError(
        'AUTH_CLAIM_INVALID',
        'The token "sub" claim must be a non-empty string. Use a user access token.',
      );
    }
    if (typeof exp !== 'number') {
      throw new AuthError('AUTH_CLAIM_INVALID', 'The token "exp" claim must be a number.');
    }
    // jose checks `iat` only against a max age; a token issued in the future means a bad clock
    // or a forged timeline, and is refused like an early `nbf`.
    if (typeof iat === 'number' && iat > nowMs / 1000 + this.toleranceSec) {
      throw new AuthError(
        'AUTH_NOT_YET_VALID',
        `The token was issued in the future (${describeTime(iat)}). Check the clocks of the ` +
          'server and the identity provider.',
      );
    }
    return {
      sub,
      ...(typeof email === 'string' ? { email } : {}),
      ...(typeof emailVerified === 'boolean' ? { emailVerified } : {}),
      role: roleFromClaims(claims),
      exp,
      source,
      claims,
    };
  }
}

export interface CreateTokenVerifierDeps {
  /** The local issuer's key, when it is enabled. */
  local?: TrustedLocalKey;
  fetch?: typeof globalThis.fetch;
  now?: Clock;
  clockToleranceSec?: number;
  /** Overrides for the JWKS cache built from `jwksUrl`. */
  jwks?: Omit<JwksCacheOptions, 'url' | 'fetch' | 'now'>;
}

/**
 * Build a verifier from settings: Supabase defaults are applied, a `JwksCache` is created when
 * a JWKS URL results, and the local key (if any) is trusted alongside.
 */
export function createTokenVerifier(
  settings: AuthSettings,
  deps: CreateTokenVerifierDeps = {},
): TokenVerifier {
  const resolved = resolveAuthSettings(settings);
  const jwks =
    resolved.jwksUrl !== undefined
      ? new JwksCache({ ...deps.jwks, url: resolved.jwksUrl, fetch: deps.fetch, now: deps.now })
      : undefined;
  return new TokenVerifier({
    jwks,
    hs256Secret: resolved.hs256Secret,
    issuer: resolved.issuer,
    audience: resolved.audience,
    local: deps.local,
    clockToleranceSec: deps.clockToleranceSec,
    now: deps.now,
  });
}
