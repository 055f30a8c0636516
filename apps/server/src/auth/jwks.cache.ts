import { importJWK, type CryptoKey, type JWK } from 'jose';

import { AuthError } from './auth.errors.js';
import { systemClock, type Clock } from './auth.types.js';

/** Asymmetric algorithms accepted from a JWKS. HS256 never comes from a key set. */
export type JwksAlgorithm = 'RS256' | 'ES256';

/** Where the verifier gets public keys by `kid`; `JwksCache` is the implementation. */
export interface JwksKeySource {
  /**
   * The verification key for `kid`, usable only with `alg`. Throws `AUTH_UNKNOWN_KEY`,
   * `AUTH_ALG_NOT_ALLOWED` (the key's type does not fit `alg`) or `AUTH_KEYS_UNAVAILABLE`.
   */
  getKey(kid: string, alg: JwksAlgorithm): Promise<CryptoKey>;
}

export interface JwksCacheOptions {
  url: string;
  fetch?: typeof globalThis.fetch;
  now?: Clock;
  /** Fetches (successful or not) are at least this far apart. Default 30 s. */
  minRefreshIntervalMs?: number;
  /** A known key older than this triggers a background refresh. Default 10 min. */
  maxAgeMs?: number;
  /** Abort a JWKS request after this long. Default 5 s. */
  timeoutMs?: number;
}

export interface JwksCacheStats {
  /** JWKS requests started. */
  fetches: number;
  /** Keys currently cached. */
  keys: number;
  lastFetchAt?: number;
  lastSuccessAt?: number;
  lastError?: string;
}

/** Largest JWKS body accepted; a real set is a few KiB. */
const MAX_JWKS_BYTES = 512 * 1024;

type PublicJwk = JWK & { kid: string; kty: 'RSA' | 'EC' };

/** What one refresh attempt ended with. */
export type JwksRefreshOutcome = { ok: true } | { ok: false; error: Error };

/**
 * Keep only public, signing-capable RSA and P-256 keys with a `kid`, rebuilt from their public
 * members so a published private part (`d`, `p`, ...) never reaches `importJWK`.
 */
function parseKeySet(body: unknown): Map<string, PublicJwk> {
  if (
    typeof body !== 'object' ||
    body === null ||
    !Array.isArray((body as { keys?: unknown }).keys)
  ) {
    throw new Error('the response is not a JWKS (expected a JSON object with a "keys" array)');
  }
  const keys = new Map<string, PublicJwk>();
  for (const raw of (body as { keys: unknown[] }).keys) {
    if (typeof raw !== 'object' || raw === null) continue;
    const k = raw as Record<string, unknown>;
    if (typeof k.kid !== 'string' || k.kid === '' || keys.has(k.kid)) continue;
    if (k.use !== undefined && k.use !== 'sig') continue;
    const alg = typeof k.alg === 'string' ? k.alg : undefined;
    if (k.kty === 'RSA' && typeof k.n === 'string' && typeof k.e === 'string') {
      keys.set(k.kid, { kty: 'RSA', kid: k.kid, n: k.n, e: k.e, alg });
    } else if (
      k.kty === 'EC' &&
      k.crv === 'P-256' &&
      typeof k.x === 'string' &&
      typeof k.y === 'string'
    ) {
      keys.set(k.kid, { kty: 'EC', kid: k.kid, crv: 'P-256', x: k.x, y: k.y, alg });
    }
  }
  return keys;
}

/** "fetch failed: connect ECONNREFUSED ..." rather than undici's bare "fetch failed". */
function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth += 1) {
    parts.push(e.message);
  }
  return parts.join(': ') || String(err);
}

/** A token-supplied value (`kid`, `alg`) echoed in a message, bounded and quoted. */
export function quoteUntrusted(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function keyFitsAlg(jwk: PublicJwk, alg: JwksAlgorithm): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  return alg === 'RS256' ? jwk.kty === 'RSA' : jwk.kty === 'EC';
}

/**
 * A JWKS key cache over `fetch`.
 *
 * Contract:
 * - Keys are fetched on first use and cached by `kid`.
 * - An unknown `kid` refreshes the set. Refreshes are single-flight (concurrent callers share
 *   one request) and at least `minRefreshIntervalMs` apart, counting failed attempts, so a
 *   flood of tokens with random `kid`s costs the key server one request per interval.
 * - A known key older than `maxAgeMs` is still served while a background refresh runs, so keys
 *   removed from the set (revoked) stop working after one refresh.
 * - A failed or timed-out fetch never clears the cache: known keys keep working, and a token
 *   whose key is not cached is refused with `AUTH_KEYS_UNAVAILABLE`.
 */
export class JwksCache implements JwksKeySource {
  readonly url: string;
  private readonly fetchFn: typeof globalThis.fetch;
  private readonly now: Clock;
  private readonly minRefreshIntervalMs: number;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;

  private keys = new Map<string, PublicJwk>();
  private imported = new Map<string, Promise<CryptoKey>>();
  private inflight: Promise<JwksRefreshOutcome> | undefined;
  private fetches = 0;
  private lastFetchAt: number | undefined;
  private lastSuccessAt: number | undefined;
  private lastError: Error | undefined;

