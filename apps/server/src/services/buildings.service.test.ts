// Proves the buildings service's rules on a real (embedded PGlite) metadata store: the member
// list comes from one store query with every e-mail, a member is named by exactly one of id or
// e-mail, the last owner cannot leave, unknown accounts are refused (or recorded when accounts
// are external), a creation whose owner cannot be written leaves no building, a building created
// without a zone gets the configured default zone, and every refusal changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteMetadataStore, type MetadataStore } from '@nilm/stores';
import type { RequestCaller } from '../route.guards.js';
import { ApiError } from '../errors.js';
import { BuildingsService, type BuildingsServiceLog } from './buildings.service.js';

type UserCaller = Extract<RequestCaller, { kind: 'user' }>;

const admin: UserCaller = {
  kind: 'user',
  userId: 'admin',
  role: 'admin',
  email: 'admin@example.org',
  source: 'local',
  expiresAt: Date.UTC(2100, 0, 1),
};
const errors: object[] = [];
const log: BuildingsServiceLog = { warn: () => undefined, error: (obj) => errors.push(obj) };

let store: MetadataStore;
/** Names of the store methods called, in order (the store itself is the real one). */
const calls: string[] = [];
let counted: MetadataStore;

function service(externalAuth = false, metadata = counted): BuildingsService {
  return new BuildingsService({
    metadata,
    timeseries: { deleteBuilding: async () => undefined },
    defaultTimezone: 'America/Denver',
    externalAuth,
    findModel: (ref) => {
      if (ref !== 'known@1') throw new ApiError('MODEL_NOT_FOUND', `no model ${ref}`);
    },
    recompute: async () => undefined,
  });
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const e: unknown = await p.then(
    () => new Error('expected a refusal'),
    (err: unknown) => err,
  );
  if (!(e instanceof ApiError)) throw e;
  return e;
}

