/**
 * The embedded time-series store: DuckDB in a file (or in memory), no server to run.
 *
 * Writes go through the appender into a per-connection staging table and are merged with one
 * `INSERT ... ON CONFLICT DO UPDATE` per batch (a plain INSERT when nothing stored can
 * collide), inside one transaction: the appender is the fast path into DuckDB, and the upsert
 * gives the contract's idempotency on the primary keys.
 * Writes run on one connection through a queue, so two calls can never interleave inside each
 * other's transaction. Reads run on a small pool of other connections to the same database, in
 * parallel with each other and with later writes: DuckDB gives each statement a consistent
 * snapshot of what was committed when it started, and a read first waits for the writes issued
 * before it (each resolves only after its COMMIT), so it sees them; one that waits for a free
 * reader may also see writes issued after it that committed meanwhile.
 */
import {
  DuckDBInstance,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBValue,
} from '@duckdb/node-api';
import {
  StoreUnavailableError,
  assertBuildingId,
  assertEstimates,
  assertGrid,
  assertRange,
  assertReadings,
  assertSubmeter,
  bucketMs,
  lastWins,
  phasesOf,
  type Bucket,
  type EstimatePoint,
  type GridPoint,
  type Reading,
  type TimeSeriesStore,
} from './timeseries.store.js';

export interface DuckDbTimeSeriesStoreOptions {
  /** Database file, created if missing; ':memory:' (the default) keeps nothing after close. */
  path?: string;
  /** Connections that serve reads at the same time (default 4, at least 1). */
  readers?: number;
}

