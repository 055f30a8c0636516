// Proves local tokens round-trip through TokenVerifier, the signing key persists with mode 0600 and reloads, and tokens from other keys or with other iss/aud are refused.
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  type CryptoKey,
} from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AuthError, type AuthErrorCode } from './auth.errors.js';
import { signToken } from './jwks.fixture.js';
import {
  DEFAULT_LOCAL_TTL_SEC,
  defaultLocalKeyFile,
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  LocalIssuer,
} from './local.issuer.js';
import { createTokenVerifier, TokenVerifier } from './token.verifier.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nilm-auth-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: AuthErrorCode): Promise<AuthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  expect((err as AuthError).code).toBe(code);
  return err as AuthError;
}

describe.each(['ES256', 'HS256'] as const)('LocalIssuer %s', (alg) => {
  it('signs tokens the verifier accepts, with the documented claims', async () => {
    const now = 1_800_000_000_000;
    const issuer = await LocalIssuer.create({ alg, now: () => now });
    const verifier = createTokenVerifier({}, { local: issuer.trustedKey(), now: () => now });
    const { token, exp } = await issuer.sign({
      sub: 'acct-1',
      email: 'ada@home.test',
      role: 'admin',
    });

    expect(exp).toBe(now / 1000 + DEFAULT_LOCAL_TTL_SEC);
    expect(decodeProtectedHeader(token)).toEqual({ alg, kid: issuer.kid, typ: 'JWT' });
    expect(decodeJwt(token)).toMatchObject({
      iss: LOCAL_ISSUER,
      aud: LOCAL_AUDIENCE,
      iat: now / 1000,
    });
    const result = await verifier.verify(`Bearer ${token}`);
    expect(result).toMatchObject({
      sub: 'acct-1',
      email: 'ada@home.test',
      role: 'admin',
      exp,
      source: 'local',
    });
  });

  it('expires tokens after their lifetime', async () => {
    const clock = { t: 1_800_000_000_000 };
    const issuer = await LocalIssuer.create({ alg, now: () => clock.t });
    const verifier = new TokenVerifier({ local: issuer.trustedKey(), now: () => clock.t });
    const { token } = await issuer.sign({ sub: 'acct-1', role: 'user' }, { ttlSec: 600 });
    clock.t += 600_000 + 31_000;
    await expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_EXPIRED');
  });

  it('persists the key with mode 0600 and reloads the same key', async () => {
    const keyFile = defaultLocalKeyFile(dir);
    const first = await LocalIssuer.create({ alg, keyFile });
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const second = await LocalIssuer.create({ keyFile });
    expect(second.alg).toBe(alg);
    expect(second.kid).toBe(first.kid);
    const { token } = await first.sign({ sub: 'acct-1', role: 'user' });
    const verifier = new TokenVerifier({ local: second.trustedKey() });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'acct-1' });
  });

  it('refuses tokens from a different local key', async () => {
    const trusted = await LocalIssuer.create({ alg });
    const other = await LocalIssuer.create({ alg });
    const verifier = new TokenVerifier({ local: trusted.trustedKey() });
    const { token } = await other.sign({ sub: 'acct-1', role: 'admin' });
    await expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_UNKNOWN_KEY');
  });

  it('refuses a key file other users can read', async () => {
    const keyFile = join(dir, 'key.json');
    await LocalIssuer.create({ alg, keyFile });
    await chmod(keyFile, 0o644);
    const err = await expectCode(LocalIssuer.create({ keyFile }), 'AUTH_LOCAL_KEY_INVALID');
    expect(err.message).toContain('chmod 600');
  });
});

