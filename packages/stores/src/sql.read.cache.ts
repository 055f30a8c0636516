/**
 * The reads every API request makes of the metadata (is there such a building, what is the
 * caller's role in it, which appliances does it have) kept in memory for an embedded database,
 * so that a cached readings answer does not wait on PGlite three times (PGlite runs each query
 * synchronously on the event loop: concurrent requests cannot share a read, issue 16).
 *
 * Only for a database no other process writes (PGlite: one process per data folder). A read is
 * served from memory until a statement that could change it runs through the same client:
 * anything that is not a SELECT and either writes a watched table or is not plain DML (DDL, a
 * data-modifying WITH, ...). Rows of the watched tables change only by statements that write
 * them: they are the roots of the schema's ON DELETE CASCADE chains (`buildings`, `users`) or
 * leaves reached only from those, and no trigger writes them. Inside a transaction reads go to the database and fill nothing (they
 * may see the transaction's own writes, which a rollback undoes), and a read that began before a
 * write was issued is not kept, whenever it ends (the generation count).
 */
import type { SqlClient, SqlExecutor } from './metadata.migrations.js';

/** Tables whose rows the cached reads return. */
const WATCHED = /^(?:buildings|building_members|building_appliances_present|users)$/i;

/** The statements kept: a building by id, a member's role, the appliances a building has. */
const CACHED: readonly RegExp[] = [
  /^SELECT [a-z_, ]+ FROM buildings WHERE id = \$1$/,
  /^SELECT role FROM building_members WHERE building_id = \$1 AND user_id = \$2$/,
  /^SELECT appliances FROM building_appliances_present WHERE building_id = \$1$/,
];

/** Most reads kept (distinct statement and parameters); past it, all are forgotten at once. */
const MAX_KEPT = 10_000;

const isRead = (sql: string): boolean => /^\s*SELECT\b/i.test(sql);
/** The table a plain INSERT, UPDATE or DELETE writes; null for any other statement. */
const dmlTarget = (sql: string): string | null =>
  /^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?/i.exec(sql)?.[1] ?? null;

/**
 * Whether `sql` could change what a cached read returns: not a SELECT, and either plain DML whose
 * target is a watched table (a table it only joins, as the backlog's marks join `buildings`, it
 * does not change) or any other statement.
 */
export function changesCachedReads(sql: string): boolean {
  if (isRead(sql)) return false;
  const target = dmlTarget(sql);
  return target === null || WATCHED.test(target);
}

/** What a read cache did, for tests and benchmarks. */
export interface ReadCacheStats {
  hits: number;
  misses: number;
  /** Times a statement emptied the cache. */
  invalidations: number;
}

/** `client` with the reads above kept in memory (see the module comment for when). */
export function withReadCache(client: SqlClient): SqlClient & { readonly stats: ReadCacheStats } {
  const kept = new Map<string, readonly unknown[]>();
  const cacheable = new Map<string, boolean>();
  const stats: ReadCacheStats = { hits: 0, misses: 0, invalidations: 0 };
  let generation = 0;

  const invalidate = () => {
    generation++;
    stats.invalidations++;
    kept.clear();
  };
  const isCached = (sql: string): boolean => {
    let yes = cacheable.get(sql);
    if (yes === undefined) {
      yes = CACHED.some((re) => re.test(sql));
      if (cacheable.size < 1000) cacheable.set(sql, yes);
    }
    return yes;
  };
  /** Rows as the caller may keep and change them (values are scalars or arrays of scalars). */
  const copy = <T>(rows: readonly unknown[]): T[] =>
    rows.map((r) =>
      Object.fromEntries(
        Object.entries(r as object).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
      ),
    ) as T[];

  const query = async <T>(sql: string, params?: readonly unknown[]): Promise<T[]> => {
    if (!isCached(sql)) {
      if (changesCachedReads(sql)) invalidate();
      return client.query<T>(sql, params);
    }
    const key = `${sql}\u0000${JSON.stringify(params ?? [])}`;
    const hit = kept.get(key);
    if (hit) {
      stats.hits++;
      return copy<T>(hit);
    }
    stats.misses++;
    const before = generation;
    const rows = await client.query<T>(sql, params);
    if (generation === before) {
      if (kept.size >= MAX_KEPT) kept.clear();
      kept.set(key, copy(rows));
    }
    return rows;
  };

  return {
    stats,
    query,
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> =>
      client.transaction(async (tx) => {
        let wrote = false;
        const inner: SqlExecutor = {
          query: <R>(sql: string, params?: readonly unknown[]): Promise<R[]> => {
            if (changesCachedReads(sql)) {
              wrote = true;
              invalidate();
            }
            return tx.query<R>(sql, params);
          },
        };
        try {
          return await fn(inner);
        } finally {
          // Reads issued while it ran and ending after its commit may have seen either side.
          if (wrote) invalidate();
        }
      }),
    close: () => client.close(),
  };
}
