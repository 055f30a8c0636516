// Proves sign-in with Supabase end to end against a STAND-IN for Supabase Auth (a tiny
// GoTrue-compatible server, supabase.standin.fixture.ts), not a real Supabase project, which
// cannot run here: a token from its /auth/v1/token is accepted by our /auth/me with the role
// from app_metadata, a refreshed token too, a forged one is not, /auth/config answers supabase
// mode and local sign-in is off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from './app.js';
import { loadConfig } from './config.js';
import { createParts, type Parts } from './app.deps.js';
import { seedMetadata, tinyModelRegistry } from './services.fixture.js';
import { startGoTrueStandin, type GoTrueStandin } from './supabase.standin.fixture.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const JWT_SECRET = 'stand-in-project-jwt-secret-at-least-32-chars';
const ALICE = { id: '6f1d1a52-3c1e-4d7a-9f4e-0a7b9c2d5e11', email: 'alice@example.com' };
const ADMIN = { id: '0c9e8b7a-6d5c-4b3a-8f2e-1d0c9b8a7f66', email: 'admin@example.com' };

const tmp = mkdtempSync(join(tmpdir(), 'nilm-supabase-standin-'));
let gotrue: GoTrueStandin;
let parts: Parts;
let app: FastifyInstance;

/** The request the web app sends (apps/web/src/lib/supabase.auth.ts), to the stand-in. */
async function token(grant: 'password' | 'refresh_token', body: object): Promise<Response> {
  return fetch(`${gotrue.url}/auth/v1/token?grant_type=${grant}`, {
    method: 'POST',
    headers: { apikey: gotrue.anonKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const me = (accessToken: string) =>
  app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${accessToken}` } });

beforeAll(async () => {
  gotrue = await startGoTrueStandin({
    jwtSecret: JWT_SECRET,
    users: [
      { ...ALICE, password: 'correct horse' },
      { ...ADMIN, password: 'battery staple', app_metadata: { role: 'admin' } },
    ],
  });
  const config = loadConfig(
    {
      NILM_WEB_DIR: join(tmp, 'no-web-build'),
      NILM_DATA_DIR: join(tmp, 'data'),
      NILM_MODELS_DIR: await tinyModelRegistry(tmp),
      LOG_LEVEL: 'silent',
      DEMO: 'false',
      SUPABASE_URL: gotrue.url,
      SUPABASE_ANON_KEY: gotrue.anonKey,
      AUTH_HS256_SECRET: JWT_SECRET,
    },
    ROOT,
  );
  seedMetadata(config.dataDir);
  parts = await createParts(config);
  app = await build(parts);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await parts?.close();
  await gotrue?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('sign-in with Supabase (against a GoTrue stand-in, not real Supabase)', () => {
  it('tells the web app to sign in with Supabase at the stand-in, and local sign-in is off', async () => {
    expect((await app.inject('/api/v1/auth/config')).json()).toEqual({
      mode: 'supabase',
      supabase_url: gotrue.url,
      supabase_anon_key: gotrue.anonKey,
    });
    const local = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: ALICE.email, password: 'correct horse' },
    });
    expect(local.statusCode).toBe(404);
    expect(local.json().error).toEqual({
      code: 'NOT_FOUND',
      message:
        'local sign-in is off: this server uses external auth (sign in with your identity provider)',
    });
  });

  it('accepts the access token from password sign-in, with the role from app_metadata', async () => {
    const alice = await token('password', { email: ALICE.email, password: 'correct horse' });
    expect(alice.status).toBe(200);
    const session = (await alice.json()) as { access_token: string; user: { id: string } };
    expect(session.user.id).toBe(ALICE.id);
    const r = await me(session.access_token);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ id: ALICE.id, email: ALICE.email, role: 'user' });

    const admin = (await (
      await token('password', { email: ADMIN.email, password: 'battery staple' })
    ).json()) as { access_token: string };
    expect((await me(admin.access_token)).json()).toEqual({
      id: ADMIN.id,
      email: ADMIN.email,
      role: 'admin',
    });
  });

  it("answers GoTrue's error for a wrong password", async () => {
    const r = await token('password', { email: ALICE.email, password: 'wrong' });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      code: 400,
      error_code: 'invalid_credentials',
      msg: 'Invalid login credentials',
    });
  });

  it('accepts a refreshed token; a refresh token works once, and not after sign-out', async () => {
    const first = (await (
      await token('password', { email: ALICE.email, password: 'correct horse' })
    ).json()) as { refresh_token: string };
    const refreshed = await token('refresh_token', { refresh_token: first.refresh_token });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect((await me(second.access_token)).json()).toMatchObject({ id: ALICE.id });
    expect((await token('refresh_token', { refresh_token: first.refresh_token })).status).toBe(400);

    const out = await fetch(`${gotrue.url}/auth/v1/logout`, {
      method: 'POST',
      headers: { apikey: gotrue.anonKey, authorization: `Bearer ${second.access_token}` },
    });
    expect(out.status).toBe(204);
    expect((await token('refresh_token', { refresh_token: second.refresh_token })).status).toBe(
      400,
    );
  });

  it('refuses a Supabase-shaped token signed with another secret or for another project', async () => {
    const claims = { sub: ALICE.id, role: 'authenticated', aud: 'authenticated' };
    const sign = (issuer: string, secret: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(secret));
    const forged = await me(await sign(`${gotrue.url}/auth/v1`, 'x'.repeat(40)));
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.details.auth_code).toBe('AUTH_INVALID_SIGNATURE');
    const elsewhere = await me(await sign('https://other.supabase.co/auth/v1', JWT_SECRET));
    expect(elsewhere.statusCode).toBe(401);
    expect(elsewhere.json().error.details.auth_code).toBe('AUTH_WRONG_ISSUER');
  });
});
