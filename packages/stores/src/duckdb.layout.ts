/**
 * How the embedded store lays its rows out so that one building's range reads little of a
 * table that holds thousands of buildings (issue 16.2).
 *
 * DuckDB skips a row group (about 122,880 rows) when its min/max statistics rule it out, and
 * that is the only thing that keeps a range read from scanning everything: there is no index
 * on a range. Live rows arrive minute after minute for every building, so each row group holds
 * every building, and `building = 'x'` cannot rule one out. String statistics keep only a
 * short prefix, so ids with a common prefix ("home-0001", "home-0002") would not tell row groups
 * apart even when sorted. Hence:
 *
 * - **Building keys.** Every row carries `bkey`, a small integer per building (table
 *   `building_keys`, assigned on a building's first write, never reused), and every query
 *   filters on it as a literal, which row-group statistics can use.
 * - **Clustering.** Finished time slices (whole UTC days for the minute tables and the 15 min
 *   rollups, longer ones for the coarser rollups) are rewritten ordered by (bkey, ts), so a
 *   building's slice sits in one or two row groups. Until then (today, yesterday) rows stay in
 *   arrival order. Table `clustering` records how far each table has been rewritten.
 * - **No primary keys.** A primary key is an index that every insert and delete maintains:
 *   rewriting one day of 1,000 homes took 56 s with it and 1.4 s without (docs/benchmarks.md).
 *   Writes keep "the last write of a time wins" by deleting the batch's keys before inserting
 *   (one writer connection, inside the write's transaction).
 *
 * Files written before this layout (primary keys, no `bkey`) are rewritten once as they open,
 * ordered by building and time, keys given in building order.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { ROLLUP_LEVELS, floorTo } from './timeseries.rollups.js';

const DAY_MS = 86_400_000;

/** The minute tables: their columns (bkey second) and the order clustering writes them in. */
const MINUTE_TABLES = {
  readings: {
    columns: `building VARCHAR NOT NULL, bkey INTEGER NOT NULL, ts BIGINT NOT NULL,
              power_w DOUBLE NOT NULL`,
    order: 'bkey, ts',
  },
  estimates: {
    columns: `building VARCHAR NOT NULL, bkey INTEGER NOT NULL, appliance VARCHAR NOT NULL,
              ts BIGINT NOT NULL, power_w DOUBLE NOT NULL, on_prob DOUBLE NOT NULL,
              model VARCHAR NOT NULL, low_w DOUBLE, high_w DOUBLE`,
    order: 'bkey, appliance, ts',
  },
  grid: {
    columns: `building VARCHAR NOT NULL, bkey INTEGER NOT NULL, ts BIGINT NOT NULL,
              import_w DOUBLE, export_w DOUBLE, production_w DOUBLE,
              l1_w DOUBLE, l2_w DOUBLE, l3_w DOUBLE`,
    order: 'bkey, ts',
  },
  submeter: {
    columns: `building VARCHAR NOT NULL, bkey INTEGER NOT NULL, appliance VARCHAR NOT NULL,
              ts BIGINT NOT NULL, power_w DOUBLE NOT NULL`,
    order: 'bkey, appliance, ts',
  },
} as const;
type MinuteTable = keyof typeof MINUTE_TABLES;

/**
 * Columns that files written by earlier releases lack, added before such a file is rewritten
 * (so its old rows read null there, never 0).
 */
const LATER_COLUMNS: Partial<Record<MinuteTable, string[]>> = {
  estimates: ['low_w DOUBLE', 'high_w DOUBLE'],
  grid: ['l1_w DOUBLE', 'l2_w DOUBLE', 'l3_w DOUBLE'],
};

/** Column names of a column list. */
const names = (columns: string): string[] =>
  columns.split(',').map((c) => c.trim().split(/\s+/)[0]!);

/** Every table the store keeps, created if missing. */
export const LAYOUT_SCHEMA = [
  ...Object.entries(MINUTE_TABLES).map(
    ([name, t]) => `CREATE TABLE IF NOT EXISTS ${name} (${t.columns})`,
  ),
  // Rollups (timeseries.rollups.ts): appliance '' is the mains. Rows are deleted and inserted
  // per touched bucket, never upserted.
  ...ROLLUP_LEVELS.map(
    (level) => `CREATE TABLE IF NOT EXISTS rollup_${level} (
     building VARCHAR NOT NULL,
     bkey INTEGER NOT NULL,
     bucket BIGINT NOT NULL,
     appliance VARCHAR NOT NULL,
     n BIGINT NOT NULL,
     power_sum DOUBLE NOT NULL,
     on_prob_sum DOUBLE,
     low_n BIGINT NOT NULL,
     low_sum DOUBLE,
     high_n BIGINT NOT NULL,
     high_sum DOUBLE)`,
  ),
  `CREATE TABLE IF NOT EXISTS building_keys (
     building VARCHAR PRIMARY KEY,
     bkey INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS clustering (
     tbl VARCHAR PRIMARY KEY,
     until_ms BIGINT NOT NULL)`,
];

