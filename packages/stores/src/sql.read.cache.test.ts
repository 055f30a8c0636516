// Proves the embedded metadata store's read cache serves a building, a member's role and the
// appliances present from memory, and that every write that changes them (through the store's own
// methods, a transaction, a rolled-back transaction, a write racing a read) is seen by the next read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from './metadata.migrations.js';
import type { MetadataStore } from './metadata.store.js';
import { createPgliteSqlClient } from './pglite.metadata.store.js';
import { createSqlMetadataStore } from './sql.metadata.store.js';
import { changesCachedReads, withReadCache, type ReadCacheStats } from './sql.read.cache.js';

const OPEN_TIMEOUT_MS = 120_000;

let raw: SqlClient;
let cached: SqlClient & { readonly stats: ReadCacheStats };
let store: MetadataStore;
/** Statements that reached PGlite. */
let reached = 0;

beforeAll(async () => {
  raw = await createPgliteSqlClient();
  const counting: SqlClient = {
    query: (sql, params) => {
      reached++;
      return raw.query(sql, params);
    },
    transaction: (fn) => raw.transaction(fn),
    close: () => raw.close(),
  };
  cached = withReadCache(counting);
  store = createSqlMetadataStore({ kind: 'pglite', client: cached });
  await store.migrate();
  await store.upsertUser({ id: 'ada', email: 'ada@example.org', role: 'user', passwordHash: null });
  await store.upsertUser({ id: 'bob', email: 'bob@example.org', role: 'user', passwordHash: null });
}, OPEN_TIMEOUT_MS);

afterAll(async () => {
  await store.close();
});

/** Statements that reach the database while `work` runs. */
async function reaching(work: () => Promise<unknown>): Promise<number> {
  const before = reached;
  await work();
  return reached - before;
}

describe('the embedded metadata read cache', () => {
  it('reads a building, a role and the appliances present once, then from memory', async () => {
    await store.createBuilding({
      id: 'h1',
      name: 'One',
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
    await store.setMember({ buildingId: 'h1', userId: 'ada', role: 'owner' });
    await store.setAppliancesPresent('h1', ['kettle']);
    const reads = () =>
      Promise.all([
        store.getBuilding('h1'),
        store.getMemberRole('h1', 'ada'),
        store.getAppliancesPresent('h1'),
      ]);
    const first = await reads();
    expect(await reaching(reads)).toBe(0);
    expect(await reads()).toEqual(first);
    expect(first[0]).toMatchObject({ id: 'h1', name: 'One' });
    expect(first[1]).toBe('owner');
    expect(first[2]).toEqual(['kettle']);
    // A caller changing what it got does not change what the next one gets.
    first[2]!.push('oven');
    expect(await store.getAppliancesPresent('h1')).toEqual(['kettle']);
  });

  it('keeps them across writes to other tables (the backlog of every ingest)', async () => {
    await store.getBuilding('h1');
    await store.markPending('h1', [Date.UTC(2024, 0, 1)]);
    expect(await reaching(() => store.getBuilding('h1'))).toBe(0);
  });

  it('sees every write that changes them through the store', async () => {
    await store.getBuilding('h1');
    await store.updateBuilding('h1', { name: 'Renamed' });
    expect((await store.getBuilding('h1'))?.name).toBe('Renamed');

    await store.setMember({ buildingId: 'h1', userId: 'bob', role: 'viewer' });
    expect(await store.getMemberRole('h1', 'bob')).toBe('viewer');
    await store.setMember({ buildingId: 'h1', userId: 'bob', role: 'member' });
    expect(await store.getMemberRole('h1', 'bob')).toBe('member');
    await store.removeMember('h1', 'bob');
    expect(await store.getMemberRole('h1', 'bob')).toBeNull();

    await store.setAppliancesPresent('h1', ['kettle', 'cooker']);
    expect(await store.getAppliancesPresent('h1')).toEqual(['cooker', 'kettle']);

    await store.createBuilding({
      id: 'h2',
      name: 'Two',
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
    await store.setMember({ buildingId: 'h2', userId: 'ada', role: 'owner' });
    expect(await store.getBuilding('h2')).not.toBeNull();
    expect(await store.getMemberRole('h2', 'ada')).toBe('owner');
    await store.deleteBuilding('h2');
    // The cascade removed the membership: the cache forgot it with the building.
    expect(await store.getBuilding('h2')).toBeNull();
    expect(await store.getMemberRole('h2', 'ada')).toBeNull();
  });

  it('sees a write that raced a read: a read begun before it is not kept', async () => {
    await store.updateBuilding('h1', { name: 'Before' });
    const read = store.getBuilding('h1');
    const write = store.updateBuilding('h1', { name: 'After' });
    await Promise.all([read, write]);
    expect((await store.getBuilding('h1'))?.name).toBe('After');
  });

  it('keeps nothing a transaction read, and nothing of one rolled back', async () => {
    await store.updateBuilding('h1', { name: 'Committed' });
    await store.getBuilding('h1');
    await expect(
      cached.transaction(async (tx) => {
        await tx.query(`UPDATE buildings SET name = 'Uncommitted' WHERE id = 'h1'`);
        // Inside, the transaction sees its own write; it must not reach the cache.
        const inside = await tx.query<{ name: string }>(
          'SELECT id, name, timezone, is_demo, model_ref, created_at FROM buildings WHERE id = $1',
          ['h1'],
        );
        expect(inside[0]?.name).toBe('Uncommitted');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await store.getBuilding('h1'))?.name).toBe('Committed');
    await cached.transaction((tx) =>
      tx.query(`UPDATE buildings SET name = 'Via transaction' WHERE id = 'h1'`),
    );
    expect((await store.getBuilding('h1'))?.name).toBe('Via transaction');
  });

  it('treats anything but a SELECT or plain DML on other tables as a change', () => {
    expect(changesCachedReads('SELECT role FROM building_members WHERE building_id = $1')).toBe(
      false,
    );
    expect(changesCachedReads('INSERT INTO estimate_backlog (building_id) VALUES ($1)')).toBe(
      false,
    );
    expect(changesCachedReads('DELETE FROM users WHERE id = $1')).toBe(true);
    expect(changesCachedReads('UPDATE building_members SET role = $1')).toBe(true);
    expect(changesCachedReads('WITH b AS (INSERT INTO labels VALUES (1)) SELECT 1')).toBe(true);
    expect(changesCachedReads('DROP SCHEMA public CASCADE')).toBe(true);
    expect(changesCachedReads('TRUNCATE estimate_backlog')).toBe(true);
  });
});
