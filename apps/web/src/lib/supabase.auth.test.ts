// Proves the GoTrue calls: exact URLs, headers and bodies for password sign-in, refresh and sign-out; GoTrue's error message shown for each error shape; unreachable Supabase and malformed answers; refresh timing.
import { describe, expect, it, vi } from 'vitest';
import {
  createSupabaseAuth,
  expiresAtMs,
  goTrueErrorMessage,
  refreshDelayMs,
  SupabaseAuthError,
} from './supabase.auth.js';

const URL_ = 'https://proj.supabase.co/';
const ANON = 'sb_publishable_test';
const session = {
  access_token: 'access-1',
  token_type: 'bearer',
  expires_in: 3600,
  expires_at: 1_800_003_600,
  refresh_token: 'refresh-1',
  user: { id: 'u-1', email: 'a@b.c', app_metadata: { provider: 'email' } },
};

function setup(res: Response | Error) {
  const fetchFake = vi.fn((_url: string | URL | Request, _init?: RequestInit) =>
    res instanceof Error ? Promise.reject(res) : Promise.resolve(res),
  );
  const auth = createSupabaseAuth({
    url: URL_,
    anonKey: ANON,
    fetch: fetchFake as unknown as typeof fetch,
  });
  return { auth, fetchFake };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

describe('createSupabaseAuth', () => {
  it('signs in with e-mail and password at /auth/v1/token?grant_type=password', async () => {
    const { auth, fetchFake } = setup(json(200, session));
    await expect(auth.signInWithPassword('a@b.c', 'pw')).resolves.toEqual(session);
    expect(fetchFake).toHaveBeenCalledTimes(1);
    const [url, init] = fetchFake.mock.calls[0]!;
    expect(url).toBe('https://proj.supabase.co/auth/v1/token?grant_type=password');
    expect(init?.method).toBe('POST');
    expect(init?.headers).toEqual({ apikey: ANON, 'Content-Type': 'application/json' });
    expect(JSON.parse(init?.body as string)).toEqual({ email: 'a@b.c', password: 'pw' });
  });

  it('refreshes at /auth/v1/token?grant_type=refresh_token with the refresh token', async () => {
    const next = { ...session, access_token: 'access-2', refresh_token: 'refresh-2' };
    const { auth, fetchFake } = setup(json(200, next));
    await expect(auth.refresh('refresh-1')).resolves.toMatchObject({
      access_token: 'access-2',
      refresh_token: 'refresh-2',
    });
    const [url, init] = fetchFake.mock.calls[0]!;
    expect(url).toBe('https://proj.supabase.co/auth/v1/token?grant_type=refresh_token');
    expect(init?.headers).toEqual({ apikey: ANON, 'Content-Type': 'application/json' });
    expect(JSON.parse(init?.body as string)).toEqual({ refresh_token: 'refresh-1' });
  });

  it('signs out at /auth/v1/logout with the bearer token, and never throws', async () => {
    const { auth, fetchFake } = setup(new Response(null, { status: 204 }));
    await auth.signOut('access-1');
    const [url, init] = fetchFake.mock.calls[0]!;
    expect(url).toBe('https://proj.supabase.co/auth/v1/logout');
    expect(init?.method).toBe('POST');
    expect(init?.headers).toEqual({ apikey: ANON, Authorization: 'Bearer access-1' });
    expect(init?.body).toBeUndefined();
    await expect(setup(json(401, { msg: 'bad jwt' })).auth.signOut('x')).resolves.toBeUndefined();
    await expect(setup(new TypeError('offline')).auth.signOut('x')).resolves.toBeUndefined();
  });

  it("throws GoTrue's message and code for a wrong password", async () => {
    const { auth } = setup(
      json(400, { code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' }),
    );
    const err = await auth.signInWithPassword('a@b.c', 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SupabaseAuthError);
    expect(err).toMatchObject({
      status: 400,
      code: 'invalid_credentials',
      message: 'Invalid login credentials',
    });
  });

  it('reads the older OAuth-style error and the gateway message', async () => {
    await expect(
      setup(
        json(400, {
          error: 'invalid_grant',
          error_description: 'Invalid Refresh Token: Already Used',
        }),
      ).auth.refresh('r'),
    ).rejects.toMatchObject({
      status: 400,
      code: 'invalid_grant',
      message: 'Invalid Refresh Token: Already Used',
    });
    await expect(
      setup(json(401, { message: 'Invalid API key' })).auth.signInWithPassword('a@b.c', 'p'),
    ).rejects.toMatchObject({ status: 401, code: 'HTTP_ERROR', message: 'Invalid API key' });
  });

  it('describes a failure without a body by its status, and an unreachable Supabase', async () => {
    await expect(
      setup(new Response('<html>', { status: 502 })).auth.signInWithPassword('a@b.c', 'p'),
    ).rejects.toThrow('Supabase Auth answered 502');
    await expect(
      setup(new TypeError('Failed to fetch')).auth.signInWithPassword('a@b.c', 'p'),
    ).rejects.toMatchObject({
      status: 0,
      code: 'NETWORK',
      message:
        'Cannot reach Supabase Auth at https://proj.supabase.co; check your connection and try again',
    });
  });

  it('refuses a 200 answer that is not a session', async () => {
    await expect(
      setup(json(200, { access_token: 'a' })).auth.signInWithPassword('a@b.c', 'p'),
    ).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });
});

describe('goTrueErrorMessage', () => {
  it('prefers error_description, then msg, then message, then error', () => {
    expect(goTrueErrorMessage({ error_description: 'a', msg: 'b', message: 'c' })).toBe('a');
    expect(goTrueErrorMessage({ msg: 'b', message: 'c', error: 'd' })).toBe('b');
    expect(goTrueErrorMessage({ message: 'c', error: 'd' })).toBe('c');
    expect(goTrueErrorMessage({ error: 'd' })).toBe('d');
    expect(goTrueErrorMessage({ msg: '' })).toBeUndefined();
    expect(goTrueErrorMessage('text')).toBeUndefined();
  });
});

describe('token timing', () => {
  it('counts expiry from expires_in on our clock, else from expires_at', () => {
    expect(expiresAtMs({ expires_in: 3600, expires_at: 1 }, 1_000_000)).toBe(4_600_000);
    expect(
      expiresAtMs({ expires_in: undefined as unknown as number, expires_at: 2000 }, 1_000_000),
    ).toBe(2_000_000);
  });

  it('refreshes a minute before expiry, at half-life for short tokens, at once when expired', () => {
    expect(refreshDelayMs(3_600_000, 0)).toBe(3_540_000);
    expect(refreshDelayMs(30_000, 0)).toBe(15_000);
    expect(refreshDelayMs(1000, 5000)).toBe(0);
  });
});