/** A table clustering rewrites: its time column and the width of one rewritten slice. */
interface ClusteredTable {
  name: string;
  column: 'ts' | 'bucket';
  sliceMs: number;
  order: string;
}

/**
 * The tables and their slices: a day for the minute tables and the 15 min rollup, a week of
 * hourly rollups and 28 days of daily ones (a slice holds about as many rows per building).
 */
const CLUSTERED: readonly ClusteredTable[] = [
  ...Object.entries(MINUTE_TABLES).map(([name, t]) => ({
    name,
    column: 'ts' as const,
    sliceMs: DAY_MS,
    order: t.order,
  })),
  ...ROLLUP_LEVELS.map((level) => ({
    name: `rollup_${level}`,
    column: 'bucket' as const,
    sliceMs: level === 900 ? DAY_MS : level === 3600 ? 7 * DAY_MS : 28 * DAY_MS,
    order: 'bkey, appliance, bucket',
  })),
];

/**
 * Where clustering stops: slices that end before the start of yesterday (UTC), so rows that may
 * still be written (today's, late estimates of yesterday) stay in arrival order.
 */
function clusterCut(nowMs: number, sliceMs: number): number {
  return floorTo(floorTo(nowMs, DAY_MS) - DAY_MS, sliceMs);
}

/** Building ids and their keys, as stored in `building_keys`; this process is the only writer. */
export class BuildingKeys {
  private readonly keys = new Map<string, number>();
  /** Keys handed out but not yet known to be stored. */
  private readonly unsaved = new Set<string>();
  private next = 1;

  static async load(c: DuckDBConnection): Promise<BuildingKeys> {
    const keys = new BuildingKeys();
    const rows = (await c.runAndReadAll('SELECT building, bkey FROM building_keys')).getRows();
    for (const [building, bkey] of rows) {
      const key = Number(bkey as DuckDBValue as number);
      keys.keys.set(String(building), key);
      if (key >= keys.next) keys.next = key + 1;
    }
    return keys;
  }

  /**
   * The building's key for a read: 0 (which no row has) when it never wrote anything. Looked
   * up when the read is issued; a write issued before it has already taken its key.
   */
  of(buildingId: string): number {
    return this.keys.get(buildingId) ?? 0;
  }

  /** The building's key for a write, handed out now if it has none (stored by `save`). */
  forWrite(buildingId: string): number {
    let key = this.keys.get(buildingId);
    if (key === undefined) {
      key = this.next++;
      this.keys.set(buildingId, key);
      this.unsaved.add(buildingId);
    }
    return key;
  }

  /**
   * Store the building's key if it is new, inside the write's transaction. A write that fails
   * leaves it unsaved, to be stored by the building's next write; no row holds it meanwhile.
   */
  async save(c: DuckDBConnection, buildingId: string): Promise<void> {
    if (!this.unsaved.has(buildingId)) return;
    await c.run('INSERT INTO building_keys VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      buildingId,
      this.keys.get(buildingId)!,
    ]);
    this.unsaved.delete(buildingId);
  }
}

