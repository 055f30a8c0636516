// Proves issue 12.5 (the part left): with external auth, an admin never seen before who creates a
// building gets 201 and owns it; external users are recorded on their first authenticated request,
// with or without an e-mail claim; and a building creation that fails half-way (the owner cannot
// be written) answers the store's error and leaves no building behind.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '@nilm/stores';
import { openTestApp, type TestApp } from './app.fixture.js';

const secret = 'an-hs256-secret-that-is-long-enough-0123456789';
let t: TestApp;

beforeAll(async () => {
  t = await openTestApp({ AUTH_HS256_SECRET: secret });
}, 120_000);
afterAll(async () => t.close());

async function bearer(
  sub: string,
  claims: Record<string, unknown>,
): Promise<Record<string, string>> {
  const jwt = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  return { authorization: `Bearer ${jwt}` };
}

describe('an external admin never seen before', () => {
  it('creates a building and owns it (no 500, no ownerless building)', async () => {
    const headers = await bearer('ext-new-admin', { role: 'admin' });
    expect(await t.parts.metadata.getUser('ext-new-admin')).toBeNull();
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/buildings',
      headers,
      payload: { id: 'ext-first', name: 'First' },
    });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ id: 'ext-first', my_role: 'admin' });
    expect(await t.parts.metadata.listMembers('ext-first')).toEqual([
      { buildingId: 'ext-first', userId: 'ext-new-admin', role: 'owner' },
    ]);
  });

  it('is recorded on the first authenticated request, with or without an e-mail claim', async () => {
    await t.app.inject({
      url: '/api/v1/buildings',
      headers: await bearer('ext-no-email', { role: 'user' }),
    });
    expect(await t.parts.metadata.getUser('ext-no-email')).toMatchObject({
      id: 'ext-no-email',
      email: null,
      role: 'user',
    });
    await t.app.inject({
      url: '/api/v1/models',
      headers: await bearer('ext-with-email', { email: 'w@idp.example' }),
    });
    expect((await t.parts.metadata.getUser('ext-with-email'))?.email).toBe('w@idp.example');
  });
});

describe('a building creation that fails half-way', () => {
  it('answers the failure and leaves no building without an owner', async () => {
    const headers = await bearer('ext-admin-2', { role: 'admin' });
    const setMember = vi
      .spyOn(t.parts.metadata, 'setMember')
      .mockRejectedValueOnce(new StoreUnavailableError('pglite', 'connection lost'));
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/buildings',
      headers,
      payload: { id: 'half-way', name: 'Half' },
    });
    setMember.mockRestore();
    expect(r.statusCode).toBe(503);
    expect(r.json().error.code).toBe('STORE_UNAVAILABLE');
    expect(await t.parts.metadata.getBuilding('half-way')).toBeNull();
    // And the same request, once the store is back, succeeds.
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/buildings',
      headers,
      payload: { id: 'half-way', name: 'Half' },
    });
    expect(again.statusCode).toBe(201);
  });
});
