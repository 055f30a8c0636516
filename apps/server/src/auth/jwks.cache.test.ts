// Proves JwksCache fetches keys single-flight and rate-limited, fails closed on timeouts and bad responses, and drops revoked keys, against a real HTTP server.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { AuthError, type AuthErrorCode } from './auth.errors.js';
import { makeKey, startJwksServer, type JwksServer, type TestKey } from './jwks.fixture.js';
import { JwksCache } from './jwks.cache.js';

let server: JwksServer;
let rsa: TestKey;
let ec: TestKey;
let clock: { t: number };

beforeAll(async () => {
  [rsa, ec] = await Promise.all([makeKey('RS256', 'rsa-1'), makeKey('ES256', 'ec-1')]);
});

afterEach(async () => {
  await server?.close();
});

async function setup(keys = [rsa.jwk, ec.jwk], timeoutMs = 5_000): Promise<JwksCache> {
  server = await startJwksServer(keys);
  clock = { t: 1_700_000_000_000 };
  return new JwksCache({ url: server.url, now: () => clock.t, timeoutMs });
}

async function expectCode(promise: Promise<unknown>, code: AuthErrorCode): Promise<AuthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  expect((err as AuthError).code).toBe(code);
  return err as AuthError;
}

describe('JwksCache', () => {
  it('fetches lazily, once, and serves both key types from the cache', async () => {
    const cache = await setup();
    expect(server.requests).toBe(0);
    const [r, e] = await Promise.all([
      cache.getKey('rsa-1', 'RS256'),
      cache.getKey('ec-1', 'ES256'),
    ]);
    expect(r.algorithm.name).toBe('RSASSA-PKCS1-v1_5');
    expect(e.algorithm.name).toBe('ECDSA');
    expect(e.type).toBe('public');
    await cache.getKey('rsa-1', 'RS256');
    expect(server.requests).toBe(1);
    expect(cache.stats()).toMatchObject({ fetches: 1, keys: 2, lastSuccessAt: clock.t });
  });

  it('shares one request among 20 concurrent callers', async () => {
    const cache = await setup();
    server.delayMs = 50;
    const keys = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        cache.getKey(i % 2 ? 'rsa-1' : 'ec-1', i % 2 ? 'RS256' : 'ES256'),
      ),
    );
    expect(keys).toHaveLength(20);
    expect(server.requests).toBe(1);
  });

  it('honours a configured refresh interval', async () => {
    server = await startJwksServer([rsa.jwk]);
    clock = { t: 0 };
    const cache = new JwksCache({
      url: server.url,
      now: () => clock.t,
      minRefreshIntervalMs: 5_000,
    });
    await expectCode(cache.getKey('missing', 'RS256'), 'AUTH_UNKNOWN_KEY');
    clock.t = 4_999;
    await expectCode(cache.getKey('missing', 'RS256'), 'AUTH_UNKNOWN_KEY');
    expect(server.requests).toBe(1);
    clock.t = 5_000;
    await expectCode(cache.getKey('missing', 'RS256'), 'AUTH_UNKNOWN_KEY');
    expect(server.requests).toBe(2);
  });

  it('fails closed on a timeout and keeps earlier keys', async () => {
    const cache = await setup([rsa.jwk], 200);
    await cache.getKey('rsa-1', 'RS256');
    server.mode = 'hang';
    clock.t += 30_000;
    const err = await expectCode(cache.getKey('ec-1', 'ES256'), 'AUTH_KEYS_UNAVAILABLE');
    expect(err.message).toMatch(/no answer within 200 ms/);
    await expect(cache.getKey('rsa-1', 'RS256')).resolves.toBeDefined();
    expect(cache.stats().lastError).toMatch(/200 ms/);
  });

  it.each([
    ['HTTP 503', 'error'],
    ['not JSON', '{"keys": ['],
    ['not a JWKS', '{"jwks": []}'],
  ] as const)('fails closed on a bad response (%s)', async (_name, body) => {
    const plain = createServer((_req, res) => {
      if (body === 'error') res.writeHead(503).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = plain.address() as AddressInfo;
      const cache = new JwksCache({ url: `http://127.0.0.1:${port}/jwks` });
      await expectCode(cache.getKey('rsa-1', 'RS256'), 'AUTH_KEYS_UNAVAILABLE');
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('ignores encryption keys and keys without kid, and never imports private parts', async () => {
    const other = await makeKey('RS256', 'enc-1');
    const leaked = { ...ec.jwk, kid: 'leaky', d: 'AAAA' };
    const cache = await setup([
      { ...other.jwk, use: 'enc' },
      { ...rsa.jwk, kid: undefined },
      leaked,
    ]);
    await expectCode(cache.getKey('enc-1', 'RS256'), 'AUTH_UNKNOWN_KEY');
    const key = await cache.getKey('leaky', 'ES256');
    expect(key.type).toBe('public');
    expect(cache.stats().keys).toBe(1);
  });

  it('refuses a key whose type or alg does not fit the token alg', async () => {
    const cache = await setup([rsa.jwk, { ...ec.jwk, alg: 'ES384' }]);
    await expectCode(cache.getKey('rsa-1', 'ES256'), 'AUTH_ALG_NOT_ALLOWED');
    await expectCode(cache.getKey('ec-1', 'ES256'), 'AUTH_ALG_NOT_ALLOWED');
  });

  it('refreshes a stale set in the background, so a removed (revoked) key stops working', async () => {
    const cache = await setup([rsa.jwk, ec.jwk]);
    await cache.getKey('ec-1', 'ES256');
    server.keys = [rsa.jwk];
    clock.t += 10 * 60_000;
    // Served from cache while the refresh runs.
    await expect(cache.getKey('ec-1', 'ES256')).resolves.toBeDefined();
    await vi.waitFor(() => expect(cache.stats().keys).toBe(1));
    expect(server.requests).toBe(2);
    await expectCode(cache.getKey('ec-1', 'ES256'), 'AUTH_UNKNOWN_KEY');
    expect(server.requests).toBe(2);
  });
});
