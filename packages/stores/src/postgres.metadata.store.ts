/**
 * The server metadata store: PostgreSQL through a node-postgres pool, running the same SQL and
 * migrations as the embedded PGlite store. Faults of the connection (refused, dropped, server
 * shutting down, pool exhausted) surface as StoreUnavailableError, which callers may retry;
 * errors the data causes (constraint violations) pass through unchanged.
 */
import pg from 'pg';
import type { MetadataStore } from './metadata.store.js';
import type { SqlClient, SqlExecutor } from './metadata.migrations.js';
import { createSqlMetadataStore } from './sql.metadata.store.js';
import { StoreUnavailableError } from './timeseries.store.js';

export interface PostgresMetadataStoreOptions {
  /** e.g. postgres://user:password@host:5432/nilm */
  connectionString: string;
  /** Most connections the pool opens; 10 unless given. */
  max?: number;
  /** How long to wait for a connection before giving up, ms; 5000 unless given. */
  connectionTimeoutMs?: number;
  /** Clock for createdAt / revokedAt, epoch ms; Date.now unless a test fixes time. */
  now?: () => number;
}

const STORE = 'postgres';

// Node socket errors that mean "the server cannot be reached right now".
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

// SQLSTATEs of a server that is there but cannot serve now: too many connections, admin or
// crash shutdown, starting up.
const UNAVAILABLE_SQLSTATES = new Set(['53300', '57P01', '57P02', '57P03']);

// node-postgres reports a dropped socket and a connect timeout as plain Errors without code.
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /cannot use a pool after calling end/i,
];

/** True when `err` is a connection fault rather than something the statement caused. */
export function isPostgresUnavailable(err: unknown): boolean {
  if (err instanceof AggregateError && err.errors.some(isPostgresUnavailable)) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // Class 08: connection exception.
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) {
      return true;
    }
  }
  return UNAVAILABLE_MESSAGES.some((re) => re.test(err.message));
}

function translate(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !isPostgresUnavailable(err)) return err;
  const message = err instanceof Error && err.message !== '' ? err.message : String(err);
  return new StoreUnavailableError(STORE, message, err);
}

async function guarded<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (err) {
    throw translate(err);
  }
}

/** A SqlClient over a pg.Pool (for the migration runner and tests). */
export function createPostgresSqlClient(options: PostgresMetadataStoreOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
  });
  // An idle pooled connection that the server drops emits 'error' on the pool; unhandled, that
  // would crash the process. The pool discards that connection and the next query opens a new
  // one (or fails with StoreUnavailableError), so there is nothing else to do here.
  pool.on('error', () => undefined);

  const query = async <T>(
    on: pg.Pool | pg.PoolClient,
    sql: string,
    params: readonly unknown[] | undefined,
  ): Promise<T[]> => {
    const result = await guarded(
      on.query(sql, params === undefined ? undefined : [...params]) as Promise<pg.QueryResult>,
    );
    return result.rows as T[];
  };

  let closed = false;
  return {
    query: (sql, params) => query(pool, sql, params),
    transaction: async (fn) => {
      const conn = await guarded(pool.connect());
      let broken: Error | undefined;
      try {
        await query(conn, 'BEGIN', undefined);
        const executor: SqlExecutor = { query: (sql, params) => query(conn, sql, params) };
        const result = await fn(executor);
        await query(conn, 'COMMIT', undefined);
        return result;
      } catch (err) {
        try {
          await conn.query('ROLLBACK');
        } catch (rollbackErr) {
          // A connection that cannot roll back is in an unknown state: destroy, do not reuse.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      } finally {
        conn.release(broken);
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** The PostgreSQL metadata store; connects lazily, call `migrate()` before first use. */
export function createPostgresMetadataStore(options: PostgresMetadataStoreOptions): MetadataStore {
  return createSqlMetadataStore({
    kind: STORE,
    client: createPostgresSqlClient(options),
    now: options.now,
  });
}
