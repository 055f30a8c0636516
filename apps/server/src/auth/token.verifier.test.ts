// Proves TokenVerifier accepts only correctly signed, current tokens from configured keys, with real jose crypto against a real JWKS server.
import { generateKeyPair } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { AuthError, type AuthErrorCode } from './auth.errors.js';
import {
  makeKey,
  sec,
  signToken,
  startJwksServer,
  unsignedToken,
  type JwksServer,
  type TestKey,
} from './jwks.fixture.js';
import { createTokenVerifier, roleFromClaims, TokenVerifier } from './token.verifier.js';

const SECRET = 'an-hs256-secret-that-is-long-enough-0123456789';
const ISSUER = 'https://project.example.test/auth/v1';
const AUDIENCE = 'authenticated';

let server: JwksServer;
let rsa: TestKey;
let ec: TestKey;
let clock: { t: number };

beforeAll(async () => {
  [rsa, ec] = await Promise.all([makeKey('RS256', 'rsa-1'), makeKey('ES256', 'ec-1')]);
});

async function setup(
  keys = [rsa.jwk, ec.jwk],
  overrides: { hs256Secret?: string; issuer?: string; audience?: string } = {},
): Promise<TokenVerifier> {
  server = await startJwksServer(keys);
  clock = { t: Date.now() };
  return createTokenVerifier(
    { jwksUrl: server.url, issuer: ISSUER, audience: AUDIENCE, ...overrides },
    { now: () => clock.t },
  );
}

afterEach(async () => {
  await server?.close();
});

/** Standard claims relative to the fake clock, with overrides. */
function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = sec(clock.t);
  return {
    sub: 'user-1',
    email: 'ada@example.test',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 3600,
    ...extra,
  };
}

function sign(key: TestKey, extra: Record<string, unknown> = {}): Promise<string> {
  return signToken({ alg: key.alg, key: key.privateKey, kid: key.kid, claims: claims(extra) });
}

async function expectCode(promise: Promise<unknown>, code: AuthErrorCode): Promise<AuthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  expect((err as AuthError).code).toBe(code);
  expect((err as AuthError).message.length).toBeGreaterThan(20);
  return err as AuthError;
}