  constructor(options: JwksCacheOptions) {
    this.url = options.url;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? systemClock;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 30_000;
    this.maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** See `JwksKeySource.getKey`. */
  async getKey(kid: string, alg: JwksAlgorithm): Promise<CryptoKey> {
    const known = this.keys.get(kid);
    if (known) {
      if (this.lastSuccessAt !== undefined && this.now() - this.lastSuccessAt >= this.maxAgeMs) {
        // The outcome is recorded in stats; this request is served from the cache either way.
        void this.refresh();
      }
      return this.importKey(known, alg);
    }
    const outcome = await this.refresh();
    const found = this.keys.get(kid);
    if (found) return this.importKey(found, alg);
    // A rate-limited call (no outcome) reports the last attempt's failure, if it failed.
    const failure = outcome?.ok === false ? outcome.error : this.lastError;
    if (failure) {
      throw new AuthError(
        'AUTH_KEYS_UNAVAILABLE',
        `The signing keys could not be fetched from ${this.url} (${failure.message}). ` +
          'Check that the identity provider is reachable from the server; retry shortly.',
        { cause: failure },
      );
    }
    throw new AuthError(
      'AUTH_UNKNOWN_KEY',
      `No key with kid ${quoteUntrusted(kid)} in ${this.url}. The token was not issued by the configured ` +
        'identity provider, or its key was rotated out: sign in again.',
    );
  }

  /**
   * Refresh the key set unless a refresh is running (then join it) or the last attempt was
   * less than `minRefreshIntervalMs` ago (then resolve `undefined` without fetching). Never
   * rejects.
   */
  refresh(): Promise<JwksRefreshOutcome | undefined> {
    if (this.inflight) return this.inflight;
    const now = this.now();
    if (this.lastFetchAt !== undefined && now - this.lastFetchAt < this.minRefreshIntervalMs) {
      return Promise.resolve(undefined);
    }
    this.lastFetchAt = now;
    this.fetches += 1;
    const run = this.fetchKeySet().then(
      (keys): JwksRefreshOutcome => {
        this.keys = keys;
        this.imported = new Map();
        this.lastSuccessAt = this.now();
        this.lastError = undefined;
        return { ok: true };
      },
      (err: unknown): JwksRefreshOutcome => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.lastError = error;
        return { ok: false, error };
      },
    );
    this.inflight = run.finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Counters for health checks and tests. */
  stats(): JwksCacheStats {
    return {
      fetches: this.fetches,
      keys: this.keys.size,
      lastFetchAt: this.lastFetchAt,
      lastSuccessAt: this.lastSuccessAt,
      lastError: this.lastError?.message,
    };
  }

  private async fetchKeySet(): Promise<Map<string, PublicJwk>> {
    let text: string;
    try {
      // Redirects are refused like jose does: the configured URL is the trust root.
      const res = await this.fetchFn(this.url, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      const declared = Number(res.headers.get('content-length') ?? 0);
      if (declared > MAX_JWKS_BYTES) {
        await res.body?.cancel();
        throw new Error(`body larger than ${MAX_JWKS_BYTES} bytes`);
      }
      text = await res.text();
    } catch (cause) {
      if (cause instanceof Error && cause.name === 'TimeoutError') {
        throw new Error(`no answer within ${this.timeoutMs} ms`, { cause });
      }
      throw new Error(`request failed: ${describeError(cause)}`, { cause });
    }
    if (text.length > MAX_JWKS_BYTES) throw new Error(`body larger than ${MAX_JWKS_BYTES} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      throw new Error('the response is not JSON', { cause });
    }
    return parseKeySet(body);
  }

  private importKey(jwk: PublicJwk, alg: JwksAlgorithm): Promise<CryptoKey> {
    if (!keyFitsAlg(jwk, alg)) {
      return Promise.reject(
        new AuthError(
          'AUTH_ALG_NOT_ALLOWED',
          `The token says ${alg} but key "${jwk.kid}" is a ${jwk.kty}` +
            `${jwk.alg ? ` (${jwk.alg})` : ''} key. Use a token issued by the identity provider.`,
        ),
      );
    }
    const cacheKey = `${alg}:${jwk.kid}`;
    let pending = this.imported.get(cacheKey);
    if (!pending) {
      pending = importJWK(jwk, alg).then((key) => {
        if (key instanceof Uint8Array) throw new Error('expected an asymmetric key');
        return key;
      });
      const imports = this.imported;
      imports.set(cacheKey, pending);
      // A failed import is not cached, so a corrected key set can be imported later.
      void pending.catch(() => imports.delete(cacheKey));
    }
    return pending.catch((cause: unknown) => {
      throw new AuthError(
        'AUTH_UNKNOWN_KEY',
        `Key "${jwk.kid}" in ${this.url} is not a usable ${alg} key. Fix the key set.`,
        { cause },
      );
    });
  }
}
