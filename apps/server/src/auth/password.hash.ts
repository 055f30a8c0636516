import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

import { AuthError } from './auth.errors.js';

/** scrypt cost parameters; `ln` is log2 of N. */
export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

/** OWASP's scrypt minimum (N = 2^17, r = 8, p = 1): 128 MiB and ~0.2 s per hash. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = { ln: 17, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/**
 * Bounds accepted when hashing or verifying, so a tampered or corrupted stored hash cannot make
 * one login allocate gigabytes or spin for minutes: memory (128 * N * r bytes) at most 256 MiB,
 * work (N * r * p) at most 8 times the default.
 */
const LIMITS = { ln: [10, 20], r: [1, 32], p: [1, 16] } as const;
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_WORK = 2 ** 23;
const HASH_FORMAT = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

function derive(
  password: string,
  salt: Buffer,
  params: ScryptParams,
  keylen: number,
): Promise<Buffer> {
  const N = 2 ** params.ln;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    // Node refuses when 128 * N * r exceeds maxmem; leave headroom over the exact need.
    maxmem: 256 * N * params.r + 1024 * 1024,
  };
  // NFKC so the same password typed on different keyboards (composed vs decomposed) matches.
  const input = Buffer.from(password.normalize('NFKC'), 'utf8');
  return new Promise((resolve, reject) => {
    scrypt(input, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function checkParams(params: ScryptParams): void {
  const invalid = (detail: string): AuthError =>
    new AuthError(
      'AUTH_HASH_INVALID',
      `scrypt parameters ${detail}. The stored password hash is corrupt or hostile: reset the password.`,
    );
  for (const name of ['ln', 'r', 'p'] as const) {
    const [min, max] = LIMITS[name];
    const value = params[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw invalid(`${name}=${value} is outside ${min}..${max}`);
    }
  }
  const n = 2 ** params.ln;
  if (128 * n * params.r > MAX_MEMORY_BYTES || n * params.r * params.p > MAX_WORK) {
    throw invalid(`ln=${params.ln},r=${params.r},p=${params.p} cost more than allowed`);
  }
}

/**
 * Hash a password with scrypt and a random salt. The result is self-describing,
 * `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (PHC string format, unpadded base64), so parameters can
 * be raised later without breaking stored hashes.
 */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } {
  const m = HASH_FORMAT.exec(stored);
  if (!m) {
    throw new AuthError(
      'AUTH_HASH_INVALID',
      'The stored password hash is not in $scrypt$ln=..,r=..,p=..$salt$hash format: reset the password.',
    );
  }
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  checkParams(params);
  const salt = Buffer.from(m[4]!, 'base64');
  const key = Buffer.from(m[5]!, 'base64');
  if (salt.length < SALT_BYTES || key.length < 16 || key.length > 64) {
    throw new AuthError(
      'AUTH_HASH_INVALID',
      'The stored password hash has a too short salt or a hash of the wrong length: reset the password.',
    );
  }
  return { params, salt, key };
}

/**
 * True when `password` matches `stored`. The comparison is constant-time; a malformed `stored`
 * throws `AUTH_HASH_INVALID` (a data problem, not a wrong password).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { params, salt, key } = parseHash(stored);
  const candidate = await derive(password, salt, params, key.length);
  return timingSafeEqual(candidate, key);
}

/** True when `stored` uses weaker parameters than `params`: re-hash after a successful login. */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const current = parseHash(stored).params;
  return current.ln < params.ln || current.r < params.r || current.p < params.p;
}
