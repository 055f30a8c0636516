/**
 * The embedded metadata store: PostgreSQL compiled to WASM (PGlite), in memory or in a local
 * folder, running the same SQL and migrations as the PostgreSQL store. One process may open a
 * data folder at a time (PGlite is single-user PostgreSQL and takes no file lock).
 */
import { PGlite } from '@electric-sql/pglite';
import type { MetadataStore } from './metadata.store.js';
import type { SqlClient, SqlExecutor } from './metadata.migrations.js';
import { createSqlMetadataStore } from './sql.metadata.store.js';
import { withReadCache } from './sql.read.cache.js';
import { StoreUnavailableError } from './timeseries.store.js';

export interface PgliteMetadataStoreOptions {
  /** Folder that holds the database (created when missing); in memory when left out. */
  dataDir?: string;
  /** Clock for createdAt / revokedAt, epoch ms; Date.now unless a test fixes time. */
  now?: () => number;
}

/** Open a PGlite database and wrap it as a SqlClient (for the migration runner and tests). */
export async function createPgliteSqlClient(dataDir?: string): Promise<SqlClient> {
  // shared_buffers 16 MB, not PostgreSQL's 128 MB: the metadata (users, buildings, labels,
  // models) is small, and the 128 MB pool stays resident in PGlite's WASM memory; measured at
  // rest on a reopened folder, 300 -> 175 MB RSS (docs/benchmarks.md, "Memory at rest").
  const config = { postgresqlconf: ['shared_buffers=16MB'] };
  const db = await PGlite.create(dataDir === undefined ? config : { ...config, dataDir });

  // Every call goes through PGlite's own mutex, so a transaction never interleaves with
  // another caller's statements on the single underlying connection.
  const run = async <T>(
    exec: { query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> },
    sql: string,
    params: readonly unknown[] | undefined,
  ): Promise<T[]> => {
    if (db.closed) throw new StoreUnavailableError('pglite', 'the database is closed');
    return (await exec.query<T>(sql, params === undefined ? undefined : [...params])).rows;
  };

  return {
    query: (sql, params) => run(db, sql, params),
    transaction: async (fn) => {
      if (db.closed) throw new StoreUnavailableError('pglite', 'the database is closed');
      return db.transaction(async (tx) => {
        const executor: SqlExecutor = { query: (sql, params) => run(tx, sql, params) };
        return fn(executor);
      });
    },
    close: async () => {
      if (!db.closed) await db.close();
    },
  };
}

/**
 * The embedded metadata store; call `migrate()` before first use. The reads every request makes
 * (a building, a member's role, the appliances present) are kept in memory until a statement
 * that could change them runs (`sql.read.cache.ts`): no other process writes this database.
 */
export async function createPgliteMetadataStore(
  options: PgliteMetadataStoreOptions = {},
): Promise<MetadataStore> {
  const client = withReadCache(await createPgliteSqlClient(options.dataDir));
  return createSqlMetadataStore({ kind: 'pglite', client, now: options.now });
}