const DEFAULT_READERS = 4;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS readings (
     building VARCHAR NOT NULL,
     ts BIGINT NOT NULL,
     power_w DOUBLE NOT NULL,
     PRIMARY KEY (building, ts))`,
  `CREATE TABLE IF NOT EXISTS estimates (
     building VARCHAR NOT NULL,
     appliance VARCHAR NOT NULL,
     ts BIGINT NOT NULL,
     power_w DOUBLE NOT NULL,
     on_prob DOUBLE NOT NULL,
     model VARCHAR NOT NULL,
     PRIMARY KEY (building, appliance, ts))`,
  // The band came later: files written before it gain the columns, their rows read null.
  `ALTER TABLE estimates ADD COLUMN IF NOT EXISTS low_w DOUBLE`,
  `ALTER TABLE estimates ADD COLUMN IF NOT EXISTS high_w DOUBLE`,
  `CREATE TABLE IF NOT EXISTS grid (
     building VARCHAR NOT NULL,
     ts BIGINT NOT NULL,
     import_w DOUBLE,
     export_w DOUBLE,
     production_w DOUBLE,
     PRIMARY KEY (building, ts))`,
  // Per-phase net power came later: files written before it gain the columns (null: a phase
  // not measured, never 0).
  `ALTER TABLE grid ADD COLUMN IF NOT EXISTS l1_w DOUBLE`,
  `ALTER TABLE grid ADD COLUMN IF NOT EXISTS l2_w DOUBLE`,
  `ALTER TABLE grid ADD COLUMN IF NOT EXISTS l3_w DOUBLE`,
  // What a sub-meter (a smart plug bound to one appliance) measured, apart from the mains.
  `CREATE TABLE IF NOT EXISTS submeter (
     building VARCHAR NOT NULL,
     appliance VARCHAR NOT NULL,
     ts BIGINT NOT NULL,
     power_w DOUBLE NOT NULL,
     PRIMARY KEY (building, appliance, ts))`,
  // Temporary tables live with the connection and never reach the database file.
  `CREATE TEMP TABLE readings_stage (ts BIGINT NOT NULL, power_w DOUBLE NOT NULL)`,
  `CREATE TEMP TABLE estimates_stage (
     appliance VARCHAR NOT NULL,
     ts BIGINT NOT NULL,
     power_w DOUBLE NOT NULL,
     on_prob DOUBLE NOT NULL,
     low_w DOUBLE,
     high_w DOUBLE)`,
];

/**
 * A validated integer written into the SQL text. DuckDB skips row groups by their min/max (zone
 * maps) only for constants: with the time range as parameters, a range read scanned the whole
 * table, so its cost grew with every home and day stored (3-7x slower on 4 homes x 60 days,
 * docs/benchmarks.md). Only safe integers are inlined; text (building, appliance) stays a
 * parameter.
 */
function int(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`duckdb: expected an integer, got ${value}`);
  return String(value);
}

/** `ts` in [startMs, endMs), as literals. */
const IN_RANGE = (startMs: number, endMs: number) => `ts >= ${int(startMs)} AND ts < ${int(endMs)}`;

// Bucket start aligned to multiples of the bucket size from the epoch. DuckDB's % truncates
// toward zero, hence the double modulo (correct for negative times too).
const BUCKET = (column: string, size: number) =>
  `${column} - ((${column} % ${int(size)}) + ${int(size)}) % ${int(size)}`;

/**
 * Mains and estimates bucketed in one aggregation over both tables' rows, no join: one row per
 * (bucket, appliance), the mains as the row whose appliance is null, first in its bucket.
 */
const READ_BUCKETS = (startMs: number, endMs: number, size: number) => `
  SELECT bucket, appliance, avg(power_w) AS power_w, avg(on_prob) AS on_prob,
         CASE WHEN count(low_w) = count(*) THEN avg(low_w) END AS low_w,
         CASE WHEN count(high_w) = count(*) THEN avg(high_w) END AS high_w
  FROM (
    SELECT ${BUCKET('ts', size)} AS bucket, NULL::VARCHAR AS appliance, power_w,
           NULL::DOUBLE AS on_prob, NULL::DOUBLE AS low_w, NULL::DOUBLE AS high_w
    FROM readings WHERE building = $1 AND ${IN_RANGE(startMs, endMs)}
    UNION ALL
    SELECT ${BUCKET('ts', size)}, appliance, power_w, on_prob, low_w, high_w
    FROM estimates WHERE building = $1 AND ${IN_RANGE(startMs, endMs)}
  )
  GROUP BY bucket, appliance
  ORDER BY bucket, appliance NULLS FIRST`;

/** Time-series store on embedded DuckDB; open it with {@link DuckDbTimeSeriesStore.open}. */
export class DuckDbTimeSeriesStore implements TimeSeriesStore {
  readonly kind = 'duckdb';
  /** Tail of the write queue; every write chains onto it. */
  private tail: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;
  /** Reader connections not running a statement now. */
  private readonly idleReaders: DuckDBConnection[];
  /** Reads waiting for a reader, first come first served. */
  private readonly waitingReads: Array<(c: DuckDBConnection) => void> = [];
  /** Reads running or waiting, so close() can wait for them. */
  private readonly pendingReads = new Set<Promise<unknown>>();
  /**
   * Whether a building has grid rows, once asked or written: most buildings have no grid meter,
   * and their charts then skip the grid query. Exact, as this process is the file's only writer.
   */
  private readonly hasGrid = new Map<string, boolean>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly readers: readonly DuckDBConnection[],
  ) {
    this.idleReaders = [...readers];
  }

  /** Open (or create) the database and its tables. */
  static async open(options: DuckDbTimeSeriesStoreOptions = {}): Promise<DuckDbTimeSeriesStore> {
    const count = options.readers ?? DEFAULT_READERS;
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`readers must be a whole number of at least 1, got ${count}`);
    const instance = await DuckDBInstance.create(options.path ?? ':memory:');
    try {
      const connection = await instance.connect();
      for (const statement of SCHEMA) await connection.run(statement);
      const readers: DuckDBConnection[] = [];
      for (let i = 0; i < count; i++) readers.push(await instance.connect());
      return new DuckDbTimeSeriesStore(instance, connection, readers);
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }

  async writeReadings(buildingId: string, readings: readonly Reading[]): Promise<void> {
    assertReadings(buildingId, readings);
    const rows = lastWins(readings, (r) => r.ts);
    if (rows.length === 0) return;
    await this.transaction(async (c) => {
      await stageReadings(c, rows);
      const insert = `INSERT INTO readings (building, ts, power_w)
                      SELECT $1, ts, power_w FROM readings_stage`;
      const upsert = `${insert} ON CONFLICT DO UPDATE SET power_w = excluded.power_w`;
      const overlap = await storedWithin(c, 'readings', buildingId, rows);
      await c.run(overlap ? upsert : insert, [buildingId]);
      await c.run('DELETE FROM readings_stage');
    });
  }

  async readReadings(buildingId: string, startMs: number, endMs: number): Promise<Reading[]> {
    assertBuildingId(buildingId);
    if (!assertRange(startMs, endMs)) return [];
    const rows = await this.query(
      `SELECT ts, power_w FROM readings
       WHERE building = $1 AND ${IN_RANGE(startMs, endMs)} ORDER BY ts`,
      [buildingId],
    );
    return rows.map(([ts, powerW]) => ({ ts: num(ts), powerW: num(powerW) }));
  }

  async latestReadingTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    const rows = await this.query('SELECT max(ts) FROM readings WHERE building = $1', [buildingId]);
    return nullableNum(rows[0]?.[0] ?? null);
  }

  async earliestReadingTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    const rows = await this.query('SELECT min(ts) FROM readings WHERE building = $1', [buildingId]);
    return nullableNum(rows[0]?.[0] ?? null);
  }

  async writeEstimates(
    buildingId: string,
    modelVersion: string,
    points: readonly EstimatePoint[],
  ): Promise<void> {
    assertEstimates(buildingId, modelVersion, points);
    const rows = lastWins(points, (p) => `${p.ts} ${p.appliance}`);
    if (rows.length === 0) return;
    await this.transaction(async (c) => {
      const appender = await c.createAppender('estimates_stage', 'main', 'temp');
      for (const p of rows) {
        appender.appendVarchar(p.appliance);
        appender.appendBigInt(BigInt(p.ts));
        appender.appendDouble(p.powerW);
        appender.appendDouble(p.onProb);
        appendNullableDouble(appender, p.lowW);
        appendNullableDouble(appender, p.highW);
        appender.endRow();
      }
      appender.closeSync();
      const insert = `INSERT INTO estimates
                        (building, appliance, ts, power_w, on_prob, model, low_w, high_w)
                      SELECT $1, appliance, ts, power_w, on_prob, $2, low_w, high_w
                      FROM estimates_stage`;
      const upsert = `${insert} ON CONFLICT DO UPDATE SET
                        power_w = excluded.power_w, on_prob = excluded.on_prob,
                        model = excluded.model, low_w = excluded.low_w, high_w = excluded.high_w`;
      const overlap = await storedWithin(c, 'estimates', buildingId, rows);
      await c.run(overlap ? upsert : insert, [buildingId, modelVersion]);
      await c.run('DELETE FROM estimates_stage');
    });
  }

  async readEstimates(
    buildingId: string,
    startMs: number,
    endMs: number,
    appliance?: string,
  ): Promise<EstimatePoint[]> {
    assertBuildingId(buildingId);
    if (!assertRange(startMs, endMs)) return [];
    const params: DuckDBValue[] = [buildingId];
    if (appliance !== undefined) params.push(appliance);
    const rows = await this.query(
      `SELECT ts, appliance, power_w, on_prob, low_w, high_w FROM estimates
       WHERE building = $1 AND ${IN_RANGE(startMs, endMs)}${appliance !== undefined ? ' AND appliance = $2' : ''}
       ORDER BY ts, appliance`,
      params,
    );
    return rows.map(([ts, appliance, powerW, onProb, lowW, highW]) => ({
      ts: num(ts),
      appliance: String(appliance),
      powerW: num(powerW),
      onProb: num(onProb),
      lowW: nullableNum(lowW),
      highW: nullableNum(highW),
    }));
  }

  async latestEstimateTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    const rows = await this.query('SELECT max(ts) FROM estimates WHERE building = $1', [
      buildingId,
    ]);
    return nullableNum(rows[0]?.[0] ?? null);
  }

  async earliestEstimateTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    const rows = await this.query('SELECT min(ts) FROM estimates WHERE building = $1', [
      buildingId,
    ]);
    return nullableNum(rows[0]?.[0] ?? null);
  }

  async readBuckets(
    buildingId: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<Bucket[]> {
    assertBuildingId(buildingId);
    const size = bucketMs(bucketS);
    if (!assertRange(startMs, endMs)) return [];
    // Columns, not rows: converting each row to JS values costs as much as the query itself.
    const [tsCol, applianceCol, powerCol, onProbCol, lowCol, highCol] = await this.read(async (c) =>
      (await c.runAndReadAll(READ_BUCKETS(startMs, endMs, size), [buildingId])).getColumnsJS(),
    );
    // Rows come sorted by bucket: first the mains (null appliance) when the bucket has
    // readings, then one per appliance estimated in it.
    const buckets: Bucket[] = [];
    for (let i = 0; i < (tsCol?.length ?? 0); i++) {
      const appliance = applianceCol![i] as DuckDBValue;
      const powerW = powerCol![i] as DuckDBValue;
      const start = num(tsCol![i] as DuckDBValue);
      let bucket = buckets.at(-1);
      if (bucket?.ts !== start) {
        bucket = { ts: start, powerW: null, appliances: {} };
        buckets.push(bucket);
      }
      if (appliance === null) {
        bucket.powerW = num(powerW);
        continue;
      }
      const mean: Bucket['appliances'][string] = {
        powerW: num(powerW),
        onProb: num(onProbCol![i] as DuckDBValue),
      };
      const lowW = lowCol![i] as DuckDBValue;
      const highW = highCol![i] as DuckDBValue;
      if (lowW !== null && highW !== null) {
        mean.lowW = num(lowW);
        mean.highW = num(highW);
      }
      bucket.appliances[String(appliance)] = mean;
    }
    return buckets;
  }

  async writeSubmeter(
    buildingId: string,
    appliance: string,
    readings: readonly Reading[],
  ): Promise<void> {
    assertSubmeter(buildingId, appliance, readings);
    const rows = lastWins(readings, (r) => r.ts);
    if (rows.length === 0) return;
    // Sub-meters send a few points per call: always the upsert, no overlap probe.
    await this.transaction(async (c) => {
      await stageReadings(c, rows);
      await c.run(
        `INSERT INTO submeter (building, appliance, ts, power_w)
         SELECT $1, $2, ts, power_w FROM readings_stage
         ON CONFLICT DO UPDATE SET power_w = excluded.power_w`,
        [buildingId, appliance],
      );
      await c.run('DELETE FROM readings_stage');
    });
  }

  async readSubmeterBuckets(
    buildingId: string,
    appliance: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<Reading[]> {
    assertBuildingId(buildingId);
    const size = bucketMs(bucketS);
    if (!assertRange(startMs, endMs)) return [];
    const rows = await this.query(
      `SELECT ${BUCKET('ts', size)} AS bucket, avg(power_w) FROM submeter
       WHERE building = $1 AND appliance = $2 AND ${IN_RANGE(startMs, endMs)}
       GROUP BY bucket ORDER BY bucket`,
      [buildingId, appliance],
    );
    return rows.map(([ts, powerW]) => ({ ts: num(ts), powerW: num(powerW) }));
  }

  async writeGrid(buildingId: string, points: readonly GridPoint[]): Promise<void> {
    assertGrid(buildingId, points);
    const rows = lastWins(points, (p) => p.ts);
    if (rows.length === 0) return;
    // Before the write, so no read can cache "none" once these rows are committed.
    this.hasGrid.set(buildingId, true);
    await this.transaction(async (c) => {
      // Few points per call (a meter's readings): one parameterised upsert each.
      for (const p of rows)
        await c.run(
          `INSERT INTO grid
             (building, ts, import_w, export_w, production_w, l1_w, l2_w, l3_w)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT DO UPDATE SET import_w = excluded.import_w,
             export_w = excluded.export_w, production_w = excluded.production_w,
             l1_w = excluded.l1_w, l2_w = excluded.l2_w, l3_w = excluded.l3_w`,
          [
            buildingId,
            BigInt(p.ts),
            p.importW,
            p.exportW,
            p.productionW,
            p.phasesW?.[0] ?? null,
            p.phasesW?.[1] ?? null,
            p.phasesW?.[2] ?? null,
          ],
        );
    });
  }

  async readGridBuckets(
    buildingId: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<GridPoint[]> {
    assertBuildingId(buildingId);
    const size = bucketMs(bucketS);
    if (!assertRange(startMs, endMs)) return [];
    if (!(await this.gridKnown(buildingId))) return [];
    const rows = await this.query(
      `SELECT ${BUCKET('ts', size)} AS bucket, avg(import_w), avg(export_w), avg(production_w),
              avg(l1_w), avg(l2_w), avg(l3_w)
       FROM grid WHERE building = $1 AND ${IN_RANGE(startMs, endMs)}
       GROUP BY bucket ORDER BY bucket`,
      [buildingId],
    );
    return rows.map(([ts, i, e, p, l1, l2, l3]) => {
      const point: GridPoint = {
        ts: num(ts),
        importW: nullableNum(i),
        exportW: nullableNum(e),
        productionW: nullableNum(p),
      };
      const phasesW = phasesOf([nullableNum(l1), nullableNum(l2), nullableNum(l3)]);
      if (phasesW) point.phasesW = phasesW;
      return point;
    });
  }

  async deleteBuilding(buildingId: string): Promise<void> {
    assertBuildingId(buildingId);
    await this.transaction(async (c) => {
      await c.run('DELETE FROM grid WHERE building = $1', [buildingId]);
      await c.run('DELETE FROM readings WHERE building = $1', [buildingId]);
      await c.run('DELETE FROM estimates WHERE building = $1', [buildingId]);
      await c.run('DELETE FROM submeter WHERE building = $1', [buildingId]);
    });
    this.hasGrid.delete(buildingId);
  }

  /** Whether the building has any grid row; asked of the database once, then kept. */
  private async gridKnown(buildingId: string): Promise<boolean> {
    const known = this.hasGrid.get(buildingId);
    if (known !== undefined) return known;
    const rows = await this.query('SELECT 1 FROM grid WHERE building = $1 LIMIT 1', [buildingId]);
    // A writeGrid that started meanwhile has set true already: keep it.
    if (!this.hasGrid.has(buildingId)) this.hasGrid.set(buildingId, rows.length > 0);
    return this.hasGrid.get(buildingId)!;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1', []);
  }

  /** Wait for queued operations, then close; later calls reject with StoreUnavailableError. */
  close(): Promise<void> {
    this.closing ??= Promise.allSettled([this.tail, ...this.pendingReads]).then(() => {
      for (const reader of this.readers) reader.closeSync();
      this.connection.closeSync();
      this.instance.closeSync();
    });
    return this.closing;
  }

  private refuseIfClosing(): void {
    if (this.closing) throw new StoreUnavailableError(this.kind, 'the store is closed');
  }

  /** Run `work` alone on the writer connection, after every write queued before it. */
  private exclusive<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    try {
      this.refuseIfClosing();
    } catch (error) {
      return Promise.reject(error);
    }
    const run = async () => {
      try {
        return await work(this.connection);
      } catch (error) {
        throw translate(error);
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Run `work` on a reader connection of its own, after the writes issued before it, waiting for
   * a free reader when all are busy.
   */
  private read<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    try {
      this.refuseIfClosing();
    } catch (error) {
      return Promise.reject(error);
    }
    // Writes issued before this read are waited for, so a caller that starts a write and then a
    // read (without awaiting the write) still reads what it wrote, as with one queue; reads
    // never wait for each other, nor for writes issued after them.
    const writesBefore = this.tail;
    const run = async (): Promise<T> => {
      await writesBefore;
      const c =
        this.idleReaders.pop() ??
        (await new Promise<DuckDBConnection>((resolve) => this.waitingReads.push(resolve)));
      try {
        return await work(c);
      } catch (error) {
        throw translate(error);
      } finally {
        const next = this.waitingReads.shift();
        if (next) next(c);
        else this.idleReaders.push(c);
      }
    };
    const result = run();
    const settled = result.catch(() => undefined);
    this.pendingReads.add(settled);
    void settled.then(() => this.pendingReads.delete(settled));
    return result;
  }

  private transaction(work: (c: DuckDBConnection) => Promise<void>): Promise<void> {
    return this.exclusive(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        await work(c);
        await c.run('COMMIT');
      } catch (error) {
        // A failed COMMIT has already ended the transaction, so ROLLBACK may fail in turn;
        // the first error is the one worth reporting.
        await c.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  private query(sql: string, values: DuckDBValue[]): Promise<DuckDBValue[][]> {
    return this.read(async (c) => (await c.runAndReadAll(sql, values)).getRows());
  }
}

/** Put readings into this connection's (empty) `readings_stage` through the appender. */
async function stageReadings(c: DuckDBConnection, rows: readonly Reading[]): Promise<void> {
  const appender = await c.createAppender('readings_stage', 'main', 'temp');
  for (const r of rows) {
    appender.appendBigInt(BigInt(r.ts));
    appender.appendDouble(r.powerW);
    appender.endRow();
  }
  appender.closeSync();
}

/**
 * Whether the building has any stored row between the batch's first and last time. ON CONFLICT
 * probes the primary-key index for every row, which costs about as much again as the insert;
 * live data is nearly always newer than anything stored, so this one range check lets that
 * common case take a plain INSERT. The answer is exact: it runs inside the write's
 * transaction, and this connection is the only writer (DuckDB locks the file to one process).
 */
async function storedWithin(
  c: DuckDBConnection,
  table: 'readings' | 'estimates',
  buildingId: string,
  batch: readonly { ts: number }[],
): Promise<boolean> {
  let first = batch[0]!.ts;
  let last = first;
  for (const { ts } of batch) {
    if (ts < first) first = ts;
    if (ts > last) last = ts;
  }
  const reader = await c.runAndReadAll(
    `SELECT 1 FROM ${table} WHERE building = $1 AND ${IN_RANGE(first, last + 1)} LIMIT 1`,
    [buildingId],
  );
  return reader.currentRowCount > 0;
}

/** Disk and memory faults are transient from the caller's view; anything else is a bug. */
function translate(error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (/^(IO|Out of Memory) Error/.test(message)) {
    return new StoreUnavailableError('duckdb', message, error);
  }
  return error;
}

function num(value: DuckDBValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`duckdb: expected a number, got ${String(value)}`);
}

/** Append a nullable DOUBLE (a band bound) to the current appender row. */
function appendNullableDouble(appender: DuckDBAppender, value: number | null | undefined): void {
  if (value === null || value === undefined) appender.appendNull();
  else appender.appendDouble(value);
}

function nullableNum(value: DuckDBValue): number | null {
  return value === null ? null : num(value);
}