/** Whether the table exists, and whether it has the column. */
async function columnsOf(c: DuckDBConnection, table: string): Promise<Set<string> | null> {
  const rows = (
    await c.runAndReadAll(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = 'main' AND table_name = $1`,
      [table],
    )
  ).getRows();
  return rows.length === 0 ? null : new Set(rows.map(([name]) => String(name)));
}

/**
 * Rewrite the tables of a file written before this layout (no `bkey`, primary keys), ordered by
 * building and time, in one transaction; its rollups are dropped (the store rebuilds them).
 * Returns the rows rewritten, or null when the file needed nothing.
 */
export async function migrateToLayout(c: DuckDBConnection, nowMs: number): Promise<number | null> {
  const old: MinuteTable[] = [];
  for (const table of Object.keys(MINUTE_TABLES) as MinuteTable[]) {
    const columns = await columnsOf(c, table);
    if (columns !== null && !columns.has('bkey')) old.push(table);
  }
  if (old.length === 0) return null;
  let rows = 0;
  await c.run('BEGIN TRANSACTION');
  try {
    for (const table of old) {
      for (const column of LATER_COLUMNS[table] ?? [])
        await c.run(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column}`);
      await c.run(`ALTER TABLE ${table} RENAME TO ${table}__v1`);
    }
    // The rollups are dropped and left out: the store builds them afresh as it opens.
    for (const level of ROLLUP_LEVELS) await c.run(`DROP TABLE IF EXISTS rollup_${level}`);
    for (const statement of LAYOUT_SCHEMA)
      if (!statement.includes('rollup_')) await c.run(statement);
    const every = old.map((t) => `SELECT building FROM ${t}__v1`).join(' UNION ');
    await c.run(
      `INSERT INTO building_keys
       SELECT building, (SELECT coalesce(max(bkey), 0) FROM building_keys)
                        + row_number() OVER (ORDER BY building)
       FROM (${every}) WHERE building NOT IN (SELECT building FROM building_keys)`,
    );
    for (const table of old) {
      const { columns, order } = MINUTE_TABLES[table];
      const rest = names(columns).filter((n) => n !== 'building' && n !== 'bkey');
      const copied = await c.runAndReadAll(
        `INSERT INTO ${table} (building, bkey, ${rest.join(', ')})
         SELECT o.building, k.bkey, ${rest.map((n) => `o.${n}`).join(', ')}
         FROM ${table}__v1 o JOIN building_keys k USING (building)
         ORDER BY ${order.replace('bkey', 'k.bkey')}`,
      );
      rows += Number(copied.getRows()[0]?.[0] ?? 0);
      await c.run(`DROP TABLE ${table}__v1`);
    }
    // Everything now lies in building order: nothing to cluster before today.
    for (const t of CLUSTERED)
      await c.run('INSERT OR REPLACE INTO clustering VALUES ($1, $2)', [
        t.name,
        clusterCut(nowMs, t.sliceMs),
      ]);
    await c.run('COMMIT');
  } catch (error) {
    await c.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return rows;
}

/** One slice to rewrite: [fromMs, toMs) of a table, and the table's order. */
interface ClusterSlice {
  table: ClusteredTable;
  fromMs: number;
  toMs: number;
}

/**
 * The next slice of any table that is finished and not yet clustered, or null when every table
 * is clustered up to its cut. Empty stretches are skipped (and recorded as done).
 */
export async function nextClusterSlice(
  c: DuckDBConnection,
  nowMs: number,
): Promise<ClusterSlice | null> {
  for (const table of CLUSTERED) {
    const cut = clusterCut(nowMs, table.sliceMs);
    const done = (
      await c.runAndReadAll('SELECT until_ms FROM clustering WHERE tbl = $1', [table.name])
    ).getRows()[0]?.[0];
    const from = done === undefined ? null : Number(done as number);
    if (from !== null && from >= cut) continue;
    // The oldest row still to cluster; none means the table is clustered up to the cut.
    const oldest = (
      await c.runAndReadAll(
        `SELECT min(${table.column}) FROM ${table.name}
         WHERE ${table.column} < ${cut}${from === null ? '' : ` AND ${table.column} >= ${from}`}`,
      )
    ).getRows()[0]?.[0];
    if (oldest === null || oldest === undefined) {
      await c.run('INSERT OR REPLACE INTO clustering VALUES ($1, $2)', [table.name, cut]);
      continue;
    }
    const start = floorTo(Number(oldest as number), table.sliceMs);
    return { table, fromMs: start, toMs: Math.min(start + table.sliceMs, cut) };
  }
  return null;
}

/**
 * Rewrite one slice ordered by building and time, inside the caller's transaction, and record
 * it as clustered. Returns the rows rewritten.
 */
export async function clusterSlice(c: DuckDBConnection, slice: ClusterSlice): Promise<number> {
  const { table, fromMs, toMs } = slice;
  const where = `${table.column} >= ${fromMs} AND ${table.column} < ${toMs}`;
  await c.run(
    `CREATE OR REPLACE TEMP TABLE cluster_slice AS
     SELECT * FROM ${table.name} WHERE ${where} ORDER BY ${table.order}`,
  );
  await c.run(`DELETE FROM ${table.name} WHERE ${where}`);
  const moved = await c.runAndReadAll(`INSERT INTO ${table.name} SELECT * FROM cluster_slice`);
  await c.run('DROP TABLE cluster_slice');
  await c.run('INSERT OR REPLACE INTO clustering VALUES ($1, $2)', [table.name, toMs]);
  return Number(moved.getRows()[0]?.[0] ?? 0);
}
