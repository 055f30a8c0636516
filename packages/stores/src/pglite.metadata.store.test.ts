// Proves the PGlite metadata store meets the contract in memory and on disk, keeps its data across a reopen, and that the migration runner applies, skips, refuses and rolls back as documented.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { metadataConformance } from './metadata.conformance.js';
import { AUDIT_BUCKET } from './estimate.backlog.js';
import { METADATA_MIGRATIONS, runMigrations, type Migration } from './metadata.migrations.js';
import { createPgliteMetadataStore, createPgliteSqlClient } from './pglite.metadata.store.js';
import { StoreUnavailableError } from './timeseries.store.js';
import { createSqlMetadataStore } from './sql.metadata.store.js';

// Opening a PGlite database takes a few seconds on a small machine.
const OPEN_TIMEOUT_MS = 120_000;

/**
 * The versions a database at `version` still lacks: every later migration, so adding one
 * does not mean editing each upgrade test.
 */
function versionsAfter(version: number): number[] {
  return METADATA_MIGRATIONS.map((m) => m.version).filter((v) => v > version);
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nilm-pglite-meta-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

metadataConformance('pglite in memory', () => createPgliteMetadataStore());

metadataConformance('pglite in a data folder', async () =>
  createPgliteMetadataStore({ dataDir: await tempDir() }),
);

describe('pglite metadata store', () => {
  it(
    'keeps its data in the data folder across close and reopen',
    async () => {
      const dataDir = await tempDir();
      const first = await createPgliteMetadataStore({ dataDir });
      await first.migrate();
      const user = await first.upsertUser({
        id: 'u1',
        email: 'ada@example.org',
        role: 'admin',
        passwordHash: 'scrypt$hash',
      });
      const building = await first.createBuilding({
        id: 'home',
        name: 'Home',
        timezone: 'Europe/London',
        isDemo: false,
        modelRef: 'cnn@2',
      });
      await first.setMember({ buildingId: 'home', userId: 'u1', role: 'owner' });
      await first.close();

      const second = await createPgliteMetadataStore({ dataDir });
      try {
        await second.migrate();
        expect(await second.getUser('u1')).toEqual(user);
        expect(await second.listBuildings('u1')).toEqual([building]);
        expect(await second.getMemberRole('home', 'u1')).toBe('owner');
      } finally {
        await second.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'rejects with StoreUnavailableError once closed',
    async () => {
      const store = await createPgliteMetadataStore();
      expect(store.kind).toBe('pglite');
      await store.ping();
      await store.close();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.migrate()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.close()).resolves.toBeUndefined();
    },
    OPEN_TIMEOUT_MS,
  );
});

describe('runMigrations', () => {
  const tableExists = async (
    client: Awaited<ReturnType<typeof createPgliteSqlClient>>,
    table: string,
  ): Promise<boolean> => {
    const [row] = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
      table,
    ]);
    return row.t !== null;
  };

  it(
    'applies every migration in order once, records it, and then applies nothing',
    async () => {
      const client = await createPgliteSqlClient();
      try {
        const before = Date.now();
        expect(await runMigrations(client)).toEqual(versionsAfter(0));
        expect(await runMigrations(client)).toEqual([]);
        const rows = await client.query<{ version: number; name: string; applied_at: number }>(
          'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
        );
        expect(rows.map((r) => [r.version, r.name])).toEqual(
          METADATA_MIGRATIONS.map((m) => [m.version, m.name]),
        );
        for (const r of rows) expect(Number(r.applied_at)).toBeGreaterThanOrEqual(before);
        for (const t of ['users', 'buildings', 'building_members', 'device_tokens']) {
          expect(await tableExists(client, t)).toBe(true);
        }
        expect(await tableExists(client, 'building_appliances')).toBe(true);
        expect(await tableExists(client, 'building_tariffs')).toBe(true);
        expect(await tableExists(client, 'estimate_backlog')).toBe(true);
      } finally {
        await client.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'upgrades a version-5 database: each existing building gets one audit range over all time, new ones none',
    async () => {
      const client = await createPgliteSqlClient();
      try {
        await runMigrations(client, METADATA_MIGRATIONS.slice(0, 5));
        await client.query(
          `INSERT INTO buildings (id, name, timezone, created_at) VALUES ('old', 'Old', 'UTC', 1)`,
        );
        expect(await runMigrations(client)).toEqual(versionsAfter(5));
        const store = createSqlMetadataStore({ kind: 'pglite', client });
        const [audit, ...rest] = await store.listPending('old', 10);
        expect(rest).toEqual([]);
        expect(audit).toMatchObject({ bucket: AUDIT_BUCKET, fromMs: 0, audit: true });
        expect(audit.toMs).toBeGreaterThan(Date.UTC(2200, 0, 1));
        await client.query(
          `INSERT INTO buildings (id, name, timezone, created_at) VALUES ('new', 'New', 'UTC', 1)`,
        );
        expect(await store.listPending('new', 10)).toEqual([]);
      } finally {
        await client.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'upgrades a version-4 database with buildings to tariffs: they keep their data and have none set',
    async () => {
      const client = await createPgliteSqlClient();
      try {
        expect(await runMigrations(client, METADATA_MIGRATIONS.slice(0, 4))).toEqual([1, 2, 3, 4]);
        await client.query(
          `INSERT INTO buildings (id, name, timezone, created_at) VALUES ('old', 'Old', 'UTC', 1)`,
        );
        expect(await runMigrations(client)).toEqual(versionsAfter(4));
        const rows = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM building_tariffs WHERE building_id = 'old'`,
        );
        expect(rows[0].n).toBe(0);
        const b = await client.query<{ name: string }>(`SELECT name FROM buildings`);
        expect(b).toEqual([{ name: 'Old' }]);
      } finally {
        await client.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'applies only the migrations added since the last run, refuses a newer database, and rolls back a failing migration',
    async () => {
      const client = await createPgliteSqlClient();
      const m1: Migration = { version: 1, name: 'a', statements: ['CREATE TABLE a (x int)'] };
      const m2: Migration = { version: 2, name: 'b', statements: ['CREATE TABLE b (x int)'] };
      const m3: Migration = {
        version: 3,
        name: 'broken',
        statements: ['CREATE TABLE c (x int)', 'INSERT INTO no_such_table VALUES (1)'],
      };
      try {
        expect(await runMigrations(client, [m1])).toEqual([1]);
        expect(await runMigrations(client, [m1, m2])).toEqual([2]);
        expect(await tableExists(client, 'b')).toBe(true);

        // Code that knows only version 1 must not run against a version-2 database.
        await expect(runMigrations(client, [m1])).rejects.toThrow(/schema version 2, newer/);

        // A failing migration leaves neither its tables nor its record behind.
        await expect(runMigrations(client, [m1, m2, m3])).rejects.toThrow(/no_such_table/);
        expect(await tableExists(client, 'c')).toBe(false);
        const versions = await client.query<{ version: number }>(
          'SELECT version FROM schema_migrations ORDER BY version',
        );
        expect(versions.map((v) => v.version)).toEqual([1, 2]);
      } finally {
        await client.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'rejects a migration list that is out of order before touching the database',
    async () => {
      const client = await createPgliteSqlClient();
      try {
        const list: Migration[] = [
          { version: 2, name: 'b', statements: ['CREATE TABLE b (x int)'] },
          { version: 1, name: 'a', statements: ['CREATE TABLE a (x int)'] },
        ];
        await expect(runMigrations(client, list)).rejects.toThrow(/out of order/);
        expect(await tableExists(client, 'schema_migrations')).toBe(false);
        expect(await tableExists(client, 'b')).toBe(false);
      } finally {
        await client.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );
});

describe('PGlite memory', () => {
  it('keeps a 16 MB buffer pool, in memory and in a folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nilm-pglite-buffers-'));
    try {
      for (const client of [await createPgliteSqlClient(), await createPgliteSqlClient(dir)]) {
        const [row] = await client.query<{ shared_buffers: string }>('SHOW shared_buffers');
        expect(row?.shared_buffers).toBe('16MB');
        await client.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