describe('valid tokens', () => {
  it('accepts an RS256 token from the JWKS and returns the caller', async () => {
    const verifier = await setup();
    const token = await sign(rsa);
    const result = await verifier.verify(`Bearer ${token}`);
    expect(result).toMatchObject({
      sub: 'user-1',
      email: 'ada@example.test',
      role: 'user',
      exp: sec(clock.t) + 3600,
      source: 'jwks',
    });
    expect(result.claims.iss).toBe(ISSUER);
    expect(server.requests).toBe(1);
  });

  it('accepts an ES256 token and reuses the cached key set', async () => {
    const verifier = await setup();
    await verifier.verify(`Bearer ${await sign(rsa)}`);
    const result = await verifier.verify(`Bearer ${await sign(ec, { sub: 'user-2' })}`);
    expect(result.sub).toBe('user-2');
    expect(server.requests).toBe(1);
  });

  it('ignores a trailing slash difference between configured and token issuer', async () => {
    const verifier = await setup(undefined, { issuer: `${ISSUER}/` });
    await expect(verifier.verify(`Bearer ${await sign(rsa)}`)).resolves.toMatchObject({
      sub: 'user-1',
    });
    const slashed = await sign(rsa, { iss: `${ISSUER}/` });
    await expect(verifier.verify(`Bearer ${slashed}`)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('accepts an audience array that contains the configured audience', async () => {
    const verifier = await setup();
    const token = await sign(rsa, { aud: ['other', AUDIENCE] });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('accepts HS256 signed with the configured secret', async () => {
    const verifier = await setup(undefined, { hs256Secret: SECRET });
    const token = await signToken({
      alg: 'HS256',
      key: new TextEncoder().encode(SECRET),
      claims: claims(),
    });
    const result = await verifier.verify(`Bearer ${token}`);
    expect(result).toMatchObject({ sub: 'user-1', source: 'hs256' });
    expect(server.requests).toBe(0);
  });

  it('does not check iss or aud when none is configured, but still requires sub and exp', async () => {
    server = await startJwksServer([]);
    clock = { t: Date.now() };
    const verifier = new TokenVerifier({ hs256Secret: SECRET, now: () => clock.t });
    const key = new TextEncoder().encode(SECRET);
    const token = await signToken({ alg: 'HS256', key, claims: claims({ aud: 'x', iss: 'y' }) });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'user-1' });
    const noExp = await signToken({ alg: 'HS256', key, claims: claims({ exp: undefined }) });
    await expectCode(verifier.verify(`Bearer ${noExp}`), 'AUTH_CLAIM_INVALID');
  });
});

describe('refused tokens', () => {
  it('refuses a forged signature (other key, same kid)', async () => {
    const verifier = await setup();
    const forger = await makeKey('RS256', rsa.kid);
    await expectCode(verifier.verify(`Bearer ${await sign(forger)}`), 'AUTH_INVALID_SIGNATURE');
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const verifier = await setup();
    const [h, , s] = (await sign(rsa)).split('.');
    const payload = Buffer.from(JSON.stringify(claims({ sub: 'admin-user', role: 'admin' })));
    const tampered = `${h}.${payload.toString('base64url')}.${s}`;
    await expectCode(verifier.verify(`Bearer ${tampered}`), 'AUTH_INVALID_SIGNATURE');
  });

  it('refuses an expired token beyond the 30 s tolerance, accepts one within it', async () => {
    const verifier = await setup();
    const now = sec(clock.t);
    const stale = await sign(rsa, { iat: now - 7200, exp: now - 31 });
    const err = await expectCode(verifier.verify(`Bearer ${stale}`), 'AUTH_EXPIRED');
    expect(err.message).toMatch(/Sign in again/);
    const justExpired = await sign(rsa, { iat: now - 7200, exp: now - 20 });
    await expect(verifier.verify(`Bearer ${justExpired}`)).resolves.toMatchObject({
      sub: 'user-1',
    });
  });

  it('refuses a token not valid yet (nbf, iat in the future), tolerates small skew', async () => {
    const verifier = await setup();
    const now = sec(clock.t);
    await expectCode(
      verifier.verify(`Bearer ${await sign(rsa, { nbf: now + 120 })}`),
      'AUTH_NOT_YET_VALID',
    );
    await expectCode(
      verifier.verify(`Bearer ${await sign(rsa, { iat: now + 120 })}`),
      'AUTH_NOT_YET_VALID',
    );
    const skewed = await sign(rsa, { nbf: now + 20, iat: now + 20 });
    await expect(verifier.verify(`Bearer ${skewed}`)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('refuses a wrong or missing audience', async () => {
    const verifier = await setup();
    await expectCode(
      verifier.verify(`Bearer ${await sign(rsa, { aud: 'someone-else' })}`),
      'AUTH_WRONG_AUDIENCE',
    );
    await expectCode(
      verifier.verify(`Bearer ${await sign(rsa, { aud: undefined })}`),
      'AUTH_WRONG_AUDIENCE',
    );
  });

  it('refuses a wrong or missing issuer', async () => {
    const verifier = await setup();
    const err = await expectCode(
      verifier.verify(`Bearer ${await sign(rsa, { iss: 'https://evil.example.test/auth/v1' })}`),
      'AUTH_WRONG_ISSUER',
    );
    expect(err.message).toContain(ISSUER);
    await expectCode(
      verifier.verify(`Bearer ${await sign(rsa, { iss: undefined })}`),
      'AUTH_WRONG_ISSUER',
    );
  });

  it('refuses a missing, empty or non-string sub and a missing exp', async () => {
    const verifier = await setup();
    for (const extra of [{ sub: undefined }, { sub: '' }, { sub: 42 }, { exp: undefined }]) {
      await expectCode(verifier.verify(`Bearer ${await sign(rsa, extra)}`), 'AUTH_CLAIM_INVALID');
    }
    await expectCode(
      verifier.verify(`Bearer ${await sign(rsa, { exp: 'tomorrow' })}`),
      'AUTH_CLAIM_INVALID',
    );
  });

  it('refuses alg none, with or without a known kid', async () => {
    const verifier = await setup();
    for (const header of [
      { alg: 'none', typ: 'JWT' },
      { alg: 'none', kid: rsa.kid },
      { alg: 'NONE', kid: rsa.kid },
    ]) {
      const token = unsignedToken(header, claims());
      await expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_ALG_NOT_ALLOWED');
    }
    expect(server.requests).toBe(0);
  });

  it('refuses HS256 signed with the RSA public key as secret (algorithm confusion)', async () => {
    const forged = (kid: string) =>
      signToken({ alg: 'HS256', key: new TextEncoder().encode(rsa.pem), kid, claims: claims() });
    const verifier = await setup();
    await expectCode(verifier.verify(`Bearer ${await forged(rsa.kid)}`), 'AUTH_ALG_NOT_ALLOWED');
    await server.close();
    // Even with HS256 enabled the public key is never used as the HMAC secret.
    const withSecret = await setup(undefined, { hs256Secret: SECRET });
    await expectCode(
      withSecret.verify(`Bearer ${await forged(rsa.kid)}`),
      'AUTH_INVALID_SIGNATURE',
    );
    expect(server.requests).toBe(0);
  });

  it('refuses HS256 when no secret is configured, even with a valid HMAC', async () => {
    const verifier = await setup();
    const token = await signToken({
      alg: 'HS256',
      key: new TextEncoder().encode(SECRET),
      claims: claims(),
    });
    const err = await expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_ALG_NOT_ALLOWED');
    expect(err.message).toMatch(/HS256 secret is configured/);
  });

  it('refuses an ES256 header pointing at the RSA key, and algorithms never accepted', async () => {
    const verifier = await setup();
    const otherEc = await makeKey('ES256', rsa.kid);
    await expectCode(verifier.verify(`Bearer ${await sign(otherEc)}`), 'AUTH_ALG_NOT_ALLOWED');
    const ps = await generateKeyPair('PS256');
    const psToken = await signToken({
      alg: 'PS256',
      key: ps.privateKey,
      kid: rsa.kid,
      claims: claims(),
    });
    await expectCode(verifier.verify(`Bearer ${psToken}`), 'AUTH_ALG_NOT_ALLOWED');
  });

  it('refuses an RS256 token without kid', async () => {
    const verifier = await setup();
    const token = await signToken({ alg: 'RS256', key: rsa.privateKey, claims: claims() });
    await expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_UNKNOWN_KEY');
  });

  it.each([
    ['undefined', undefined, 'AUTH_MISSING'],
    ['null', null, 'AUTH_MISSING'],
    ['empty', '', 'AUTH_MISSING'],
    ['lowercase scheme', 'bearer TOKEN', 'AUTH_MALFORMED'],
    ['other scheme', 'Basic dXNlcjpwYXNz', 'AUTH_MALFORMED'],
    ['scheme only', 'Bearer', 'AUTH_MALFORMED'],
    ['scheme and space', 'Bearer ', 'AUTH_MALFORMED'],
    ['two spaces', 'Bearer  TOKEN', 'AUTH_MALFORMED'],
    ['trailing space', 'Bearer TOKEN ', 'AUTH_MALFORMED'],
    ['quoted', 'Bearer "TOKEN"', 'AUTH_MALFORMED'],
    ['not a JWT', 'Bearer abc', 'AUTH_MALFORMED'],
    ['garbage header', 'Bearer e30x.e30.abc', 'AUTH_MALFORMED'],
    [
      'header not JSON',
      `Bearer ${Buffer.from('nope').toString('base64url')}.e30.abc`,
      'AUTH_MALFORMED',
    ],
  ] as const)('refuses a malformed header (%s)', async (_name, header, code) => {
    const verifier = await setup();
    const token = await sign(rsa);
    const value = header?.replace('TOKEN', token);
    await expectCode(verifier.verify(value), code);
  });
});

describe('key set refresh', () => {
  it('refreshes exactly once for 20 concurrent verifications with an unknown kid', async () => {
    const verifier = await setup([rsa.jwk]);
    await verifier.verify(`Bearer ${await sign(rsa)}`);
    expect(server.requests).toBe(1);

    const rotated = await makeKey('RS256', 'rsa-2');
    server.keys = [rsa.jwk, rotated.jwk];
    server.delayMs = 100;
    clock.t += 31_000;
    const token = await sign(rotated);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => verifier.verify(`Bearer ${token}`)),
    );
    expect(results.every((r) => r.sub === 'user-1')).toBe(true);
    expect(server.requests).toBe(2);
  });

  it('refuses unknown kids without fetching again within 30 s, refreshes after', async () => {
    const verifier = await setup([rsa.jwk]);
    await verifier.verify(`Bearer ${await sign(rsa)}`);
    const rotated = await makeKey('RS256', 'rsa-2');
    server.keys = [rsa.jwk, rotated.jwk];
    const token = await sign(rotated);

    clock.t += 29_000;
    await expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_UNKNOWN_KEY');
    await expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_UNKNOWN_KEY');
    expect(server.requests).toBe(1);

    clock.t += 1_000;
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'user-1' });
    expect(server.requests).toBe(2);
  });

  it('refuses a kid that is still unknown after the refresh', async () => {
    const verifier = await setup([rsa.jwk]);
    const stranger = await makeKey('RS256', 'not-published');
    const err = await expectCode(
      verifier.verify(`Bearer ${await sign(stranger)}`),
      'AUTH_UNKNOWN_KEY',
    );
    expect(err.message).toContain('not-published');
    expect(server.requests).toBe(1);
  });

  it('refuses when the JWKS server is down and nothing is cached', async () => {
    const verifier = await setup();
    await server.close();
    const err = await expectCode(
      verifier.verify(`Bearer ${await sign(rsa)}`),
      'AUTH_KEYS_UNAVAILABLE',
    );
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('keeps cached keys working while the JWKS server is down', async () => {
    const verifier = await setup([rsa.jwk]);
    await verifier.verify(`Bearer ${await sign(rsa)}`);
    const rotated = await makeKey('RS256', 'rsa-2');
    server.mode = 'error';
    clock.t += 31_000;
    await expectCode(verifier.verify(`Bearer ${await sign(rotated)}`), 'AUTH_KEYS_UNAVAILABLE');
    expect(server.requests).toBe(2);
    await expect(verifier.verify(`Bearer ${await sign(rsa)}`)).resolves.toMatchObject({
      sub: 'user-1',
    });
    // The failed attempt also counts against the 30 s budget.
    await expectCode(verifier.verify(`Bearer ${await sign(rotated)}`), 'AUTH_KEYS_UNAVAILABLE');
    expect(server.requests).toBe(2);
  });
});

describe('roles', () => {
  it.each([
    ['role admin', { role: 'admin' }, 'admin'],
    [
      'app_metadata.role admin (Supabase)',
      { role: 'authenticated', app_metadata: { role: 'admin' } },
      'admin',
    ],
    ['authenticated', { role: 'authenticated' }, 'user'],
    ['super_admin is not admin', { role: 'super_admin' }, 'user'],
    ['Admin is not admin', { role: 'Admin' }, 'user'],
    ['user_metadata is user-editable', { user_metadata: { role: 'admin' } }, 'user'],
    ['no role', {}, 'user'],
  ] as const)('maps %s', async (_name, extra, role) => {
    expect(roleFromClaims(extra)).toBe(role);
    const verifier = await setup();
    const result = await verifier.verify(`Bearer ${await sign(ec, extra)}`);
    expect(result.role).toBe(role);
  });
});

describe('configuration', () => {
  it('refuses every token when nothing is configured', async () => {
    server = await startJwksServer([rsa.jwk]);
    clock = { t: Date.now() };
    const token = await sign(rsa);
    for (const verifier of [new TokenVerifier({}), createTokenVerifier({})]) {
      expect(verifier.configured).toBe(false);
      await expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_NOT_CONFIGURED');
      await expectCode(verifier.verify(undefined), 'AUTH_NOT_CONFIGURED');
    }
    expect(server.requests).toBe(0);
  });

  it('derives JWKS URL, issuer and audience from a Supabase URL', async () => {
    server = await startJwksServer([rsa.jwk]);
    clock = { t: Date.now() };
    const verifier = createTokenVerifier(
      { supabaseUrl: `${server.base}/` },
      { now: () => clock.t },
    );
    const supabaseClaims = { iss: `${server.base}/auth/v1`, aud: 'authenticated' };
    const result = await verifier.verify(`Bearer ${await sign(rsa, supabaseClaims)}`);
    expect(result.sub).toBe('user-1');
    expect(server.paths).toEqual(['/auth/v1/.well-known/jwks.json']);
    await expectCode(
      verifier.verify(`Bearer ${await sign(rsa, { ...supabaseClaims, aud: 'anon' })}`),
      'AUTH_WRONG_AUDIENCE',
    );
  });

  it('rejects a short HS256 secret at construction', () => {
    expect(() => new TokenVerifier({ hs256Secret: 'short' })).toThrow(AuthError);
    expect(() => createTokenVerifier({ hs256Secret: 'short' })).toThrow(/32 characters/);
  });
});

describe('tokens verified before', () => {
  it('still expire: a remembered token is refused once past exp and the tolerance', async () => {
    const verifier = await setup();
    const token = await sign(ec, { exp: sec(clock.t) + 60 });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'user-1' });
    clock.t += 89_000;
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'user-1' });
    clock.t += 2_000;
    await expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_EXPIRED');
  });

  it('stop working when their key leaves the key set, as a token never seen does', async () => {
    const verifier = await setup([rsa.jwk, ec.jwk]);
    const token = await sign(ec);
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'user-1' });
    server.keys = [rsa.jwk];
    clock.t += 10 * 60_000;
    // Served while the key set refreshes in the background, then refused with the key gone.
    await verifier.verify(`Bearer ${token}`).catch(() => undefined);
    await vi.waitFor(() => expect(server.requests).toBe(2));
    await vi.waitFor(() => expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_UNKNOWN_KEY'));
  });

  it('are checked again when another key now answers to their kid', async () => {
    const verifier = await setup([rsa.jwk]);
    const token = await sign(rsa);
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'user-1' });
    const impostor = await makeKey('RS256', 'rsa-1');
    server.keys = [impostor.jwk];
    clock.t += 10 * 60_000;
    await verifier.verify(`Bearer ${token}`).catch(() => undefined);
    await vi.waitFor(() => expect(server.requests).toBe(2));
    await vi.waitFor(() =>
      expectCode(verifier.verify(`Bearer ${token}`), 'AUTH_INVALID_SIGNATURE'),
    );
    // A token of the new key is accepted: nothing stale is served for the kid.
    await expect(verifier.verify(`Bearer ${await sign(impostor)}`)).resolves.toMatchObject({
      sub: 'user-1',
    });
  });

  it('are never remembered when refused: a forged copy is refused every time', async () => {
    const verifier = await setup();
    const good = await sign(rsa);
    await verifier.verify(`Bearer ${good}`);
    const [h, p] = good.split('.');
    const forged = `${h}.${p}.${'A'.repeat(342)}`;
    await expectCode(verifier.verify(`Bearer ${forged}`), 'AUTH_INVALID_SIGNATURE');
    await expectCode(verifier.verify(`Bearer ${forged}`), 'AUTH_INVALID_SIGNATURE');
    await expect(verifier.verify(`Bearer ${good}`)).resolves.toMatchObject({ sub: 'user-1' });
  });
});