beforeAll(async () => {
  store = await createPgliteMetadataStore();
  await store.migrate();
  counted = new Proxy(store, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  for (const [id, email] of [
    ['admin', 'admin@example.org'],
    ['ann', 'ann@example.org'],
    ['bob', 'bob@example.org'],
    ['cy', null],
  ] as const)
    await store.upsertUser({
      id,
      email,
      role: id === 'admin' ? 'admin' : 'user',
      passwordHash: null,
    });
}, 120_000);

afterAll(async () => {
  await store?.close();
});

describe('BuildingsService', () => {
  it('creates a building owned by the named user, or by the admin, in the default zone unless told', async () => {
    const s = service();
    const b = await s.create(admin, { id: 'home1', name: 'Home', ownerId: 'ann' }, log);
    expect(b).toMatchObject({ id: 'home1', timezone: 'America/Denver', isDemo: false });
    expect((await store.getBuilding('home1'))?.timezone).toBe('America/Denver');
    expect(await store.getMemberRole('home1', 'ann')).toBe('owner');
    const flat = await s.create(
      admin,
      { id: 'home2', name: 'Flat', timezone: 'Europe/Paris' },
      log,
    );
    expect(flat.timezone).toBe('Europe/Paris');
    expect(await store.getMemberRole('home2', 'admin')).toBe('owner');
  });

  it('refuses a bad zone, an unknown owner, control characters and a taken id, writing nothing', async () => {
    const s = service();
    const before = await store.listBuildings();
    const bad = [
      s.create(admin, { id: 'x1', name: 'X', timezone: 'Mars/Olympus' }, log),
      s.create(admin, { id: 'x2', name: 'X', ownerId: 'nobody' }, log),
      s.create(admin, { id: 'x3', name: 'bad\u0007name' }, log),
      s.create(admin, { id: 'home1', name: 'again' }, log),
    ];
    const messages = await Promise.all(bad.map(async (p) => (await refusal(p)).message));
    expect(messages[0]).toMatch(/timezone "Mars\/Olympus" is not an IANA zone/);
    expect(messages[1]).toBe('owner_id "nobody" is not a known user');
    expect(messages[2]).toMatch(/name contains the control character U\+0007 at position 3/);
    expect(messages[3]).toBe('building "home1" already exists');
    expect(await store.listBuildings()).toEqual(before);
  });

  it('deletes a building again when its owner cannot be written', async () => {
    const failing = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'setMember') return async () => Promise.reject(new Error('disk full'));
        const v: unknown = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? (v as () => unknown).bind(target) : v;
      },
    });
    await expect(
      service(false, failing).create(admin, { id: 'orphan', name: 'O' }, log),
    ).rejects.toThrow('disk full');
    expect(await store.getBuilding('orphan')).toBeNull();
    expect(errors).toEqual([]);
  });

  it('lists members with their e-mail in one store query, no lookup per member', async () => {
    const s = service();
    await s.setMember('home1', { email: 'bob@example.org', role: 'member' });
    await s.setMember('home1', { userId: 'cy', role: 'viewer' });
    calls.length = 0;
    expect(await s.members('home1')).toEqual([
      { buildingId: 'home1', userId: 'ann', role: 'owner', email: 'ann@example.org' },
      { buildingId: 'home1', userId: 'bob', role: 'member', email: 'bob@example.org' },
      { buildingId: 'home1', userId: 'cy', role: 'viewer', email: null },
    ]);
    expect(calls).toEqual(['listMembersWithEmail']);
  });

  it('names a member by exactly one of id or e-mail, and only a known account', async () => {
    const s = service();
    const before = await store.listMembers('home1');
    const both = await refusal(
      s.setMember('home1', { userId: 'bob', email: 'b@x', role: 'owner' }),
    );
    expect(both.message).toMatch(/exactly one of "user_id" or "email"/);
    const neither = await refusal(s.setMember('home1', { role: 'owner' }));
    expect(neither.message).toMatch(/exactly one of/);
    const unknown = await refusal(
      s.setMember('home1', { email: 'zed@example.org', role: 'member' }),
    );
    expect(unknown.message).toMatch(/no account with e-mail "zed@example.org" exists; an admin/);
    const noId = await refusal(s.setMember('home1', { userId: 'zed', role: 'member' }));
    expect(noId.message).toBe('user "zed" does not exist');
    expect(await store.getUser('zed')).toBeNull();
    expect(await store.listMembers('home1')).toEqual(before);
  });

  it('records an external account named by id before its first sign-in', async () => {
    const members = await service(true).setMember('home1', { userId: 'ext-1', role: 'viewer' });
    expect(members.find((m) => m.userId === 'ext-1')).toEqual({
      buildingId: 'home1',
      userId: 'ext-1',
      role: 'viewer',
      email: null,
    });
    const unknown = await refusal(
      service(true).setMember('home1', { email: 'zed@example.org', role: 'member' }),
    );
    expect(unknown.message).toMatch(/ask them to sign in once/);
  });

  it('keeps the last owner (409) and says when a user is not a member (404)', async () => {
    const s = service();
    const last = await refusal(s.removeMember('home1', 'ann'));
    expect([last.code, last.message]).toEqual([
      'CONFLICT',
      `user "ann" is the building's last owner; make someone else owner first`,
    ]);
    const demote = await refusal(s.setMember('home1', { userId: 'ann', role: 'member' }));
    expect(demote.code).toBe('CONFLICT');
    expect(await store.getMemberRole('home1', 'ann')).toBe('owner');
    const none = await refusal(s.removeMember('home1', 'admin'));
    expect([none.code, none.message]).toEqual([
      'NOT_FOUND',
      'user "admin" is not a member of "home1"',
    ]);
    await s.removeMember('home1', 'bob');
    expect(await store.getMemberRole('home1', 'bob')).toBeNull();
  });

  it('updates a building, checking zone and model, and 404s an unknown one', async () => {
    const s = service();
    const b = await s.update('home2', { name: 'Loft', modelRef: 'known@1' });
    expect(b).toMatchObject({ name: 'Loft', modelRef: 'known@1', timezone: 'Europe/Paris' });
    await expect(s.update('home2', { modelRef: 'nope@0' })).rejects.toThrow('no model nope@0');
    const zone = await refusal(s.update('home2', { timezone: 'Nowhere' }));
    expect(zone.message).toBe('timezone "Nowhere" is not an IANA zone');
    expect((await store.getBuilding('home2'))?.modelRef).toBe('known@1');
    const missing = await refusal(s.update('gone', { name: 'G' }));
    expect(missing.code).toBe('BUILDING_NOT_FOUND');
  });

  it('makes a device token whose secret is returned once and only its hash stored', async () => {
    const s = service();
    const { token, secret } = await s.createToken('home1', 'meter');
    expect(token).toMatchObject({ buildingId: 'home1', name: 'meter', revokedAt: null });
    expect(JSON.stringify(await s.tokens('home1'))).not.toContain(secret);
    await s.revokeToken('home1', token.id);
    const again = await refusal(s.revokeToken('home1', token.id));
    expect(again.message).toBe(`no active token "${token.id}" in building "home1"`);
    const name = await refusal(s.createToken('home1', 'a\nb'));
    expect(name.message).toMatch(/control character U\+000A/);
    expect(await s.tokens('home1')).toHaveLength(1);
  });
});
