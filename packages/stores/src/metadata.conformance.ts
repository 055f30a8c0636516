/**
 * The conformance suite every MetadataStore passes (PGlite in memory and on disk, PostgreSQL).
 * One store serves the whole suite, as one serves a running server, so each test works on ids
 * of its own and never depends on another test's data or on the order tests run in.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  LastOwnerError,
  type MemberRole,
  type MetadataStore,
  type UserRole,
} from './metadata.store.js';
import { BACKLOG_BUCKET_MS, type PendingRange } from './estimate.backlog.js';
import { alertConformance } from './alert.conformance.js';
import { priceConformance } from './price.conformance.js';
import { deviceConformance } from './device.conformance.js';
import { labelConformance } from './label.conformance.js';
import { finetuneConformance } from './finetune.conformance.js';
import { watermarkConformance } from './watermark.conformance.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const MIN = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Register the metadata store conformance suite under `name`. `make` returns a new store over
 * an empty database; the suite migrates it and closes it at the end.
 */
export function metadataConformance(name: string, make: () => Promise<MetadataStore>): void {
  describe(`metadata store conformance: ${name}`, () => {
    let store: MetadataStore;
    // Ids unique to this run and test, valid as building ids, sortable in creation order.
    const run = randomBytes(4).toString('hex');
    let seq = 0;
    const id = (prefix: string): string => `${prefix}-${run}-${String(++seq).padStart(4, '0')}`;

    // Opening an embedded database takes seconds on a small machine: allow for it.
    beforeAll(async () => {
      store = await make();
      await store.migrate();
    }, 120_000);

    afterAll(async () => {
      await store?.close();
    }, 120_000);

    const building = (bid: string, name = `Home ${bid}`) =>
      store.createBuilding({
        id: bid,
        name,
        timezone: 'Europe/London',
        isDemo: false,
        modelRef: null,
      });

    const user = (uid: string, role: UserRole = 'user') =>
      store.upsertUser({ id: uid, email: `${uid}@example.org`, role, passwordHash: null });

    alertConformance({ store: () => store, id, building, user });
    priceConformance({ store: () => store, id, building });
    deviceConformance({ store: () => store, id, building });
    labelConformance({ store: () => store, id, building });
    finetuneConformance({ store: () => store, id, building });
    watermarkConformance({ store: () => store, id, building });

    describe('schema', () => {
      it('migrate again, even twice at once, is a no-op that keeps the data', async () => {
        const b = await building(id('mig'));
        await store.migrate();
        await Promise.all([store.migrate(), store.migrate()]);
        expect(await store.getBuilding(b.id)).toEqual(b);
      });

      it('ping resolves when the database answers', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describe('users', () => {
      it('upsertUser creates a user that getUser returns', async () => {
        const uid = id('u');
        const before = Date.now();
        const created = await store.upsertUser({
          id: uid,
          email: `${uid}@example.org`,
          role: 'admin',
          passwordHash: 'scrypt$16384$8$1$salt$hash',
        });
        const after = Date.now();
        expect(created).toEqual({
          id: uid,
          email: `${uid}@example.org`,
          role: 'admin',
          passwordHash: 'scrypt$16384$8$1$salt$hash',
          createdAt: expect.any(Number),
        });
        expect(created.createdAt).toBeGreaterThanOrEqual(before);
        expect(created.createdAt).toBeLessThanOrEqual(after);
        expect(await store.getUser(uid)).toEqual(created);
      });

      it('upsertUser of an existing id updates email, role and hash but keeps createdAt', async () => {
        const uid = id('u');
        const first = await store.upsertUser({
          id: uid,
          email: `old-${uid}@example.org`,
          role: 'user',
          passwordHash: 'h1',
        });
        await sleep(5); // so a rewritten createdAt would differ
        const second = await store.upsertUser({
          id: uid,
          email: `${uid}@example.org`,
          role: 'admin',
          passwordHash: null,
        });
        expect(second).toEqual({
          id: uid,
          email: `${uid}@example.org`,
          role: 'admin',
          passwordHash: null,
          createdAt: first.createdAt,
        });
        expect(await store.getUser(uid)).toEqual(second);
        expect(await store.getUserByEmail(`old-${uid}@example.org`)).toBeNull();
      });

      it('getUser and getUserByEmail return null for unknown users', async () => {
        expect(await store.getUser(id('nobody'))).toBeNull();
        expect(await store.getUserByEmail(`${id('nobody')}@example.org`)).toBeNull();
      });

      it('getUserByEmail finds the user whatever the case of the address', async () => {
        const uid = id('u');
        const u = await store.upsertUser({
          id: uid,
          email: `${uid}@Example.org`,
          role: 'user',
          passwordHash: null,
        });
        expect(await store.getUserByEmail(`${uid}@Example.org`)).toEqual(u);
        expect(await store.getUserByEmail(`${uid.toUpperCase()}@EXAMPLE.ORG`)).toEqual(u);
      });

      it('an email that another user holds is a ConflictError and changes nothing', async () => {
        const a = await user(id('u'));
        const bid = id('u');
        await expect(
          store.upsertUser({ id: bid, email: a.email, role: 'user', passwordHash: null }),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await store.getUser(bid)).toBeNull();
        expect(await store.getUserByEmail(a.email ?? '')).toEqual(a);
      });

      it('users without an email do not collide', async () => {
        const a = await store.upsertUser({
          id: id('u'),
          email: null,
          role: 'user',
          passwordHash: null,
        });
        const b = await store.upsertUser({
          id: id('u'),
          email: null,
          role: 'user',
          passwordHash: null,
        });
        expect(await store.getUser(a.id)).toEqual(a);
        expect(await store.getUser(b.id)).toEqual(b);
        expect(a.email).toBeNull();
      });

      it('an unknown user role is rejected', async () => {
        const uid = id('u');
        await expect(
          store.upsertUser({ id: uid, email: null, role: 'root' as UserRole, passwordHash: null }),
        ).rejects.toThrow();
        expect(await store.getUser(uid)).toBeNull();
      });

      it('listUsers returns every user, oldest first', async () => {
        const a = await user(id('u'));
        await sleep(2);
        const b = await user(id('u'), 'admin');
        const mine = (await store.listUsers()).filter((u) => u.id === a.id || u.id === b.id);
        expect(mine).toEqual([a, b]);
      });
    });

    describe('buildings', () => {
      it('createBuilding stores every field and getBuilding reads them back', async () => {
        const bid = id('b');
        const before = Date.now();
        const b = await store.createBuilding({
          id: bid,
          name: 'Flat 3',
          timezone: 'America/New_York',
          isDemo: true,
          modelRef: 'seq2point-kettle@1.2.0',
        });
        expect(b).toEqual({
          id: bid,
          name: 'Flat 3',
          timezone: 'America/New_York',
          isDemo: true,
          modelRef: 'seq2point-kettle@1.2.0',
          createdAt: expect.any(Number),
        });
        expect(b.createdAt).toBeGreaterThanOrEqual(before);
        expect(b.createdAt).toBeLessThanOrEqual(Date.now());
        expect(await store.getBuilding(bid)).toEqual(b);
      });

      it('getBuilding returns null for an unknown id', async () => {
        expect(await store.getBuilding(id('missing'))).toBeNull();
      });

      it('getBuildingsMany answers each id as getBuilding does, in order, an id twice', async () => {
        const a = await building(id('b'), 'A');
        const b = await building(id('b'), 'B');
        const missing = id('missing');
        expect(await store.getBuildingsMany([b.id, missing, a.id, b.id])).toEqual([b, null, a, b]);
        expect(await store.getBuildingsMany([])).toEqual([]);
      });

      it('a duplicate id is a ConflictError and leaves the first building as it was', async () => {
        const first = await building(id('b'), 'First');
        await expect(building(first.id, 'Second')).rejects.toBeInstanceOf(ConflictError);
        expect(await store.getBuilding(first.id)).toEqual(first);
      });

      it('the id check rejects ids outside ^[a-zA-Z0-9_-]{1,64}$', async () => {
        // The CHECK lives in the shared schema, so both SQL stores name the same constraint.
        const bad = ['has space', 'a/b', "o'brien", 'caf\u00e9', '', 'x'.repeat(65), 'line\n'];
        for (const bid of bad) {
          await expect(building(bid)).rejects.toThrow(/buildings_id_format/);
          expect(await store.getBuilding(bid)).toBeNull();
        }
        const longest = `${run}-${'y'.repeat(64 - run.length - 1)}`;
        expect(longest).toHaveLength(64);
        expect((await building(longest)).id).toBe(longest);
        const mixed = `Az_09-${run}`;
        expect((await building(mixed)).id).toBe(mixed);
      });

      it('listBuildings without a user returns all, with a user only their buildings', async () => {
        const [b1, b2, b3] = [
          await building(id('b')),
          await building(id('b')),
          await building(id('b')),
        ];
        const [u1, u2, u3] = [await user(id('u')), await user(id('u')), await user(id('u'))];
        await store.setMember({ buildingId: b1.id, userId: u1.id, role: 'owner' });
        await store.setMember({ buildingId: b3.id, userId: u1.id, role: 'viewer' });
        await store.setMember({ buildingId: b2.id, userId: u2.id, role: 'member' });

        expect(await store.listBuildings(u1.id)).toEqual([b1, b3]);
        expect(await store.listBuildings(u2.id)).toEqual([b2]);
        expect(await store.listBuildings(u3.id)).toEqual([]);
        expect(await store.listBuildings(id('nobody'))).toEqual([]);
        const ours = new Set([b1.id, b2.id, b3.id]);
        expect((await store.listBuildings()).filter((b) => ours.has(b.id))).toEqual([b1, b2, b3]);
      });

      it('updateBuilding changes only the patched fields; null clears the model', async () => {
        const b = await store.createBuilding({
          id: id('b'),
          name: 'Old name',
          timezone: 'Europe/London',
          isDemo: false,
          modelRef: 'cnn@1',
        });
        const renamed = await store.updateBuilding(b.id, { name: 'New name' });
        expect(renamed).toEqual({ ...b, name: 'New name' });
        const moved = await store.updateBuilding(b.id, {
          timezone: 'Europe/Berlin',
          modelRef: null,
        });
        expect(moved).toEqual({
          ...b,
          name: 'New name',
          timezone: 'Europe/Berlin',
          modelRef: null,
        });
        expect(await store.updateBuilding(b.id, {})).toEqual(moved);
        expect(await store.getBuilding(b.id)).toEqual(moved);
      });

      it('updateBuilding of an unknown id returns null and creates nothing', async () => {
        const bid = id('missing');
        expect(await store.updateBuilding(bid, { name: 'x' })).toBeNull();
        expect(await store.updateBuilding(bid, {})).toBeNull();
        expect(await store.getBuilding(bid)).toBeNull();
      });

      it('deleteBuilding removes it with its members, device tokens and appliances', async () => {
        const b = await building(id('b'));
        const other = await building(id('b'));
        const u = await user(id('u'));
        await store.setMember({ buildingId: b.id, userId: u.id, role: 'owner' });
        await store.setMember({ buildingId: other.id, userId: u.id, role: 'owner' });
        const hash = sha256(id('secret'));
        await store.createDeviceToken({
          id: id('t'),
          buildingId: b.id,
          name: 'meter',
          tokenHash: hash,
        });
        await store.setAppliance({
          buildingId: b.id,
          appliance: 'kettle',
          label: 'Kettle',
          enabled: true,
        });
        await store.setTariff(b.id, { currency: 'EUR', pricePerKwh: 0.3, bands: [] });
        await store.setAppliancesPresent(b.id, ['kettle']);

        expect(await store.deleteBuilding(b.id)).toBe(true);
        expect(await store.getBuilding(b.id)).toBeNull();
        expect(await store.listMembers(b.id)).toEqual([]);
        expect(await store.getMemberRole(b.id, u.id)).toBeNull();
        expect(await store.listDeviceTokens(b.id)).toEqual([]);
        expect(await store.findDeviceToken(hash)).toBeNull();
        expect(await store.listAppliances(b.id)).toEqual([]);
        expect(await store.getTariff(b.id)).toBeNull();
        expect(await store.getAppliancesPresent(b.id)).toBeNull();
        expect(await store.listBuildings(u.id)).toEqual([other]);
        expect(await store.getUser(u.id)).toEqual(u);
        expect(await store.deleteBuilding(b.id)).toBe(false);

        // A building created again under the same id starts empty.
        await building(b.id);
        expect(await store.listMembers(b.id)).toEqual([]);
        expect(await store.listDeviceTokens(b.id)).toEqual([]);
        expect(await store.listAppliances(b.id)).toEqual([]);
        expect(await store.getTariff(b.id)).toBeNull();
        expect(await store.getAppliancesPresent(b.id)).toBeNull();
      });
    });

    describe('members', () => {
      it('setMember adds a member and changes the role of an existing one', async () => {
        const b = await building(id('b'));
        const u = await user(id('u'));
        expect(await store.getMemberRole(b.id, u.id)).toBeNull();
        expect(await store.setMember({ buildingId: b.id, userId: u.id, role: 'viewer' })).toEqual({
          buildingId: b.id,
          userId: u.id,
          role: 'viewer',
        });
        expect(await store.getMemberRole(b.id, u.id)).toBe('viewer');
        expect(await store.setMember({ buildingId: b.id, userId: u.id, role: 'owner' })).toEqual({
          buildingId: b.id,
          userId: u.id,
          role: 'owner',
        });
        expect(await store.getMemberRole(b.id, u.id)).toBe('owner');
        expect(await store.listMembers(b.id)).toEqual([
          { buildingId: b.id, userId: u.id, role: 'owner' },
        ]);
      });

      it('listMembers lists one building, sorted by user id', async () => {
        const b = await building(id('b'));
        const other = await building(id('b'));
        const [u1, u2, u3] = [await user(id('u')), await user(id('u')), await user(id('u'))];
        await store.setMember({ buildingId: b.id, userId: u3.id, role: 'viewer' });
        await store.setMember({ buildingId: b.id, userId: u1.id, role: 'owner' });
        await store.setMember({ buildingId: b.id, userId: u2.id, role: 'member' });
        await store.setMember({ buildingId: other.id, userId: u1.id, role: 'viewer' });
        expect(await store.listMembers(b.id)).toEqual([
          { buildingId: b.id, userId: u1.id, role: 'owner' },
          { buildingId: b.id, userId: u2.id, role: 'member' },
          { buildingId: b.id, userId: u3.id, role: 'viewer' },
        ]);
        expect(await store.getMemberRole(other.id, u1.id)).toBe('viewer');
        expect(await store.getMemberRole(other.id, u2.id)).toBeNull();
      });

      it('listMembersWithEmail adds each account e-mail, null where it has none', async () => {
        const b = await building(id('b'));
        const [u1, u2] = [await user(id('u')), await user(id('u'))];
        await store.upsertUser({ id: u2.id, email: null, role: 'user', passwordHash: null });
        await store.setMember({ buildingId: b.id, userId: u2.id, role: 'viewer' });
        await store.setMember({ buildingId: b.id, userId: u1.id, role: 'owner' });
        expect(await store.listMembersWithEmail(b.id)).toEqual([
          { buildingId: b.id, userId: u1.id, role: 'owner', email: u1.email },
          { buildingId: b.id, userId: u2.id, role: 'viewer', email: null },
        ]);
        expect(u1.email).not.toBeNull();
        expect(await store.listMembersWithEmail(id('none'))).toEqual([]);
      });

      it('removeMember removes once, then reports false', async () => {
        const b = await building(id('b'));
        const [u1, u2] = [await user(id('u')), await user(id('u'))];
        await store.setMember({ buildingId: b.id, userId: u1.id, role: 'owner' });
        await store.setMember({ buildingId: b.id, userId: u2.id, role: 'member' });
        expect(await store.removeMember(b.id, u2.id)).toBe(true);
        expect(await store.getMemberRole(b.id, u2.id)).toBeNull();
        expect(await store.listBuildings(u2.id)).toEqual([]);
        expect(await store.removeMember(b.id, u2.id)).toBe(false);
        expect(await store.listMembers(b.id)).toEqual([
          { buildingId: b.id, userId: u1.id, role: 'owner' },
        ]);
      });

      it('demoting or removing the last owner is a LastOwnerError and changes nothing', async () => {
        const b = await building(id('b'));
        const [u1, u2] = [await user(id('u')), await user(id('u'))];
        await store.setMember({ buildingId: b.id, userId: u1.id, role: 'owner' });
        await store.setMember({ buildingId: b.id, userId: u2.id, role: 'member' });
        const before = await store.listMembers(b.id);
        for (const role of ['member', 'viewer'] as const) {
          const err: unknown = await store
            .setMember({ buildingId: b.id, userId: u1.id, role })
            .catch((e: unknown) => e);
          expect(err).toBeInstanceOf(LastOwnerError);
          expect(err).toMatchObject({ buildingId: b.id, userId: u1.id });
          expect((err as Error).message).toMatch(/last owner/);
        }
        await expect(store.removeMember(b.id, u1.id)).rejects.toBeInstanceOf(LastOwnerError);
        expect(await store.listMembers(b.id)).toEqual(before);

        // Re-stating the owner's role is no demotion.
        await store.setMember({ buildingId: b.id, userId: u1.id, role: 'owner' });
        // With a second owner the first may step down, and then the second is the last.
        await store.setMember({ buildingId: b.id, userId: u2.id, role: 'owner' });
        await store.setMember({ buildingId: b.id, userId: u1.id, role: 'viewer' });
        await expect(store.removeMember(b.id, u2.id)).rejects.toBeInstanceOf(LastOwnerError);
        expect(await store.removeMember(b.id, u1.id)).toBe(true);
        expect(await store.listMembers(b.id)).toEqual([
          { buildingId: b.id, userId: u2.id, role: 'owner' },
        ]);
      });

      it('changes to non-owners, and to a building without owners, are not refused', async () => {
        const b = await building(id('b'));
        const [u1, u2] = [await user(id('u')), await user(id('u'))];
        await store.setMember({ buildingId: b.id, userId: u1.id, role: 'member' });
        await store.setMember({ buildingId: b.id, userId: u2.id, role: 'viewer' });
        expect(await store.setMember({ buildingId: b.id, userId: u1.id, role: 'viewer' })).toEqual({
          buildingId: b.id,
          userId: u1.id,
          role: 'viewer',
        });
        expect(await store.removeMember(b.id, u2.id)).toBe(true);
        expect(await store.removeMember(b.id, id('nobody'))).toBe(false);
        expect(await store.removeMember(id('missing'), u1.id)).toBe(false);
        expect(await store.listMembers(b.id)).toEqual([
          { buildingId: b.id, userId: u1.id, role: 'viewer' },
        ]);
      });

      it('of two owners stepping down at the same moment, exactly one succeeds', async () => {
        // Several buildings at once, so that a store without the guard would very likely let
        // both changes through somewhere (each sees the other owner still in place).
        const rounds = await Promise.all(
          Array.from({ length: 6 }, async () => {
            const b = await building(id('b'));
            const [u1, u2] = [await user(id('u')), await user(id('u'))];
            await store.setMember({ buildingId: b.id, userId: u1.id, role: 'owner' });
            await store.setMember({ buildingId: b.id, userId: u2.id, role: 'owner' });
            return { b, u1, u2 };
          }),
        );
        const outcomes = await Promise.all(
          rounds.map(({ b, u1, u2 }, i) =>
            Promise.allSettled([
              store.setMember({ buildingId: b.id, userId: u1.id, role: 'member' }),
              i % 2 === 0
                ? store.setMember({ buildingId: b.id, userId: u2.id, role: 'viewer' })
                : store.removeMember(b.id, u2.id),
            ]),
          ),
        );
        for (const [i, settled] of outcomes.entries()) {
          expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
          const failed = settled.filter((s) => s.status === 'rejected');
          expect(failed).toHaveLength(1);
          expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(LastOwnerError);
          const owners = (await store.listMembers(rounds[i].b.id)).filter(
            (m) => m.role === 'owner',
          );
          expect(owners).toHaveLength(1);
        }
      });

      it('an unknown role, building or user is rejected and adds no member', async () => {
        const b = await building(id('b'));
        const u = await user(id('u'));
        await expect(
          store.setMember({ buildingId: b.id, userId: u.id, role: 'boss' as MemberRole }),
        ).rejects.toThrow();
        await expect(
          store.setMember({ buildingId: id('missing'), userId: u.id, role: 'owner' }),
        ).rejects.toThrow();
        await expect(
          store.setMember({ buildingId: b.id, userId: id('nobody'), role: 'owner' }),
        ).rejects.toThrow();
        expect(await store.listMembers(b.id)).toEqual([]);
        expect(await store.listBuildings(u.id)).toEqual([]);
      });
    });

    describe('device tokens', () => {
      it('createDeviceToken stores an active token that list and find return', async () => {
        const b = await building(id('b'));
        const tid = id('t');
        const hash = sha256(tid);
        const before = Date.now();
        const t = await store.createDeviceToken({
          id: tid,
          buildingId: b.id,
          name: 'Shelly EM',
          tokenHash: hash,
        });
        expect(t).toEqual({
          id: tid,
          buildingId: b.id,
          name: 'Shelly EM',
          tokenHash: hash,
          createdAt: expect.any(Number),
          revokedAt: null,
          lastUsedAt: null,
        });
        expect(t.createdAt).toBeGreaterThanOrEqual(before);
        expect(t.createdAt).toBeLessThanOrEqual(Date.now());
        expect(await store.listDeviceTokens(b.id)).toEqual([t]);
        expect(await store.findDeviceToken(hash)).toEqual(t);
        expect(await store.findDeviceToken(sha256('never issued'))).toBeNull();
      });

      it('listDeviceTokens lists one building, oldest first', async () => {
        const b = await building(id('b'));
        const other = await building(id('b'));
        const t1 = await store.createDeviceToken({
          id: id('t'),
          buildingId: b.id,
          name: 'one',
          tokenHash: sha256(id('s')),
        });
        await sleep(2);
        const t2 = await store.createDeviceToken({
          id: id('t'),
          buildingId: b.id,
          name: 'two',
          tokenHash: sha256(id('s')),
        });
        const t3 = await store.createDeviceToken({
          id: id('t'),
          buildingId: other.id,
          name: 'three',
          tokenHash: sha256(id('s')),
        });
        expect(await store.listDeviceTokens(b.id)).toEqual([t1, t2]);
        expect(await store.listDeviceTokens(other.id)).toEqual([t3]);
      });

      it('a revoked token is no longer found, stays listed, and revokes only once', async () => {
        const b = await building(id('b'));
        const other = await building(id('b'));
        const hash = sha256(id('s'));
        const t = await store.createDeviceToken({
          id: id('t'),
          buildingId: b.id,
          name: 'meter',
          tokenHash: hash,
        });
        // A token is revoked through its own building only.
        expect(await store.revokeDeviceToken(other.id, t.id)).toBe(false);
        expect(await store.findDeviceToken(hash)).toEqual(t);

        const before = Date.now();
        expect(await store.revokeDeviceToken(b.id, t.id)).toBe(true);
        expect(await store.findDeviceToken(hash)).toBeNull();
        const [listed] = await store.listDeviceTokens(b.id);
        expect(listed).toEqual({ ...t, revokedAt: expect.any(Number) });
        expect(listed.revokedAt).toBeGreaterThanOrEqual(before);
        expect(listed.revokedAt).toBeLessThanOrEqual(Date.now());

        await sleep(5); // so a second revocation would move revokedAt
        expect(await store.revokeDeviceToken(b.id, t.id)).toBe(false);
        expect(await store.listDeviceTokens(b.id)).toEqual([listed]);
        expect(await store.revokeDeviceToken(b.id, id('missing'))).toBe(false);
      });

      it('touchDeviceToken records the last use and never moves it back', async () => {
        const b = await building(id('b'));
        const hash = sha256(id('s'));
        const t = await store.createDeviceToken({
          id: id('t'),
          buildingId: b.id,
          name: 'meter',
          tokenHash: hash,
        });
        await store.touchDeviceToken(t.id, 1_700_000_000_000);
        expect(await store.findDeviceToken(hash)).toEqual({ ...t, lastUsedAt: 1_700_000_000_000 });
        await store.touchDeviceToken(t.id, 1_700_000_060_000);
        expect((await store.findDeviceToken(hash))?.lastUsedAt).toBe(1_700_000_060_000);
        await store.touchDeviceToken(t.id, 1_700_000_030_000);
        expect((await store.findDeviceToken(hash))?.lastUsedAt).toBe(1_700_000_060_000);
        await expect(store.touchDeviceToken(id('missing'), 1)).resolves.toBeUndefined();
      });

      it('a hash that is already issued is a ConflictError', async () => {
        const b = await building(id('b'));
        const hash = sha256(id('s'));
        const t = await store.createDeviceToken({
          id: id('t'),
          buildingId: b.id,
          name: 'a',
          tokenHash: hash,
        });
        const dupId = id('t');
        await expect(
          store.createDeviceToken({ id: dupId, buildingId: b.id, name: 'b', tokenHash: hash }),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await store.listDeviceTokens(b.id)).toEqual([t]);
      });

      it('a token hash that is not sha256 hex is rejected, so no secret is stored', async () => {
        const b = await building(id('b'));
        await expect(
          store.createDeviceToken({
            id: id('t'),
            buildingId: b.id,
            name: 'oops',
            tokenHash: 'plain-secret',
          }),
        ).rejects.toThrow(/device_tokens_token_hash_format/);
        expect(await store.listDeviceTokens(b.id)).toEqual([]);
      });
    });

    describe('appliances', () => {
      it('setAppliance inserts, then updates, and listAppliances sorts by appliance', async () => {
        const b = await building(id('b'));
        const other = await building(id('b'));
        const kettle = { buildingId: b.id, appliance: 'kettle', label: 'Kettle', enabled: true };
        expect(await store.setAppliance(kettle)).toEqual(kettle);
        const fridge = { buildingId: b.id, appliance: 'fridge', label: 'Fridge', enabled: true };
        await store.setAppliance(fridge);
        await store.setAppliance({ ...kettle, buildingId: other.id, label: 'Other kettle' });

        const renamed = { ...kettle, label: 'Kitchen kettle', enabled: false };
        expect(await store.setAppliance(renamed)).toEqual(renamed);
        expect(await store.listAppliances(b.id)).toEqual([fridge, renamed]);
        expect(await store.listAppliances(other.id)).toEqual([
          { buildingId: other.id, appliance: 'kettle', label: 'Other kettle', enabled: true },
        ]);
        expect(await store.listAppliances(id('missing'))).toEqual([]);
      });

      it('an appliance of an unknown building is rejected', async () => {
        const bid = id('missing');
        await expect(
          store.setAppliance({
            buildingId: bid,
            appliance: 'kettle',
            label: 'Kettle',
            enabled: true,
          }),
        ).rejects.toThrow();
        expect(await store.listAppliances(bid)).toEqual([]);
      });

      it('the appliances present are null until set, then replaced whole, sorted, once each', async () => {
        const b = await building(id('b'));
        const other = await building(id('b'));
        expect(await store.getAppliancesPresent(b.id)).toBeNull();
        expect(
          await store.setAppliancesPresent(b.id, ['kettle', 'ev_charger', 'kettle', 'fridge']),
        ).toEqual(['ev_charger', 'fridge', 'kettle']);
        expect(await store.getAppliancesPresent(b.id)).toEqual(['ev_charger', 'fridge', 'kettle']);
        expect(await store.getAppliancesPresent(other.id)).toBeNull();
        // A second list replaces the first; an empty one says the building has none of them.
        await store.setAppliancesPresent(b.id, ['microwave']);
        expect(await store.getAppliancesPresent(b.id)).toEqual(['microwave']);
        expect(await store.setAppliancesPresent(b.id, [])).toEqual([]);
        expect(await store.getAppliancesPresent(b.id)).toEqual([]);
      });

      it('the appliances present of an unknown building are rejected', async () => {
        const bid = id('missing');
        await expect(store.setAppliancesPresent(bid, ['kettle'])).rejects.toThrow();
        expect(await store.getAppliancesPresent(bid)).toBeNull();
      });
    });

    describe('tariffs', () => {
      const touTariff = {
        currency: 'GBP',
        pricePerKwh: 0.245,
        bands: [
          // Crosses midnight; and one whose end equals its start (the whole day) kept as given.
          { name: 'Night', start: '22:30', end: '07:00', pricePerKwh: 0.075 },
          { name: 'All day', start: '00:00', end: '00:00', pricePerKwh: 0.3 },
        ],
      };

      it('getTariff is null until setTariff stores one, which it then returns unchanged', async () => {
        const b = await building(id('b'));
        const other = await building(id('b'));
        expect(await store.getTariff(b.id)).toBeNull();

        expect(await store.setTariff(b.id, touTariff)).toEqual(touTariff);
        expect(await store.getTariff(b.id)).toEqual(touTariff);
        expect(await store.getTariff(other.id)).toBeNull();
        expect(await store.getTariff(id('missing'))).toBeNull();
      });

      it('setTariff replaces the whole tariff, bands included, and keeps only its fields', async () => {
        const b = await building(id('b'));
        await store.setTariff(b.id, touTariff);
        const flat = { currency: 'EUR', pricePerKwh: 0, bands: [] };
        expect(await store.setTariff(b.id, flat)).toEqual(flat);
        expect(await store.getTariff(b.id)).toEqual(flat);

        const extra = { ...flat, note: 'not part of a tariff' } as typeof flat;
        expect(await store.setTariff(b.id, extra)).toEqual(flat);
        expect(await store.getTariff(b.id)).toEqual(flat);
      });

      it('a tariff of an unknown building is rejected', async () => {
        const bid = id('missing');
        await expect(store.setTariff(bid, touTariff)).rejects.toThrow();
        expect(await store.getTariff(bid)).toBeNull();
      });
    });

    describe('estimate backlog', () => {
      const H = BACKLOG_BUCKET_MS;
      const T0 = Date.UTC(2024, 0, 1);

      it('marks readings per hour bucket as the smallest range holding them, newest first', async () => {
        const b = await building(id('bl'));
        expect(await store.listPending(b.id, 10)).toEqual([]);
        // Two hours, marked in two batches out of order.
        await store.markPending(b.id, [T0 + H + 5 * MIN, T0 + 10 * MIN]);
        await store.markPending(b.id, [T0 + 2 * MIN, T0 + H + 50 * MIN, T0 + 20 * MIN]);
        const ranges = await store.listPending(b.id, 10);
        expect(ranges.map((r) => [r.bucket, r.fromMs, r.toMs, r.audit])).toEqual([
          [T0 / H + 1, T0 + H + 5 * MIN, T0 + H + 50 * MIN + 1, false],
          [T0 / H, T0 + 2 * MIN, T0 + 20 * MIN + 1, false],
        ]);
        expect(await store.listPending(b.id, 1)).toHaveLength(1);
        expect(await store.backlogSummary(b.id)).toEqual({
          ranges: 2,
          pendingMs: 45 * MIN + 1 + 18 * MIN + 1,
          fromMs: T0 + 2 * MIN,
          toMs: T0 + H + 50 * MIN + 1,
          audit: false,
        });
      });

      it('resolves a range only when it was not marked again after it was listed', async () => {
        const b = await building(id('bl'));
        await store.markPending(b.id, [T0, T0 + H]);
        const [newer, older] = await store.listPending(b.id, 10);
        // A reading arrives in the newer hour while a worker estimates both.
        await store.markPending(b.id, [T0 + H + 30 * MIN]);
        await store.resolvePending(b.id, [
          { bucket: newer.bucket, seq: newer.seq },
          { bucket: older.bucket, seq: older.seq },
        ]);
        const left = await store.listPending(b.id, 10);
        expect(left.map((r) => [r.bucket, r.fromMs, r.toMs])).toEqual([
          [T0 / H + 1, T0 + H, T0 + H + 30 * MIN + 1],
        ]);
        expect(left[0].seq).not.toBe(newer.seq);
        await store.resolvePending(b.id, [{ bucket: left[0].bucket, seq: left[0].seq }]);
        expect(await store.listPending(b.id, 10)).toEqual([]);
        expect((await store.backlogSummary(b.id)).ranges).toBe(0);
      });

      it('shrinks a range that was estimated in part, and clears it once the cut passes its start', async () => {
        const b = await building(id('bl'));
        await store.markPending(b.id, [T0, T0 + 40 * MIN]);
        let [r] = await store.listPending(b.id, 10);
        await store.resolvePending(b.id, [{ bucket: r.bucket, seq: r.seq, cutMs: T0 + 20 * MIN }]);
        [r] = await store.listPending(b.id, 10);
        expect([r.fromMs, r.toMs]).toEqual([T0, T0 + 20 * MIN]);
        await store.resolvePending(b.id, [{ bucket: r.bucket, seq: r.seq, cutMs: T0 }]);
        expect(await store.listPending(b.id, 10)).toEqual([]);
      });

      it('lists buildings with pending ranges, those waiting longest first, and forgets deleted ones', async () => {
        const [a, c] = [await building(id('bl')), await building(id('bl'))];
        await store.markPending(a.id, [T0]);
        await sleep(5);
        await store.markPending(c.id, [T0]);
        const waiting = await store.buildingsWithPending(10_000);
        expect(waiting.indexOf(a.id)).toBeGreaterThanOrEqual(0);
        expect(waiting.indexOf(a.id)).toBeLessThan(waiting.indexOf(c.id));
        await store.deleteBuilding(c.id);
        expect(await store.buildingsWithPending(10_000)).not.toContain(c.id);
        // Marks for a building that no longer exists are dropped, not an error.
        await store.markPending(c.id, [T0]);
        expect(await store.listPending(c.id, 10)).toEqual([]);
      });

      it('marks a year of minutes (8,784 hour buckets) in one call', async () => {
        const b = await building(id('bl'));
        const times = Array.from({ length: 366 * 1440 }, (_, i) => T0 + i * MIN);
        await store.markPending(b.id, times);
        const summary = await store.backlogSummary(b.id);
        expect(summary.ranges).toBe(366 * 24);
        expect([summary.fromMs, summary.toMs]).toEqual([T0, times[times.length - 1] + 1]);
      });

      it('concurrent marks of one building neither deadlock nor lose a reading', async () => {
        const b = await building(id('bl'));
        const batches = Array.from({ length: 8 }, (_, k) =>
          Array.from({ length: 48 }, (_, h) => T0 + h * H + k * MIN),
        );
        await Promise.all(batches.map((t) => store.markPending(b.id, t)));
        const ranges = await store.listPending(b.id, 100);
        expect(ranges).toHaveLength(48);
        for (const r of ranges) expect(r.toMs - r.fromMs).toBe(7 * MIN + 1);
      });

      /** What listPending shows of a building's ranges, less the seq (new on every mark). */
      const shape = async (bid: string) =>
        (await store.listPending(bid, 10_000)).map((r) => [r.bucket, r.fromMs, r.toMs, r.audit]);

      it('markPendingMany leaves every building as one markPending per entry does', async () => {
        const times = [
          [T0 + 3 * MIN, T0 + 2 * H + 7 * MIN, T0 + 59 * MIN],
          [T0 + H],
          [T0 + 5 * H + 1, T0 + 5 * H, T0 + 30 * MIN, T0 + 4 * H + 59 * MIN],
        ];
        const many = [];
        const single = [];
        for (let k = 0; k < times.length; k++) {
          many.push(await building(id('bl')));
          single.push(await building(id('bl')));
        }
        // Some ranges exist already, so the upsert widens rows as well as adding them.
        for (const b of [...many, ...single]) await store.markPending(b.id, [T0 + 40 * MIN]);
        await store.markPendingMany(many.map((b, k) => ({ buildingId: b.id, timesMs: times[k] })));
        for (const [k, b] of single.entries()) await store.markPending(b.id, times[k]);
        for (let k = 0; k < times.length; k++) {
          expect(await shape(many[k].id)).toEqual(await shape(single[k].id));
        }
        expect(await shape(many[2].id)).toEqual([
          [T0 / H + 5, T0 + 5 * H, T0 + 5 * H + 2, false],
          [T0 / H + 4, T0 + 4 * H + 59 * MIN, T0 + 4 * H + 59 * MIN + 1, false],
          [T0 / H, T0 + 30 * MIN, T0 + 40 * MIN + 1, false],
        ]);
      });

      it('markPendingMany merges a building that appears in several entries', async () => {
        const [a, c] = [await building(id('bl')), await building(id('bl'))];
        await store.markPendingMany([
          { buildingId: a.id, timesMs: [T0 + 10 * MIN, T0 + H + 20 * MIN] },
          { buildingId: c.id, timesMs: [T0 + 15 * MIN] },
          { buildingId: a.id, timesMs: [T0 + 5 * MIN, T0 + H + 50 * MIN] },
          { buildingId: a.id, timesMs: [] },
        ]);
        expect(await shape(a.id)).toEqual([
          [T0 / H + 1, T0 + H + 20 * MIN, T0 + H + 50 * MIN + 1, false],
          [T0 / H, T0 + 5 * MIN, T0 + 10 * MIN + 1, false],
        ]);
        expect(await shape(c.id)).toEqual([[T0 / H, T0 + 15 * MIN, T0 + 15 * MIN + 1, false]]);
      });

      it('markPendingMany drops a building that does not exist and marks the others', async () => {
        const [a, gone, c] = [
          await building(id('bl')),
          await building(id('bl')),
          await building(id('bl')),
        ];
        await store.deleteBuilding(gone.id);
        const missing = id('missing');
        await store.markPendingMany([
          { buildingId: a.id, timesMs: [T0] },
          { buildingId: gone.id, timesMs: [T0] },
          { buildingId: missing, timesMs: [T0 + H] },
          { buildingId: c.id, timesMs: [T0 + H] },
        ]);
        expect(await shape(a.id)).toEqual([[T0 / H, T0, T0 + 1, false]]);
        expect(await shape(c.id)).toEqual([[T0 / H + 1, T0 + H, T0 + H + 1, false]]);
        expect(await store.listPending(gone.id, 10)).toEqual([]);
        expect(await store.listPending(missing, 10)).toEqual([]);
        const waiting = await store.buildingsWithPending(10_000);
        expect(waiting).not.toContain(gone.id);
        expect(waiting).not.toContain(missing);
      });

      it('markPendingMany gives a marked range a new seq, so a resolve listed before it keeps it', async () => {
        const [a, c] = [await building(id('bl')), await building(id('bl'))];
        await store.markPendingMany([
          { buildingId: a.id, timesMs: [T0, T0 + H] },
          { buildingId: c.id, timesMs: [T0] },
        ]);
        const [aNewer, aOlder] = await store.listPending(a.id, 10);
        const [cBefore] = await store.listPending(c.id, 10);
        // Only a's newer hour is marked again while a worker estimates.
        await store.markPendingMany([{ buildingId: a.id, timesMs: [T0 + H + 30 * MIN] }]);
        const [aNewer2, aOlder2] = await store.listPending(a.id, 10);
        expect(aNewer2.seq).not.toBe(aNewer.seq);
        expect(aOlder2.seq).toBe(aOlder.seq);
        expect((await store.listPending(c.id, 10))[0].seq).toBe(cBefore.seq);
        await store.resolvePending(a.id, [
          { bucket: aNewer.bucket, seq: aNewer.seq },
          { bucket: aOlder.bucket, seq: aOlder.seq },
        ]);
        expect(await shape(a.id)).toEqual([[T0 / H + 1, T0 + H, T0 + H + 30 * MIN + 1, false]]);
      });

      it('markPendingMany with nothing to mark changes nothing', async () => {
        const b = await building(id('bl'));
        await store.markPendingMany([]);
        await store.markPendingMany([{ buildingId: b.id, timesMs: [] }]);
        expect(await store.listPending(b.id, 10)).toEqual([]);
        expect(await store.buildingsWithPending(10_000)).not.toContain(b.id);
      });

      it('a time that is not a reading time refuses the whole call, and nothing is marked', async () => {
        const [a, c] = [await building(id('bl')), await building(id('bl'))];
        // -1 would otherwise land in bucket -1, the audit range.
        const bad = [NaN, Infinity, -1, T0 + 0.5, 9_223_372_036_855, '1' as unknown as number];
        for (const ts of bad) {
          await expect(
            store.markPendingMany([
              { buildingId: a.id, timesMs: [T0] },
              { buildingId: c.id, timesMs: [T0 + H, ts] },
            ]),
          ).rejects.toThrow(/whole number of epoch milliseconds.*nothing was marked/);
          await expect(store.markPending(c.id, [T0, ts])).rejects.toThrow(/nothing was marked/);
        }
        expect(await store.listPending(a.id, 10)).toEqual([]);
        expect(await store.listPending(c.id, 10)).toEqual([]);
      });

      it('markPendingMany marks more rows than one statement holds, across buildings', async () => {
        // 3 x 400 hours = 1,200 rows: the second statement starts inside the second building.
        const bs = [await building(id('bl')), await building(id('bl')), await building(id('bl'))];
        const times = Array.from({ length: 400 }, (_, h) => T0 + h * H + 7 * MIN);
        await store.markPendingMany(bs.map((b) => ({ buildingId: b.id, timesMs: times })));
        for (const b of bs) {
          const summary = await store.backlogSummary(b.id);
          expect([summary.ranges, summary.pendingMs]).toEqual([400, 400]);
        }
      });

      it('concurrent markPendingMany calls over the same buildings neither deadlock nor lose a mark', async () => {
        const bs: Awaited<ReturnType<typeof building>>[] = [];
        for (let k = 0; k < 8; k++) bs.push(await building(id('bl')));
        const hours = Array.from({ length: 120 }, (_, h) => h);
        // Every other call lists buildings and hours backwards: rows locked in the order given
        // would deadlock on PostgreSQL (seen with the store's ordering removed); the store
        // orders them itself.
        const calls = Array.from({ length: 8 }, (_, k) => {
          const flip = <T>(xs: T[]): T[] => (k % 2 === 0 ? xs : [...xs].reverse());
          return flip(bs).map((b) => ({
            buildingId: b.id,
            timesMs: flip(hours).map((h) => T0 + h * H + k * MIN),
          }));
        });
        await Promise.all(calls.map((c) => store.markPendingMany(c)));
        for (const b of bs) {
          const ranges = await store.listPending(b.id, 1000);
          expect(ranges).toHaveLength(hours.length);
          for (const r of ranges) expect(r.toMs - r.fromMs).toBe(7 * MIN + 1);
        }
      });
    });

    describe('estimate backlog of many buildings at once', () => {
      const H = BACKLOG_BUCKET_MS;
      const T0 = Date.UTC(2024, 0, 1);
      const shape = async (bid: string) =>
        (await store.listPending(bid, 10_000)).map((r) => [r.bucket, r.fromMs, r.toMs, r.audit]);

      it('listPendingMany answers each query as listPending does, in order, a building twice', async () => {
        const [a, c, empty] = [
          await building(id('blm')),
          await building(id('blm')),
          await building(id('blm')),
        ];
        await store.markPending(a.id, [T0, T0 + H + MIN, T0 + 3 * H + 2 * MIN]);
        await store.markPending(c.id, [T0 + 5 * H]);
        const queries = [
          { buildingId: a.id, limit: 200 },
          { buildingId: c.id, limit: 1 },
          { buildingId: empty.id, limit: 10 },
          { buildingId: a.id, limit: 2 },
          { buildingId: id('missing'), limit: 5 },
          { buildingId: a.id, limit: 0 },
        ];
        const many = await store.listPendingMany(queries);
        const one = [];
        for (const q of queries) one.push(await store.listPending(q.buildingId, q.limit));
        expect(many).toEqual(one);
        expect(many.map((r) => r.length)).toEqual([3, 1, 0, 2, 0, 0]);
        expect(await store.listPendingMany([])).toEqual([]);
      });

      it('resolvePendingMany leaves every building as resolvePending per entry does', async () => {
        const pairs = [];
        for (let k = 0; k < 3; k++)
          pairs.push([await building(id('blm')), await building(id('blm'))]);
        const times = [T0, T0 + 40 * MIN, T0 + H + 10 * MIN, T0 + 2 * H + 5 * MIN];
        for (const pair of pairs) for (const b of pair) await store.markPending(b.id, times);
        // Per building: what a run did with the ranges it listed (newest first: 2 h, 1 h, 0 h).
        const plans = [
          // All of them.
          (r: PendingRange[]) => r.map(({ bucket, seq }) => ({ bucket, seq })),
          // The newest whole, the middle cut at its start (cleared), the oldest inside (shrunk).
          (r: PendingRange[]) => [
            { bucket: r[0].bucket, seq: r[0].seq },
            { bucket: r[1].bucket, seq: r[1].seq, cutMs: T0 },
            { bucket: r[2].bucket, seq: r[2].seq, cutMs: T0 + 20 * MIN },
          ],
          // Marked again after it was listed: the newest stays.
          (r: PendingRange[]) => r.slice(0, 1).map(({ bucket, seq }) => ({ bucket, seq })),
        ];
        const listed: PendingRange[][][] = [];
        for (const [many, single] of pairs)
          listed.push([
            await store.listPending(many.id, 10),
            await store.listPending(single.id, 10),
          ]);
        for (const [many, single] of pairs.slice(2))
          for (const b of [many, single]) await store.markPending(b.id, [T0 + 2 * H + 50 * MIN]);
        await store.resolvePendingMany(
          pairs.map(([many], k) => ({ buildingId: many.id, done: plans[k](listed[k][0]) })),
        );
        for (const [k, [, single]] of pairs.entries())
          await store.resolvePending(single.id, plans[k](listed[k][1]));
        for (const [many, single] of pairs)
          expect(await shape(many.id)).toEqual(await shape(single.id));
        expect(await shape(pairs[0][0].id)).toEqual([]);
        expect(await shape(pairs[1][0].id)).toEqual([[T0 / H, T0, T0 + 20 * MIN, false]]);
        expect(await shape(pairs[2][0].id)).toEqual([
          [T0 / H + 2, T0 + 2 * H + 5 * MIN, T0 + 2 * H + 50 * MIN + 1, false],
          [T0 / H + 1, T0 + H + 10 * MIN, T0 + H + 10 * MIN + 1, false],
          [T0 / H, T0, T0 + 40 * MIN + 1, false],
        ]);
        await store.resolvePendingMany([]);
      });

      it('resolvePendingMany resolves a range named twice as far as either says', async () => {
        const [a, c] = [await building(id('blm')), await building(id('blm'))];
        for (const b of [a, c]) await store.markPending(b.id, [T0, T0 + 50 * MIN]);
        const [ra] = await store.listPending(a.id, 1);
        const [rc] = await store.listPending(c.id, 1);
        await store.resolvePendingMany([
          { buildingId: a.id, done: [{ bucket: ra.bucket, seq: ra.seq, cutMs: T0 + 30 * MIN }] },
          { buildingId: c.id, done: [{ bucket: rc.bucket, seq: rc.seq, cutMs: T0 + 30 * MIN }] },
          { buildingId: a.id, done: [{ bucket: ra.bucket, seq: ra.seq, cutMs: T0 + 10 * MIN }] },
          { buildingId: c.id, done: [{ bucket: rc.bucket, seq: rc.seq }] },
        ]);
        expect(await shape(a.id)).toEqual([[T0 / H, T0, T0 + 10 * MIN, false]]);
        expect(await shape(c.id)).toEqual([]);
      });

      it('a bad query or entry refuses the whole many-call, and nothing is resolved', async () => {
        const [a, c] = [await building(id('blm')), await building(id('blm'))];
        for (const b of [a, c]) await store.markPending(b.id, [T0]);
        for (const limit of [-1, 1.5, NaN, '3' as unknown as number])
          await expect(
            store.listPendingMany([
              { buildingId: a.id, limit: 1 },
              { buildingId: c.id, limit },
            ]),
          ).rejects.toThrow(/whole number >= 0; nothing was listed/);
        const [ra] = await store.listPending(a.id, 1);
        const [rc] = await store.listPending(c.id, 1);
        const bad = [
          { bucket: 1.5, seq: rc.seq },
          { bucket: rc.bucket, seq: 'x' },
          { bucket: rc.bucket, seq: rc.seq, cutMs: -1 },
          { bucket: rc.bucket, seq: rc.seq, cutMs: NaN },
        ];
        for (const r of bad)
          await expect(
            store.resolvePendingMany([
              { buildingId: a.id, done: [{ bucket: ra.bucket, seq: ra.seq }] },
              { buildingId: c.id, done: [r] },
            ]),
          ).rejects.toThrow(new RegExp(`building "${c.id}".*nothing was resolved`));
        expect(await store.listPending(a.id, 1)).toEqual([ra]);
        expect(await store.listPending(c.id, 1)).toEqual([rc]);
      });
    });

    describe('sources', () => {
      const shelly = { topic: 'shellypro3em-abc/events/rpc', phases: 3 };

      it('creates, reads, lists, updates and deletes a building source', async () => {
        const b = await building(id('src'));
        const created = await store.createSource({
          id: id('s'),
          buildingId: b.id,
          name: 'Pro 3EM',
          type: 'shelly-gen2',
          role: 'mains',
          settings: shelly,
        });
        expect(created).toMatchObject({
          buildingId: b.id,
          name: 'Pro 3EM',
          type: 'shelly-gen2',
          role: 'mains',
          settings: shelly,
          lastValueW: null,
          lastSeenAt: null,
          lastError: null,
        });
        expect(await store.getSource(created.id)).toEqual(created);
        expect(await store.listSources(b.id)).toEqual([created]);
        expect((await store.listSources()).map((x) => x.id)).toContain(created.id);
        await expect(store.createSource({ ...created })).rejects.toBeInstanceOf(ConflictError);

        const renamed = await store.updateSource(created.id, { name: 'Meter', role: 'production' });
        expect(renamed).toMatchObject({ name: 'Meter', role: 'production', settings: shelly });
        const moved = await store.updateSource(created.id, { settings: { topic: 'x/y' } });
        expect(moved?.settings).toEqual({ topic: 'x/y' });
        expect(await store.updateSource(id('missing'), { name: 'x' })).toBeNull();

        expect(await store.deleteSource(created.id)).toBe(true);
        expect(await store.deleteSource(created.id)).toBe(false);
        expect(await store.getSource(created.id)).toBeNull();
      });

      it('a sub-meter keeps its appliance; a role change sets or clears it; none without one', async () => {
        const b = await building(id('src'));
        const plug = await store.createSource({
          id: id('s'),
          buildingId: b.id,
          name: 'Kettle plug',
          type: 'tasmota',
          role: 'submeter',
          appliance: 'kettle',
          settings: { topic: 'tele/plug/SENSOR' },
        });
        expect(plug).toMatchObject({ role: 'submeter', appliance: 'kettle' });
        expect(await store.getSource(plug.id)).toEqual(plug);
        expect((await store.updateSource(plug.id, { name: 'Plug' }))?.appliance).toBe('kettle');
        expect(await store.updateSource(plug.id, { appliance: 'toaster' })).toMatchObject({
          role: 'submeter',
          appliance: 'toaster',
        });
        expect(await store.updateSource(plug.id, { role: 'mains' })).toMatchObject({
          role: 'mains',
          appliance: null,
        });
        const mains = { ...plug, id: id('s'), role: 'mains' as const };
        expect((await store.createSource({ ...mains, appliance: undefined })).appliance).toBeNull();
        await expect(
          store.createSource({ ...plug, id: id('s'), appliance: null }),
        ).rejects.toThrow();
        await expect(store.createSource({ ...mains, id: id('s') })).rejects.toThrow();
        await expect(store.updateSource(plug.id, { role: 'submeter' })).rejects.toThrow();
      });

      it('keeps the last value and the last error of a source side by side', async () => {
        const b = await building(id('src'));
        const s = await store.createSource({
          id: id('s'),
          buildingId: b.id,
          name: 'P1',
          type: 'p1-esp',
          role: 'mains',
          settings: {},
        });
        await store.recordSourceEvent(s.id, { kind: 'value', valueW: -1234.5, at: 1000 });
        await store.recordSourceEvent(s.id, {
          kind: 'error',
          code: 'SOURCE_PAYLOAD_UNPARSEABLE',
          message: 'not JSON',
          at: 2000,
        });
        expect(await store.getSource(s.id)).toMatchObject({
          lastValueW: -1234.5,
          lastSeenAt: 1000,
          lastError: 'not JSON',
          lastErrorCode: 'SOURCE_PAYLOAD_UNPARSEABLE',
          lastErrorAt: 2000,
        });
      });

      it('keeps the phases of the last value, and forgets them with a value without phases', async () => {
        const b = await building(id('src'));
        const s = await store.createSource({
          id: id('s'),
          buildingId: b.id,
          name: '3EM',
          type: 'shelly-gen1',
          role: 'mains',
          settings: {},
        });
        expect((await store.getSource(s.id))?.lastPhasesW).toBeNull();
        const phasesW = [1200.5, 300, -800];
        await store.recordSourceEvent(s.id, { kind: 'value', valueW: 700.5, at: 1000, phasesW });
        expect(await store.getSource(s.id)).toMatchObject({
          lastValueW: 700.5,
          lastPhasesW: phasesW,
        });
        await store.recordSourceEvent(s.id, { kind: 'value', valueW: 5, at: 2000 });
        expect((await store.getSource(s.id))?.lastPhasesW).toBeNull();
      });

      it('leases a source to one poller: renewed by its holder, taken over once it runs out or is given up', async () => {
        const b = await building(id('src'));
        const s = await store.createSource({
          id: id('s'),
          buildingId: b.id,
          name: 'HomeWizard',
          type: 'homewizard-p1',
          role: 'mains',
          settings: {},
        });
        expect(await store.claimSourcePoll(s.id, 'api-1', 1000, 31_000)).toBe(true);
        expect(await store.claimSourcePoll(s.id, 'api-2', 1001, 31_001)).toBe(false);
        expect(await store.claimSourcePoll(s.id, 'api-1', 20_000, 50_000)).toBe(true);
        expect(await store.claimSourcePoll(s.id, 'api-2', 49_999, 79_999)).toBe(false);
        // api-1 died: its lease runs out and api-2 takes over.
        expect(await store.claimSourcePoll(s.id, 'api-2', 50_000, 80_000)).toBe(true);
        expect(await store.claimSourcePoll(s.id, 'api-1', 50_001, 80_001)).toBe(false);
        // Given up (a process that stops): free at once; a release by a non-holder changes nothing.
        await store.releaseSourcePoll(s.id, 'api-1');
        expect(await store.claimSourcePoll(s.id, 'api-3', 50_002, 80_002)).toBe(false);
        await store.releaseSourcePoll(s.id, 'api-2');
        expect(await store.claimSourcePoll(s.id, 'api-3', 50_003, 80_003)).toBe(true);
        expect(await store.claimSourcePoll(id('missing'), 'api-3', 1, 2)).toBe(false);
      });

      it('gives a free lease to exactly one of many racing pollers', async () => {
        const b = await building(id('src'));
        const s = await store.createSource({
          id: id('s'),
          buildingId: b.id,
          name: 'IoTaWatt',
          type: 'iotawatt',
          role: 'mains',
          settings: {},
        });
        const won = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            store.claimSourcePoll(s.id, `api-${i}`, 1000, 31_000),
          ),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
      });

      it('refuses a source of an unknown building or with an unknown role, and goes with its building', async () => {
        const base = { name: 'x', type: 'json', settings: {} };
        await expect(
          store.createSource({ ...base, id: id('s'), buildingId: id('missing'), role: 'mains' }),
        ).rejects.toThrow();
        const b = await building(id('src'));
        await expect(
          store.createSource({
            ...base,
            id: id('s'),
            buildingId: b.id,
            role: 'solar' as 'mains',
          }),
        ).rejects.toThrow();
        const s = await store.createSource({
          ...base,
          id: id('s'),
          buildingId: b.id,
          role: 'mains',
        });
        await store.deleteBuilding(b.id);
        expect(await store.getSource(s.id)).toBeNull();
      });
    });
  });
}
