/**
 * The authentication and authorization layer, framework-free: the HTTP wiring calls
 * `TokenVerifier.verify` (or the device token helpers) and `decideAccess`, and maps `AuthError`
 * codes to responses.
 */
export {
  addressKey,
  FailedAuthLimiter,
  LoginBackoff,
  MAX_TRACKED_KEYS,
  type AuthLimits,
  type FailedAuthLimiterOptions,
  type LoginBackoffOptions,
} from './auth.limits.js';
export { AuthError, type AuthErrorCode } from './auth.errors.js';
export { systemClock, type Clock, type PlatformRole } from './auth.types.js';
export {
  hasExternalAuth,
  MIN_HS256_SECRET_LENGTH,
  resolveAuthSettings,
  SUPABASE_AUDIENCE,
  supabaseDefaults,
  trimTrailingSlashes,
  type AuthSettings,
  type LocalSigningSettings,
  type ResolvedAuthSettings,
} from './auth.config.js';
export {
  JwksCache,
  type JwksAlgorithm,
  type JwksCacheOptions,
  type JwksCacheStats,
  type JwksKeySource,
  type JwksRefreshOutcome,
} from './jwks.cache.js';
export {
  createTokenVerifier,
  roleFromClaims,
  TokenVerifier,
  type CreateTokenVerifierDeps,
  type TokenSource,
  type TokenVerifierOptions,
  type TrustedLocalKey,
  type VerifiedToken,
} from './token.verifier.js';
export {
  DEFAULT_LOCAL_TTL_SEC,
  defaultLocalKeyFile,
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  LOCAL_KEY_FILE_NAME,
  LocalIssuer,
  MAX_LOCAL_TTL_SEC,
  type IssuedToken,
  type LocalAccountClaims,
  type LocalIssuerOptions,
} from './local.issuer.js';
export {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  needsRehash,
  verifyPassword,
  type ScryptParams,
} from './password.hash.js';
export {
  DEVICE_TOKEN_PREFIX,
  deviceTokenFromHeader,
  deviceTokenMatches,
  generateDeviceToken,
  hashDeviceToken,
  isDeviceToken,
  type GeneratedDeviceToken,
} from './device.token.js';
export {
  decideAccess,
  MEMBER_ROLE_ACTIONS,
  type AccessDecision,
  type AccessRequest,
  type BuildingAction,
  type BuildingMemberRole,
  type Caller,
  type DenyReason,
} from './access.policy.js';
