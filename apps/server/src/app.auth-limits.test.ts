// Proves issue 12.2 through app.inject on embedded parts: failed authentications are counted per
// client address (IPv6 per /64) and, past AUTH_FAILURES_PER_MINUTE, refused with 429
// AUTH_FAILURES_LIMITED before any token is verified or device token looked up, while other
// addresses and credentials that verified recently still pass; a local account gets a backoff
// after LOGIN_BACKOFF_AFTER wrong passwords (known and unknown e-mails alike); and a 503 for
// unreachable identity-provider keys does not name their URL.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestApp, type TestApp } from './app.fixture.js';
import { AuthError, addressKey, hashPassword } from './auth/index.js';
import { answerOf } from './errors.js';

const opened: TestApp[] = [];
const open = async (...a: Parameters<typeof openTestApp>) => {
  const t = await openTestApp(...a);
  opened.push(t);
  return t;
};
afterAll(async () => {
  for (const t of opened) await t.close();
});

const forged = { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA' };

describe('failed authentications per address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await open({ AUTH_FAILURES_PER_MINUTE: '5' });
  }, 120_000);

  it('answers 429 past the limit without verifying the token, and not to other addresses', async () => {
    const good = await t.auth('alice');
    // Verified once before the attack: stays usable from the same address.
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: good })).statusCode).toBe(200);
    const verify = vi.spyOn(t.parts.verifier, 'verify');
    const codes: number[] = [];
    for (let i = 0; i < 8; i++)
      codes.push(
        (
          await t.app.inject({
            url: '/api/v1/buildings',
            headers: forged,
            remoteAddress: '10.1.1.1',
          })
        ).statusCode,
      );
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(verify).toHaveBeenCalledTimes(5);
    const limited = await t.app.inject({
      url: '/api/v1/buildings',
      headers: forged,
      remoteAddress: '10.1.1.1',
    });
    expect(limited.json().error.code).toBe('AUTH_FAILURES_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // A credential that verified recently is let through; a new one is not.
    const again = await t.app.inject({
      url: '/api/v1/buildings',
      headers: good,
      remoteAddress: '10.1.1.1',
    });
    expect(again.statusCode).toBe(200);
    const fresh = await t.auth('alice', 'user', 3600 - 1);
    expect(
      (await t.app.inject({ url: '/api/v1/buildings', headers: fresh, remoteAddress: '10.1.1.1' }))
        .statusCode,
    ).toBe(429);
    // Another address is not affected.
    expect(
      (await t.app.inject({ url: '/api/v1/buildings', headers: forged, remoteAddress: '10.1.1.2' }))
        .statusCode,
    ).toBe(401);
    verify.mockRestore();
  });

  it('counts unknown device tokens too, and stops looking them up past the limit', async () => {
    const find = vi.spyOn(t.parts.metadata, 'findDeviceToken');
    const codes: number[] = [];
    for (let i = 0; i < 7; i++)
      codes.push(
        (
          await t.app.inject({
            method: 'POST',
            url: '/api/v1/ingest',
            headers: { 'x-ingest-token': `nilm_dev_${'a'.repeat(40)}${i}` },
            payload: { building_id: 'home', readings: [{ ts: Date.now() - 60_000, power_w: 1 }] },
            remoteAddress: '10.2.2.2',
          })
        ).statusCode,
      );
    expect(codes.slice(-2)).toEqual([429, 429]);
    expect(codes.filter((c) => c === 401)).toHaveLength(5);
    expect(find.mock.calls.length).toBeLessThanOrEqual(5);
    find.mockRestore();
  });

  it('counts an IPv6 client by its /64, so rotating addresses does not escape the limit', async () => {
    const codes: number[] = [];
    for (let i = 1; i <= 7; i++)
      codes.push(
        (
          await t.app.inject({
            url: '/api/v1/buildings',
            headers: forged,
            remoteAddress: `2001:db8:1:2::${i.toString(16)}`,
          })
        ).statusCode,
      );
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('keys addresses: IPv4 as is, IPv4-mapped as IPv4, IPv6 by /64', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('local sign-in backoff per account', () => {
  it('makes an account wait after repeated wrong passwords, for known and unknown e-mails alike', async () => {
    let clock = Date.UTC(2026, 0, 1);
    const t = await open(
      { LOGIN_BACKOFF_AFTER: '3', AUTH_FAILURES_PER_MINUTE: '1000' },
      { now: () => clock },
    );
    await t.parts.metadata.upsertUser({
      id: 'bob',
      email: 'bob@test',
      role: 'user',
      passwordHash: await hashPassword('right-password-1'),
    });
    const login = async (email: string, password: string, ip = '10.3.3.3') => {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password },
        remoteAddress: ip,
      });
      return [r.statusCode, r.json().error?.code ?? 'ok'] as const;
    };
    for (const email of ['bob@test', 'nobody@test']) {
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push(await login(email, 'wrong-password'));
      expect(seen).toEqual([
        [401, 'AUTH_BAD_CREDENTIALS'],
        [401, 'AUTH_BAD_CREDENTIALS'],
        [401, 'AUTH_BAD_CREDENTIALS'],
        [429, 'LOGIN_BACKOFF'],
      ]);
    }
    // The right password is not even checked during the wait, from any address.
    expect(await login('BOB@test', 'right-password-1', '10.9.9.9')).toEqual([429, 'LOGIN_BACKOFF']);
    clock += 1_100;
    // After the wait one more wrong password doubles it (2 s).
    expect(await login('bob@test', 'wrong-password')).toEqual([401, 'AUTH_BAD_CREDENTIALS']);
    clock += 1_100;
    expect(await login('bob@test', 'right-password-1')).toEqual([429, 'LOGIN_BACKOFF']);
    clock += 1_000;
    expect(await login('bob@test', 'right-password-1')).toEqual([200, 'ok']);
    // A success starts the account afresh.
    expect(await login('bob@test', 'wrong-password')).toEqual([401, 'AUTH_BAD_CREDENTIALS']);
  }, 60_000);

  it('counts wrong passwords into the address limit as well', async () => {
    const t = await open({ AUTH_FAILURES_PER_MINUTE: '2', LOGIN_BACKOFF_AFTER: '100' });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++)
      codes.push(
        (
          await t.app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            payload: { email: `u${i}@test`, password: 'wrong-password' },
          })
        ).statusCode,
      );
    expect(codes).toEqual([401, 401, 429]);
  }, 60_000);
});

describe('identity provider keys unavailable', () => {
  it('answers NOT_READY without the JWKS URL', () => {
    const e = answerOf(
      new AuthError(
        'AUTH_KEYS_UNAVAILABLE',
        'The signing keys could not be fetched from https://idp.internal:8443/jwks (ECONNREFUSED).',
      ),
    );
    expect([e?.code, e?.status]).toEqual(['NOT_READY', 503]);
    expect(e?.message).not.toMatch(/idp\.internal|8443|ECONNREFUSED|https?:/);
  });
});
