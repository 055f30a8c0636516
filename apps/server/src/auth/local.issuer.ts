import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import {
  base64url,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';

import { MIN_HS256_SECRET_LENGTH, type LocalSigningSettings } from './auth.config.js';
import { AuthError } from './auth.errors.js';
import { systemClock, type Clock, type PlatformRole } from './auth.types.js';
import type { TrustedLocalKey } from './token.verifier.js';

/** `iss` of every locally issued token. */
export const LOCAL_ISSUER = 'nilm-local';
/** `aud` of every locally issued token. */
export const LOCAL_AUDIENCE = 'nilm';
/** Default token lifetime: 12 h. */
export const DEFAULT_LOCAL_TTL_SEC = 12 * 60 * 60;
/** Longest lifetime a caller may ask for: 30 days. */
export const MAX_LOCAL_TTL_SEC = 30 * 24 * 60 * 60;
/** File name of the persisted key inside the server's data directory. */
export const LOCAL_KEY_FILE_NAME = 'local-signing-key.json';

/** Where the local key lives for a data directory: `<dataDir>/auth/local-signing-key.json`. */
export function defaultLocalKeyFile(dataDir: string): string {
  return join(dataDir, 'auth', LOCAL_KEY_FILE_NAME);
}

/** Who a local token speaks for. */
export interface LocalAccountClaims {
  sub: string;
  email?: string;
  role: PlatformRole;
}

export interface IssuedToken {
  token: string;
  /** Expiry, seconds since the epoch (the `exp` claim). */
  exp: number;
}

export interface LocalIssuerOptions extends LocalSigningSettings {
  now?: Clock;
}

type KeyMaterial =
  | { alg: 'ES256'; privateKey: CryptoKey; publicKey: CryptoKey; publicJwk: JWK }
  | { alg: 'HS256'; secret: Uint8Array };

/** On-disk format, versioned so a later key type can be added without guessing. */
type KeyFile =
  { version: 1; alg: 'ES256'; jwk: JWK } | { version: 1; alg: 'HS256'; secret: string };

function keyFileError(path: string, problem: string, cause?: unknown): AuthError {
  return new AuthError(
    'AUTH_LOCAL_KEY_INVALID',
    `Local signing key ${path}: ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

async function esMaterialFromPrivateJwk(jwk: JWK): Promise<KeyMaterial> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d || !jwk.x || !jwk.y) {
    throw new Error('not a P-256 private key');
  }
  const publicJwk: JWK = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  const [privateKey, publicKey] = await Promise.all([
    importJWK({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }, 'ES256'),
    importJWK(publicJwk, 'ES256'),
  ]);
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) {
    throw new Error('not an asymmetric key');
  }
  return { alg: 'ES256', privateKey, publicKey, publicJwk };
}

async function generateMaterial(alg: 'ES256' | 'HS256'): Promise<{
  material: KeyMaterial;
  file: KeyFile;
}> {
  if (alg === 'HS256') {
    const secret = new Uint8Array(randomBytes(32));
    return {
      material: { alg, secret },
      file: { version: 1, alg, secret: base64url.encode(secret) },
    };
  }
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return {
    material: await esMaterialFromPrivateJwk(jwk),
    file: { version: 1, alg, jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d } },
  };
}

async function materialFromFile(path: string, content: unknown): Promise<KeyMaterial> {
  const file = content as Partial<{
    version: unknown;
    alg: unknown;
    jwk: unknown;
    secret: unknown;
  }>;
  if (typeof content !== 'object' || content === null || file.version !== 1) {
    throw keyFileError(path, 'unknown format (expected version 1). Restore it or delete it.');
  }
  try {
    if (file.alg === 'HS256' && typeof file.secret === 'string') {
      const secret = base64url.decode(file.secret);
      if (secret.length < 32) throw new Error('secret shorter than 32 bytes');
      return { alg: 'HS256', secret };
    }
    if (file.alg === 'ES256' && typeof file.jwk === 'object' && file.jwk !== null) {
      return await esMaterialFromPrivateJwk(file.jwk as JWK);
    }
  } catch (cause) {
    throw keyFileError(
      path,
      'the key inside is invalid. Restore the file from a backup, or delete it to generate a ' +
        'new key (every local session then ends).',
      cause,
    );
  }
  throw keyFileError(path, `unsupported alg ${JSON.stringify(file.alg)}. Restore or delete it.`);
}

/** Read the key file, or `undefined` when it does not exist. Refuses files others can read. */
async function readKeyFile(path: string): Promise<unknown> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw keyFileError(path, 'cannot be opened. Check its owner and permissions.', err);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw keyFileError(path, 'is not a regular file.');
    // A signing key readable by other users lets them mint admin tokens; refuse rather than
    // silently tighten, because it may already have leaked.
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw keyFileError(
        path,
        `is accessible to other users (mode ${(st.mode & 0o777).toString(8)}). If nobody else ` +
          `could have read it, run "chmod 600 ${path}"; otherwise delete it to rotate the key.`,
      );
    }
    const text = await handle.readFile('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw keyFileError(
        path,
        'is not valid JSON. Restore it from a backup or delete it to generate a new key.',
        cause,
      );
    }
  } finally {
    await handle.close();
  }
}

/**
 * Create `path` holding `content`, mode 0600, atomically and without overwriting: the content is
 * written to a private temporary file and hard-linked into place, so a concurrent reader sees
 * either no file or the whole file. Returns false when another process created it first.
 */
async function createExclusive(path: string, content: string): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    // No hard links on this filesystem: rename is still atomic, but two processes starting at
    // the same instant could each keep their own key (the loser's sessions end on restart).
    await rename(tmp, path);
    return true;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Load the key from `path`, or generate one and create the file with mode 0600. Processes
 * starting together agree on one key, and an existing key is never overwritten.
 */
async function loadOrCreate(
  path: string,
  alg: 'ES256' | 'HS256' | undefined,
): Promise<KeyMaterial> {
  let material: KeyMaterial;
  const existing = await readKeyFile(path);
  if (existing !== undefined) {
    material = await materialFromFile(path, existing);
  } else {
    const generated = await generateMaterial(alg ?? 'ES256');
    let created: boolean;
    try {
      created = await createExclusive(path, `${JSON.stringify(generated.file)}\n`);
    } catch (err) {
      throw keyFileError(
        path,
        'cannot be created. Check that the data directory is writable.',
        err,
      );
    }
    if (!created) return loadOrCreate(path, alg);
    material = generated.material;
  }
  if (alg !== undefined && material.alg !== alg) {
    throw keyFileError(
      path,
      `holds an ${material.alg} key but ${alg} is configured. Remove the alg setting to keep ` +
        'the key, or delete the file to switch (every local session then ends).',
    );
  }
  return material;
}

async function materialFromSettings(options: LocalIssuerOptions): Promise<KeyMaterial> {
  const { privateKeyPem, secret, keyFile, alg } = options;
  if (privateKeyPem !== undefined && secret !== undefined) {
    throw new AuthError(
      'AUTH_CONFIG_INVALID',
      'localSigning has both privateKeyPem and secret. Keep one of them.',
    );
  }
  if (secret !== undefined) {
    if (alg === 'ES256' || secret.length < MIN_HS256_SECRET_LENGTH) {
      throw new AuthError(
        'AUTH_CONFIG_INVALID',
        `localSigning.secret is for HS256 and needs at least ${MIN_HS256_SECRET_LENGTH} characters.`,
      );
    }
    return { alg: 'HS256', secret: new TextEncoder().encode(secret) };
  }
  if (privateKeyPem !== undefined) {
    if (alg === 'HS256') {
      throw new AuthError(
        'AUTH_CONFIG_INVALID',
        'localSigning.privateKeyPem is an ES256 key but alg is HS256. Fix one of them.',
      );
    }
    try {
      const key = await importPKCS8(privateKeyPem, 'ES256', { extractable: true });
      return await esMaterialFromPrivateJwk(await exportJWK(key));
    } catch (cause) {
      throw new AuthError(
        'AUTH_CONFIG_INVALID',
        'localSigning.privateKeyPem is not a P-256 private key in PKCS#8 PEM ' +
          '(-----BEGIN PRIVATE KEY-----). Generate one with ' +
          '"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256".',
        { cause },
      );
    }
  }
  if (keyFile !== undefined) return loadOrCreate(keyFile, alg);
  // No material and no file: an in-memory key; every local session ends on restart.
  return (await generateMaterial(alg ?? 'ES256')).material;
}

/**
 * Issues tokens for local accounts when no external identity provider is configured, and hands
 * the verifier the matching key (`trustedKey()`), so local tokens are checked by the same code
 * and rules as external ones.
 */
export class LocalIssuer {
  readonly alg: 'ES256' | 'HS256';
  /** RFC 7638 thumbprint of the key; the verifier routes tokens to this key by it. */
  readonly kid: string;
  private readonly material: KeyMaterial;
  private readonly ttlSec: number;
  private readonly now: Clock;

  private constructor(material: KeyMaterial, kid: string, ttlSec: number, now: Clock) {
    this.material = material;
    this.alg = material.alg;
    this.kid = kid;
    this.ttlSec = ttlSec;
    this.now = now;
  }

  /** Load or generate the signing key as `options` say (see `LocalSigningSettings`). */
  static async create(options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
    const ttlSec = options.ttlSec ?? DEFAULT_LOCAL_TTL_SEC;
    checkTtl(ttlSec, 'localSigning.ttlSec');
    const material = await materialFromSettings(options);
    const kid = await calculateJwkThumbprint(
      material.alg === 'ES256'
        ? material.publicJwk
        : { kty: 'oct', k: base64url.encode(material.secret) },
    );
    return new LocalIssuer(material, kid, ttlSec, options.now ?? systemClock);
  }

  /** Sign a token for a local account: `iss` nilm-local, `aud` nilm, `exp` now + ttl. */
  async sign(account: LocalAccountClaims, options: { ttlSec?: number } = {}): Promise<IssuedToken> {
    if (typeof account.sub !== 'string' || account.sub === '') {
      throw new AuthError('AUTH_CONFIG_INVALID', 'A local token needs a non-empty sub.');
    }
    if (account.role !== 'admin' && account.role !== 'user') {
      throw new AuthError('AUTH_CONFIG_INVALID', `Unknown role ${JSON.stringify(account.role)}.`);
    }
    const ttlSec = options.ttlSec ?? this.ttlSec;
    checkTtl(ttlSec, 'ttlSec');
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + ttlSec;
    const claims: Record<string, unknown> = { role: account.role };
    if (account.email !== undefined) claims.email = account.email;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: this.alg, kid: this.kid, typ: 'JWT' })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setSubject(account.sub)
      .setIssuedAt(iat)
      .setExpirationTime(exp);
    const token = await jwt.sign(
      this.material.alg === 'ES256' ? this.material.privateKey : this.material.secret,
    );
    return { token, exp };
  }

  /** The key the verifier should trust for tokens from this issuer. */
  trustedKey(): TrustedLocalKey {
    return {
      alg: this.alg,
      kid: this.kid,
      key: this.material.alg === 'ES256' ? this.material.publicKey : this.material.secret,
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
    };
  }
}

function checkTtl(ttlSec: number, name: string): void {
  if (!Number.isInteger(ttlSec) || ttlSec <= 0 || ttlSec > MAX_LOCAL_TTL_SEC) {
    throw new AuthError(
      'AUTH_CONFIG_INVALID',
      `${name} must be a whole number of seconds between 1 and ${MAX_LOCAL_TTL_SEC}, got ${ttlSec}.`,
    );
  }
}
