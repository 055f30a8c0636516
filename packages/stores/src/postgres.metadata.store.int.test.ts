// Proves the PostgreSQL metadata store meets the contract on a real server, migrates safely when two stores start at once, and reports an unreachable server as StoreUnavailableError.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { metadataConformance } from './metadata.conformance.js';
import { METADATA_MIGRATIONS, runMigrations } from './metadata.migrations.js';
import { createPostgresMetadataStore, createPostgresSqlClient } from './postgres.metadata.store.js';
import { StoreUnavailableError } from './timeseries.store.js';

const baseUrl = process.env.NILM_TEST_DATABASE_URL;
if (baseUrl === undefined || baseUrl === '') {
  // Never skip: a missing service must fail the integration tier, not hide it.
  throw new Error(
    'NILM_TEST_DATABASE_URL is not set: point it at a PostgreSQL server whose user may create ' +
      'databases, e.g. postgres://postgres@127.0.0.1:5432/postgres',
  );
}

/** The same server and credentials, another database. */
function urlFor(database: string): string {
  const url = new URL(baseUrl as string);
  url.pathname = `/${database}`;
  return url.toString();
}

// CREATE / DROP DATABASE run from the maintenance database, never from the one they change.
const admin = new pg.Pool({ connectionString: urlFor('postgres'), max: 1 });
const created: string[] = [];

/** A new, empty database that afterAll drops; its name is safe to splice (hex only). */
async function freshDatabase(): Promise<string> {
  const name = `nilm_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  created.push(name);
  return urlFor(name);
}

// Registered before the conformance suite, so it runs after the suite's own afterAll has
// closed its store; FORCE ends any connection a failed test left open.
afterAll(async () => {
  try {
    for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}, 120_000);

metadataConformance('postgres', async () =>
  createPostgresMetadataStore({ connectionString: await freshDatabase(), max: 4 }),
);

describe('postgres metadata store', () => {
  it('two stores migrating one fresh database at once both succeed', async () => {
    const connectionString = await freshDatabase();
    const a = createPostgresMetadataStore({ connectionString });
    const b = createPostgresMetadataStore({ connectionString });
    try {
      await Promise.all([a.migrate(), b.migrate()]);
      const home = await a.createBuilding({
        id: 'home',
        name: 'Home',
        timezone: 'Europe/London',
        isDemo: false,
        modelRef: null,
      });
      expect(await b.getBuilding('home')).toEqual(home);
      const check = new pg.Client({ connectionString });
      await check.connect();
      try {
        const { rows } = await check.query<{ version: number; name: string }>(
          'SELECT version, name FROM schema_migrations ORDER BY version',
        );
        expect(rows).toEqual(
          METADATA_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
        );
      } finally {
        await check.end();
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('of three concurrent migrators exactly one applies the migrations', async () => {
    const connectionString = await freshDatabase();
    const clients = [1, 2, 3].map(() => createPostgresSqlClient({ connectionString, max: 1 }));
    try {
      const applied = await Promise.all(clients.map((c) => runMigrations(c)));
      const all = METADATA_MIGRATIONS.map((m) => m.version);
      expect(applied.filter((v) => v.length > 0)).toEqual([all]);
      expect(applied.filter((v) => v.length === 0)).toHaveLength(2);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('rejects with StoreUnavailableError when nothing listens on the port', async () => {
    const port = await closedPort();
    const store = createPostgresMetadataStore({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      connectionTimeoutMs: 2000,
    });
    try {
      expect(store.kind).toBe('postgres');
      const err: unknown = await store.ping().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as StoreUnavailableError).store).toBe('postgres');
      expect((err as StoreUnavailableError).message).toMatch(/ECONNREFUSED/);
      await expect(store.migrate()).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  it('rejects with StoreUnavailableError once closed', async () => {
    const store = createPostgresMetadataStore({ connectionString: await freshDatabase() });
    await store.ping();
    await store.close();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

/** A port that was free a moment ago and has nothing listening on it now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return address.port;
}
