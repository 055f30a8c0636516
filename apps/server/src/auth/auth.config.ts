import { AuthError } from './auth.errors.js';

/**
 * Settings for the embedded local issuer (used when no external identity provider is set).
 * Key material comes from `privateKeyPem` / `secret` when given, else from `keyFile` (created
 * with mode 0600 on first start), else a key is generated in memory and every local session
 * ends when the process restarts.
 */
export interface LocalSigningSettings {
  /** Algorithm for a newly generated key; an existing key file keeps its own. Default ES256. */
  alg?: 'ES256' | 'HS256';
  /** Path of the persisted key, usually `<dataDir>/auth/local-signing-key.json`. */
  keyFile?: string;
  /** ES256 private key as PKCS#8 PEM. */
  privateKeyPem?: string;
  /** HS256 secret, at least 32 characters. */
  secret?: string;
  /** Lifetime of issued tokens in seconds. Default 12 h. */
  ttlSec?: number;
}

/**
 * Auth settings as parsed from the environment by the server's config module. Nothing here
 * reads `process.env`; an empty object means "no external auth" and every external token is
 * refused.
 */
export interface AuthSettings {
  /** JWKS endpoint for RS256/ES256 tokens. */
  jwksUrl?: string;
  /** Shared secret for HS256 tokens; HS256 is refused when absent. */
  hs256Secret?: string;
  /** Expected `iss`; checked only when set. */
  issuer?: string;
  /** Expected `aud`; checked only when set. */
  audience?: string;
  /** Supabase project URL; fills `jwksUrl`, `issuer` and `audience` when those are absent. */
  supabaseUrl?: string;
  localSigning?: LocalSigningSettings;
}

/** Settings after Supabase defaults and validation; `supabaseUrl` has been folded in. */
export type ResolvedAuthSettings = Omit<AuthSettings, 'supabaseUrl'>;

/** Shortest HS256 secret accepted: below 256 bits a leaked token can be brute-forced offline. */
export const MIN_HS256_SECRET_LENGTH = 32;

/** The audience Supabase puts in tokens of signed-in users. */
export const SUPABASE_AUDIENCE = 'authenticated';

/** Strip trailing slashes so `https://x.supabase.co/` and `https://x.supabase.co` agree. */
export function trimTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}

function requireHttpUrl(name: string, value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch (cause) {
    throw new AuthError(
      'AUTH_CONFIG_INVALID',
      `${name} is not a URL: "${value}". Set it to an http(s) URL such as https://<project>.supabase.co.`,
      { cause },
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new AuthError(
      'AUTH_CONFIG_INVALID',
      `${name} must use http or https, got "${parsed.protocol}". Fix the URL.`,
    );
  }
  return value;
}

/**
 * The Supabase defaults for a project URL: JWKS at `<url>/auth/v1/.well-known/jwks.json`,
 * issuer `<url>/auth/v1`, audience `authenticated`. Trailing slashes on `url` are ignored.
 */
export function supabaseDefaults(supabaseUrl: string): {
  jwksUrl: string;
  issuer: string;
  audience: string;
} {
  const base = trimTrailingSlashes(requireHttpUrl('supabaseUrl', supabaseUrl.trim()));
  return {
    jwksUrl: `${base}/auth/v1/.well-known/jwks.json`,
    issuer: `${base}/auth/v1`,
    audience: SUPABASE_AUDIENCE,
  };
}

/**
 * Validate settings and fill Supabase defaults; explicit `jwksUrl`, `issuer` and `audience`
 * win over the derived ones. Throws `AUTH_CONFIG_INVALID` naming the bad setting.
 */
export function resolveAuthSettings(settings: AuthSettings): ResolvedAuthSettings {
  const { supabaseUrl, ...rest } = settings;
  const derived = supabaseUrl !== undefined ? supabaseDefaults(supabaseUrl) : undefined;
  const resolved: ResolvedAuthSettings = {
    ...rest,
    jwksUrl: rest.jwksUrl ?? derived?.jwksUrl,
    issuer: rest.issuer ?? derived?.issuer,
    audience: rest.audience ?? derived?.audience,
  };
  if (resolved.jwksUrl !== undefined) requireHttpUrl('jwksUrl', resolved.jwksUrl);
  if (resolved.hs256Secret !== undefined && resolved.hs256Secret.length < MIN_HS256_SECRET_LENGTH) {
    throw new AuthError(
      'AUTH_CONFIG_INVALID',
      `hs256Secret is shorter than ${MIN_HS256_SECRET_LENGTH} characters. Use the project's full JWT secret.`,
    );
  }
  for (const key of ['jwksUrl', 'hs256Secret', 'issuer', 'audience'] as const) {
    if (resolved[key] === undefined) delete resolved[key];
    else if (resolved[key] === '') {
      throw new AuthError('AUTH_CONFIG_INVALID', `${key} is empty. Remove it or give a value.`);
    }
  }
  return resolved;
}

/** True when an external identity provider (JWKS or HS256 secret) is configured. */
export function hasExternalAuth(settings: ResolvedAuthSettings): boolean {
  return settings.jwksUrl !== undefined || settings.hs256Secret !== undefined;
}
