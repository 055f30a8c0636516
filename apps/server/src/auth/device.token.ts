import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every device token starts with this, so it is recognisable in logs and secret scanners. */
export const DEVICE_TOKEN_PREFIX = 'nilm_dev_';
/** Prefix plus 32 random bytes in unpadded base64url (43 characters). */
const DEVICE_TOKEN_FORMAT = /^nilm_dev_[A-Za-z0-9_-]{43}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A freshly generated device token. `secret` is shown to the user once and never stored. */
export interface GeneratedDeviceToken {
  secret: string;
  /** sha256 hex of `secret`: what the database stores and looks tokens up by. */
  hash: string;
  /** The first 4 random characters, to tell tokens apart in a list (`nilm_dev_abcd…`). */
  hint: string;
}

/**
 * Generate a per-building ingest token. A plain sha256 is enough for storage because the secret
 * has 256 bits of entropy: there is nothing to brute-force, unlike a password.
 */
export function generateDeviceToken(): GeneratedDeviceToken {
  const secret = `${DEVICE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return {
    secret,
    hash: hashDeviceToken(secret),
    hint: secret.slice(0, DEVICE_TOKEN_PREFIX.length + 4),
  };
}

/** True when `value` has the shape of a device token (cheap check before any lookup). */
export function isDeviceToken(value: string): boolean {
  return DEVICE_TOKEN_FORMAT.test(value);
}

/** sha256 hex of a device token secret, for storage and lookup. */
export function hashDeviceToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Constant-time check that `secret` hashes to `storedHash`. False for a malformed secret or
 * hash, never a throw, so callers cannot branch differently on bad input.
 */
export function deviceTokenMatches(secret: string, storedHash: string): boolean {
  if (!isDeviceToken(secret) || !SHA256_HEX.test(storedHash)) return false;
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(presented, Buffer.from(storedHash, 'hex'));
}

/**
 * The device token in an `Authorization: Bearer nilm_dev_...` header, or null when the header
 * carries something else (then it is a user token for `TokenVerifier`).
 */
export function deviceTokenFromHeader(authorization: string | null | undefined): string | null {
  if (!authorization) return null;
  let token: string | undefined;
  if (authorization.startsWith(`Bearer ${DEVICE_TOKEN_PREFIX}`))
    token = authorization.slice('Bearer '.length);
  // InfluxDB clients (Telegraf, IoTaWatt) writing line protocol: `Token <t>` (InfluxDB 2
  // style) or HTTP Basic with the token as the password (InfluxDB 1 style).
  else if (authorization.startsWith(`Token ${DEVICE_TOKEN_PREFIX}`))
    token = authorization.slice('Token '.length);
  else if (authorization.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    if (password.startsWith(DEVICE_TOKEN_PREFIX)) token = password;
  }
  return token !== undefined && isDeviceToken(token) ? token : null;
}