describe('LocalIssuer key material', () => {
  it('enforces its own issuer and audience on tokens signed with its key', async () => {
    const secret = 'local-secret-that-is-long-enough-0123456789';
    const issuer = await LocalIssuer.create({ secret });
    const verifier = new TokenVerifier({ local: issuer.trustedKey() });
    const key = new TextEncoder().encode(secret);
    const base = {
      sub: 'acct-1',
      iss: LOCAL_ISSUER,
      aud: LOCAL_AUDIENCE,
      exp: Math.floor(Date.now() / 1000) + 60,
    };
    const sign = (claims: Record<string, unknown>) =>
      signToken({ alg: 'HS256', key, kid: issuer.kid, claims: { ...base, ...claims } });
    await expect(verifier.verify(`Bearer ${await sign({})}`)).resolves.toMatchObject({
      source: 'local',
    });
    await expectCode(
      verifier.verify(`Bearer ${await sign({ aud: 'other' })}`),
      'AUTH_WRONG_AUDIENCE',
    );
    await expectCode(
      verifier.verify(`Bearer ${await sign({ iss: 'other' })}`),
      'AUTH_WRONG_ISSUER',
    );
  });

  it('refuses an HS256 token carrying the ES256 local kid (algorithm confusion)', async () => {
    const issuer = await LocalIssuer.create({ alg: 'ES256' });
    const verifier = new TokenVerifier({ local: issuer.trustedKey() });
    const publicJwk = await exportJWK(issuer.trustedKey().key as CryptoKey);
    const token = await signToken({
      alg: 'HS256',
      key: new TextEncoder().encode(JSON.stringify(publicJwk)),
      kid: issuer.kid,
      claims: {
        sub: 'x',
        iss: LOCAL_ISSUER,
        aud: LOCAL_AUDIENCE,
        exp: Math.floor(Date.now() / 1000) + 60,
      },
    });
    await expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_ALG_NOT_ALLOWED');
  });

  it('keeps local and external HS256 secrets apart', async () => {
    const external = 'external-secret-that-is-long-enough-012345';
    const issuer = await LocalIssuer.create({ alg: 'HS256' });
    const verifier = new TokenVerifier({
      hs256Secret: external,
      issuer: 'https://idp.test',
      local: issuer.trustedKey(),
    });
    const exp = Math.floor(Date.now() / 1000) + 60;
    const externalToken = await signToken({
      alg: 'HS256',
      key: new TextEncoder().encode(external),
      claims: { sub: 'ext', iss: 'https://idp.test', exp },
    });
    await expect(verifier.verify(`Bearer ${externalToken}`)).resolves.toMatchObject({
      source: 'hs256',
    });
    // The external secret cannot mint tokens for the local key id.
    const impostor = await signToken({
      alg: 'HS256',
      key: new TextEncoder().encode(external),
      kid: issuer.kid,
      claims: { sub: 'x', iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, exp },
    });
    await expectCode(verifier.verify(`Bearer ${impostor}`), 'AUTH_INVALID_SIGNATURE');
    const { token } = await issuer.sign({ sub: 'acct-1', role: 'user' });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ source: 'local' });
  });

  it('accepts an ES256 key given as PKCS#8 PEM', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const issuer = await LocalIssuer.create({ privateKeyPem: await exportPKCS8(privateKey) });
    expect(issuer.alg).toBe('ES256');
    expect(issuer.kid).toBe(await calculateJwkThumbprint(await exportJWK(publicKey)));
    const { token } = await issuer.sign({ sub: 'acct-1', role: 'user' });
    await expect(
      new TokenVerifier({ local: issuer.trustedKey() }).verify(`Bearer ${token}`),
    ).resolves.toMatchObject({
      sub: 'acct-1',
    });
  });

  it('refuses a corrupt key file, an alg that differs from the file, and bad settings', async () => {
    const keyFile = join(dir, 'key.json');
    await writeFile(keyFile, '{"version":1,', { mode: 0o600 });
    await expectCode(LocalIssuer.create({ keyFile }), 'AUTH_LOCAL_KEY_INVALID');
    await writeFile(keyFile, '{"version":1,"alg":"ES256","jwk":{"kty":"EC"}}', { mode: 0o600 });
    await expectCode(LocalIssuer.create({ keyFile }), 'AUTH_LOCAL_KEY_INVALID');

    const esFile = join(dir, 'es.json');
    await LocalIssuer.create({ alg: 'ES256', keyFile: esFile });
    expect(JSON.parse(await readFile(esFile, 'utf8'))).toMatchObject({ version: 1, alg: 'ES256' });
    await expectCode(
      LocalIssuer.create({ alg: 'HS256', keyFile: esFile }),
      'AUTH_LOCAL_KEY_INVALID',
    );

    await expectCode(LocalIssuer.create({ secret: 'short' }), 'AUTH_CONFIG_INVALID');
    await expectCode(LocalIssuer.create({ privateKeyPem: 'not a pem' }), 'AUTH_CONFIG_INVALID');
    await expectCode(LocalIssuer.create({ ttlSec: 0 }), 'AUTH_CONFIG_INVALID');
    const issuer = await LocalIssuer.create();
    await expectCode(issuer.sign({ sub: '', role: 'user' }), 'AUTH_CONFIG_INVALID');
  });

  it('lets concurrent starts agree on one persisted key', async () => {
    const keyFile = join(dir, 'nested', 'key.json');
    const issuers = await Promise.all(
      Array.from({ length: 4 }, () => LocalIssuer.create({ keyFile })),
    );
    expect(new Set(issuers.map((i) => i.kid)).size).toBe(1);
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(dir, 'nested'))).toEqual(['key.json']);
  });
});
