/**
 * The embedded time-series store: DuckDB in a file (or in memory), no server to run.
 *
 * Writes go through the appender into a per-connection staging table and are merged per batch,
 * inside one transaction: the stored rows at the batch's times are deleted (only when the
 * building has rows in the batch's span: live data, nearly always newer, skips it), then one
 * INSERT. That gives the contract's idempotency (the last write of a time wins) without primary
 * keys, whose index every insert and delete would maintain. Rows carry a building key and
 * finished days are rewritten in building order (`duckdb.layout.ts`), so one building's range
 * reads the few row groups that hold it, however many buildings share the file.
 * Writes run on one connection through a queue, so two calls can never interleave inside each
 * other's transaction. Reads run on a small pool of other connections to the same database, in
 * parallel with each other and with later writes: DuckDB gives each statement a consistent
 * snapshot of what was committed when it started, and a read first waits for the writes issued
 * before it (each resolves only after its COMMIT), so it sees them; one that waits for a free
 * reader may also see writes issued after it that committed meanwhile.
 *
 * Rollups (`timeseries.rollups.ts`): tables `rollup_900`, `rollup_3600` and `rollup_86400`
 * per building, bucket and series (appliance '' is the mains). Each write recomputes the buckets it
 * touched from the finer data inside its own transaction (exact under rewrites, no drift);
 * `readBuckets` reads the aligned middle of its range from the coarsest rollup that divides the
 * bucket size and the ragged ends from finer rollups and the minute tables, and divides the
 * summed sums by the summed counts, so a bucket equals the mean over its raw points (up to
 * floating-point summation order).
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
  assertEstimatesMany,
  assertGrid,
  assertRange,
  assertRangesMany,
  assertReadings,
  assertReadingsMany,
  assertSubmeter,
  bucketMs,
  lastWins,
  phasesOf,
  type Bucket,
  type EstimatePoint,
  type EstimatesBatch,
  type GridPoint,
  type Reading,
  type ReadingsBatch,
  type ReadingsRange,
  type RollupRow,
  type TimeSeriesStore,
} from './timeseries.store.js';
import {
  ROLLUP_LEVELS,
  floorTo,
  planBuckets,
  type BucketPlan,
  type RollupLevel,
} from './timeseries.rollups.js';
import {
  BuildingKeys,
  LAYOUT_SCHEMA,
  clusterSlice,
  migrateToLayout,
  nextClusterSlice,
} from './duckdb.layout.js';

export interface DuckDbTimeSeriesStoreOptions {
  /** Database file, created if missing; ':memory:' (the default) keeps nothing after close. */
  path?: string;
  /** Connections that serve reads at the same time (default 4, at least 1). */
  readers?: number;
  /**
   * Whether `readBuckets` reads the rollups (default true). They are kept up to date either way;
   * false reads only the minute tables, for benchmarks that compare the two.
   */
  readRollups?: boolean;
  /** Where the one-off rollup build of a file written before rollups is reported. */
  log?: (message: string) => void;
}

const DEFAULT_READERS = 4;

const SCHEMA = [
  ...LAYOUT_SCHEMA,
  // Temporary tables live with the connection and never reach the database file.
  `CREATE TEMP TABLE readings_stage (ts BIGINT NOT NULL, power_w DOUBLE NOT NULL)`,
  `CREATE TEMP TABLE estimates_stage (
     appliance VARCHAR NOT NULL,
     ts BIGINT NOT NULL,
     power_w DOUBLE NOT NULL,
     on_prob DOUBLE NOT NULL,
     low_w DOUBLE,
     high_w DOUBLE)`,
  // Multi-building writes stage each row with its building and key.
  `CREATE TEMP TABLE readings_many_stage (
     building VARCHAR NOT NULL,
     bkey INTEGER NOT NULL,
     ts BIGINT NOT NULL,
     power_w DOUBLE NOT NULL)`,
  `CREATE TEMP TABLE estimates_many_stage (
     building VARCHAR NOT NULL,
     bkey INTEGER NOT NULL,
     model VARCHAR NOT NULL,
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

/** The building's rows: its key as a literal (for the row-group statistics), its id as $1. */
const BY = (key: number) => `bkey = ${int(key)} AND building = $1`;

/** `ts` in [startMs, endMs), as literals. */
const IN_RANGE = (startMs: number, endMs: number) => `ts >= ${int(startMs)} AND ts < ${int(endMs)}`;

// Bucket start aligned to multiples of the bucket size from the epoch. DuckDB's % truncates
// toward zero, hence the double modulo (correct for negative times too).
const BUCKET = (column: string, size: number) =>
  `${column} - ((${column} % ${int(size)}) + ${int(size)}) % ${int(size)}`;

/**
 * The rows a bucket read aggregates, one per minute-table row or rollup row, as (bucket,
 * appliance (null: the mains), n, power_sum, on_prob_sum, low_n, low_sum, high_n, high_sum).
 * One UNION ALL branch per range, so each keeps its literal bounds for the zone maps; UNION
 * ALL names columns after its first branch, so every branch names them.
 */
function bucketRows(plan: BucketPlan, size: number, key: number): string {
  const branches: string[] = [];
  for (const { from, to } of plan.base) {
    branches.push(
      `SELECT ${BUCKET('ts', size)} AS bucket, NULL::VARCHAR AS appliance, 1::BIGINT AS n,
              power_w AS power_sum, NULL::DOUBLE AS on_prob_sum, 0::BIGINT AS low_n,
              NULL::DOUBLE AS low_sum, 0::BIGINT AS high_n, NULL::DOUBLE AS high_sum
       FROM readings WHERE ${BY(key)} AND ${IN_RANGE(from, to)}`,
      `SELECT ${BUCKET('ts', size)}, appliance, 1::BIGINT, power_w, on_prob,
              (low_w IS NOT NULL)::BIGINT, low_w, (high_w IS NOT NULL)::BIGINT, high_w
       FROM estimates WHERE ${BY(key)} AND ${IN_RANGE(from, to)}`,
    );
  }
  for (const { level, span } of plan.rollups) {
    branches.push(
      `SELECT ${BUCKET('bucket', size)} AS bucket, NULLIF(appliance, '') AS appliance, n,
              power_sum, on_prob_sum, low_n, low_sum, high_n, high_sum
       FROM rollup_${level}
       WHERE ${BY(key)} AND bucket >= ${int(span.from)} AND bucket < ${int(span.to)}`,
    );
  }
  return branches.join('\n  UNION ALL\n  ');
}

/**
 * Mains and estimates bucketed in one aggregation over the planned rows, no join: one row per
 * (bucket, appliance), the mains as the row whose appliance is null, first in its bucket. A
 * mean is the summed sums over the summed counts; the band's only when every point had one.
 */
const READ_BUCKETS = (plan: BucketPlan, size: number, key: number) => `
  SELECT bucket, appliance, sum(power_sum) / sum(n) AS power_w,
         sum(on_prob_sum) / sum(n) AS on_prob,
         CASE WHEN sum(low_n) = sum(n) THEN sum(low_sum) / sum(n) END AS low_w,
         CASE WHEN sum(high_n) = sum(n) THEN sum(high_sum) / sum(n) END AS high_w
  FROM (${bucketRows(plan, size, key)})
  GROUP BY bucket, appliance
  ORDER BY bucket, appliance NULLS FIRST`;

/** Which rows of a minute table a rollup keeps: the mains (readings) or the estimates. */
type RollupSource = 'readings' | 'estimates';

/**
 * Recompute, inside the caller's transaction, every rollup bucket that holds a time of `batch`
 * (just written), from the minute table for 15 min and from the next finer rollup above it.
 * Deleting and re-inserting the touched buckets is exact under rewrites.
 */
async function refreshRollups(
  c: DuckDBConnection,
  buildingId: string,
  key: number,
  source: RollupSource,
  batch: readonly { ts: number }[],
): Promise<void> {
  const mine = source === 'readings' ? `appliance = ''` : `appliance <> ''`;
  // One request for all six statements (each round trip costs about as much as a statement):
  // the building goes into the text, which its validation (^[a-zA-Z0-9_-]{1,64}$) makes safe.
  assertBuildingId(buildingId);
  const building = `'${buildingId}'`;
  const mineOnly = `bkey = ${int(key)} AND building = ${building}`;
  const statements: string[] = [];
  let finer: RollupLevel | null = null;
  for (const level of ROLLUP_LEVELS) {
    const size = level * 1000;
    // The touched buckets as literals: their bounds for the zone maps, and the exact set only
    // when it has gaps (a batch of consecutive minutes, the usual one, touches a whole run).
    const touched = [...new Set(batch.map(({ ts }) => floorTo(ts, size)))].sort((a, b) => a - b);
    const from = touched[0]!;
    const to = touched.at(-1)! + size;
    const gaps = touched.length < (to - from) / size;
    const only = (column: string) =>
      gaps ? ` AND ${BUCKET(column, size)} IN (${touched.map(int).join(', ')})` : '';
    statements.push(
      `DELETE FROM rollup_${level} WHERE ${mineOnly} AND ${mine}
         AND bucket >= ${int(from)} AND bucket < ${int(to)}${only('bucket')}`,
    );
    const insert =
      finer === null
        ? source === 'readings'
          ? `SELECT ${building}, ${int(key)}, ${BUCKET('ts', size)} AS b, '', count(*),
                    sum(power_w), NULL, 0, NULL, 0, NULL
             FROM readings WHERE ${mineOnly} AND ${IN_RANGE(from, to)}${only('ts')}
             GROUP BY b`
          : `SELECT ${building}, ${int(key)}, ${BUCKET('ts', size)} AS b, appliance, count(*),
                    sum(power_w), sum(on_prob), count(low_w), sum(low_w), count(high_w),
                    sum(high_w)
             FROM estimates WHERE ${mineOnly} AND ${IN_RANGE(from, to)}${only('ts')}
             GROUP BY b, appliance`
        : `SELECT ${building}, ${int(key)}, ${BUCKET('bucket', size)} AS b, appliance, sum(n),
                  sum(power_sum), sum(on_prob_sum), sum(low_n), sum(low_sum), sum(high_n),
                  sum(high_sum)
           FROM rollup_${finer} WHERE ${mineOnly} AND ${mine}
             AND bucket >= ${int(from)} AND bucket < ${int(to)}${only('bucket')}
           GROUP BY b, appliance`;
    statements.push(`INSERT INTO rollup_${level} ${insert}`);
    finer = level;
  }
  await c.run(statements.join(';\n'));
}

/** The stage of a multi-building write of each minute table. */
const MANY_STAGE: Record<RollupSource, string> = {
  readings: 'readings_many_stage',
  estimates: 'estimates_many_stage',
};

/**
 * Recompute, inside the caller's transaction, every rollup bucket at every level that holds a
 * staged row of a multi-building write (just merged into the minute table), for all its
 * buildings at once: per level one DELETE and one INSERT joined with the touched (building,
 * bucket) pairs, which come from the stage. The batch's overall span bounds each statement as
 * literals, for the zone maps: one scan of the recent rows serves every building, where the
 * single-building refresh scanned them once per building. Exact under rewrites, like it.
 */
async function refreshRollupsMany(
  c: DuckDBConnection,
  source: RollupSource,
  first: number,
  last: number,
): Promise<void> {
  const mine = (t: string) =>
    source === 'readings' ? `${t}.appliance = ''` : `${t}.appliance <> ''`;
  const stage = MANY_STAGE[source];
  const statements: string[] = [];
  let finer: RollupLevel | null = null;
  for (const level of ROLLUP_LEVELS) {
    const size = level * 1000;
    const from = floorTo(first, size);
    const to = floorTo(last, size) + size;
    const touched = `(SELECT DISTINCT building, bkey, ${BUCKET('ts', size)} AS b FROM ${stage})`;
    const pairs = (t: string, column: string) =>
      `${t}.bkey = t.bkey AND ${t}.building = t.building AND ${BUCKET(`${t}.${column}`, size)} = t.b`;
    statements.push(
      `DELETE FROM rollup_${level} USING ${touched} t
       WHERE rollup_${level}.bkey = t.bkey AND rollup_${level}.building = t.building
         AND rollup_${level}.bucket = t.b AND ${mine(`rollup_${level}`)}
         AND rollup_${level}.bucket >= ${int(from)} AND rollup_${level}.bucket < ${int(to)}`,
    );
    const insert =
      finer === null
        ? source === 'readings'
          ? `SELECT t.building, t.bkey, t.b, '', count(*), sum(m.power_w), NULL, 0, NULL, 0,
                    NULL
             FROM readings m JOIN ${touched} t ON ${pairs('m', 'ts')}
             WHERE m.ts >= ${int(from)} AND m.ts < ${int(to)}
             GROUP BY t.building, t.bkey, t.b`
          : `SELECT t.building, t.bkey, t.b, m.appliance, count(*),
                    sum(m.power_w), sum(m.on_prob), count(m.low_w), sum(m.low_w),
                    count(m.high_w), sum(m.high_w)
             FROM estimates m JOIN ${touched} t ON ${pairs('m', 'ts')}
             WHERE m.ts >= ${int(from)} AND m.ts < ${int(to)}
             GROUP BY t.building, t.bkey, t.b, m.appliance`
        : `SELECT t.building, t.bkey, t.b, f.appliance, sum(f.n),
                  sum(f.power_sum), sum(f.on_prob_sum), sum(f.low_n), sum(f.low_sum),
                  sum(f.high_n), sum(f.high_sum)
           FROM rollup_${finer} f JOIN ${touched} t ON ${pairs('f', 'bucket')}
           WHERE ${mine('f')} AND f.bucket >= ${int(from)} AND f.bucket < ${int(to)}
           GROUP BY t.building, t.bkey, t.b, f.appliance`;
    statements.push(`INSERT INTO rollup_${level} ${insert}`);
    finer = level;
  }
  await c.run(statements.join(';\n'));
}

/**
 * Merge a multi-building write's stage into its minute table, inside the caller's transaction:
 * the stored rows at the staged keys go first (the last write wins), but only for buildings
 * that have stored rows within their own staged span (one probe for all of them; live data,
 * newer than anything stored, skips the delete), then one INSERT, then the rollups. `first`
 * and `last` are the earliest and latest staged times.
 */
async function mergeStaged(
  c: DuckDBConnection,
  source: RollupSource,
  first: number,
  last: number,
): Promise<void> {
  const stage = MANY_STAGE[source];
  const span = (t: string) => `${t}.ts >= ${int(first)} AND ${t}.ts <= ${int(last)}`;
  const probe = await c.runAndReadAll(
    `SELECT DISTINCT m.bkey FROM ${source} m
     JOIN (SELECT building, bkey, min(ts) AS f, max(ts) AS l FROM ${stage} GROUP BY ALL) e
       ON m.bkey = e.bkey AND m.building = e.building AND m.ts >= e.f AND m.ts <= e.l
     WHERE ${span('m')}`,
  );
  const stored = probe.getRows().map(([bkey]) => int(num(bkey!)));
  if (stored.length > 0) {
    const sameKey =
      source === 'readings'
        ? `${source}.ts = s.ts`
        : `${source}.ts = s.ts AND ${source}.appliance = s.appliance`;
    await c.run(
      `DELETE FROM ${source} USING ${stage} s
       WHERE ${span(source)} AND ${source}.bkey IN (${stored.join(', ')})
         AND ${source}.bkey = s.bkey AND ${source}.building = s.building AND ${sameKey}`,
    );
  }
  await c.run(
    source === 'readings'
      ? `INSERT INTO readings (building, bkey, ts, power_w)
         SELECT building, bkey, ts, power_w FROM ${stage}`
      : `INSERT INTO estimates
           (building, bkey, appliance, ts, power_w, on_prob, model, low_w, high_w)
         SELECT building, bkey, appliance, ts, power_w, on_prob, model, low_w, high_w
         FROM ${stage}`,
  );
  await refreshRollupsMany(c, source, first, last);
  await c.run(`DELETE FROM ${stage}`);
}

/**
 * Build every rollup from the minute tables: a file written before rollups existed, once, as
 * it opens.
 */
async function buildRollups(c: DuckDBConnection): Promise<void> {
  await c.run(
    `INSERT INTO rollup_900
     SELECT building, bkey, ${BUCKET('ts', 900_000)} AS b, '', count(*), sum(power_w), NULL,
            0, NULL, 0, NULL
     FROM readings GROUP BY building, bkey, b
     UNION ALL
     SELECT building, bkey, ${BUCKET('ts', 900_000)} AS b, appliance, count(*), sum(power_w),
            sum(on_prob), count(low_w), sum(low_w), count(high_w), sum(high_w)
     FROM estimates GROUP BY building, bkey, b, appliance`,
  );
  for (const [finer, level] of [
    [900, 3600],
    [3600, 86_400],
  ] as const) {
    await c.run(
      `INSERT INTO rollup_${level}
       SELECT building, bkey, ${BUCKET('bucket', level * 1000)} AS b, appliance, sum(n),
              sum(power_sum), sum(on_prob_sum), sum(low_n), sum(low_sum), sum(high_n),
              sum(high_sum)
       FROM rollup_${finer} GROUP BY building, bkey, b, appliance`,
    );
  }
}

/** Earliest and latest time of a batch. */
function extent(batch: readonly { ts: number }[]): [number, number] {
  let first = batch[0]!.ts;
  let last = first;
  for (const { ts } of batch) {
    if (ts < first) first = ts;
    if (ts > last) last = ts;
  }
  return [first, last];
}

/** Time-series store on embedded DuckDB; open it with {@link DuckDbTimeSeriesStore.open}. */
export class DuckDbTimeSeriesStore implements TimeSeriesStore {
  readonly kind = 'duckdb';
  /** Tail of the write queue; every write chains onto it. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Per building: the newest write of it in flight (reads of it wait for it). */
  private readonly buildingWrites = new Map<string, Promise<unknown>>();
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
    private readonly readRollups: boolean,
    private readonly keys: BuildingKeys,
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
      const migrating = performance.now();
      const migrated = await migrateToLayout(connection, Date.now());
      if (migrated !== null)
        options.log?.(
          `duckdb: rewrote ${migrated} rows of a file from an earlier release in building order, with building keys and no primary keys, in ${Math.round(performance.now() - migrating)} ms`,
        );
      const hadRollups =
        (
          await connection.runAndReadAll(
            `SELECT 1 FROM information_schema.tables
             WHERE table_schema = 'main' AND table_name = 'rollup_900'`,
          )
        ).currentRowCount > 0;
      for (const statement of SCHEMA) await connection.run(statement);
      if (!hadRollups) {
        const started = performance.now();
        await connection.run('BEGIN TRANSACTION');
        await buildRollups(connection);
        await connection.run('COMMIT');
        const built = await connection.runAndReadAll('SELECT count(*) FROM rollup_900');
        const rows = num(built.getRows()[0]![0]!);
        if (rows > 0)
          options.log?.(
            `duckdb: built the 15 min / 1 h / 1 d rollups of existing data (${rows} rows at 15 min) in ${Math.round(performance.now() - started)} ms`,
          );
      }
      const readers: DuckDBConnection[] = [];
      for (let i = 0; i < count; i++) readers.push(await instance.connect());
      const keys = await BuildingKeys.load(connection);
      return new DuckDbTimeSeriesStore(
        instance,
        connection,
        readers,
        options.readRollups ?? true,
        keys,
      );
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }

  async writeReadings(buildingId: string, readings: readonly Reading[]): Promise<void> {
    assertReadings(buildingId, readings);
    const rows = lastWins(readings, (r) => r.ts);
    if (rows.length === 0) return;
    const key = this.keys.forWrite(buildingId);
    await this.transaction([buildingId], async (c) => {
      await this.keys.save(c, buildingId);
      await stageReadings(c, rows);
      const [first, last] = extent(rows);
      // The last write of a time wins: its stored row goes first, when there may be one.
      if (await storedWithin(c, 'readings', buildingId, key, first, last))
        await c.run(
          `DELETE FROM readings WHERE ${BY(key)} AND ${IN_RANGE(first, last + 1)}
             AND ts IN (SELECT ts FROM readings_stage)`,
          [buildingId],
        );
      await c.run(
        `INSERT INTO readings (building, bkey, ts, power_w)
         SELECT $1, ${int(key)}, ts, power_w FROM readings_stage`,
        [buildingId],
      );
      await refreshRollups(c, buildingId, key, 'readings', rows);
      await c.run('DELETE FROM readings_stage');
    });
  }

  async writeReadingsMany(batches: readonly ReadingsBatch[]): Promise<void> {
    assertReadingsMany(batches);
    const rows = lastWins(
      batches.flatMap(({ buildingId, readings }) =>
        readings.map((r) => ({ buildingId, ts: r.ts, powerW: r.powerW })),
      ),
      (r) => `${r.buildingId} ${r.ts}`,
    );
    if (rows.length === 0) return;
    const keys = this.keysForWrite(rows);
    await this.transaction(keys.keys(), async (c) => {
      for (const buildingId of keys.keys()) await this.keys.save(c, buildingId);
      const appender = await c.createAppender('readings_many_stage', 'main', 'temp');
      for (const r of rows) {
        appender.appendVarchar(r.buildingId);
        appender.appendInteger(keys.get(r.buildingId)!);
        appender.appendBigInt(BigInt(r.ts));
        appender.appendDouble(r.powerW);
        appender.endRow();
      }
      appender.closeSync();
      const [first, last] = extent(rows);
      await mergeStaged(c, 'readings', first, last);
    });
  }

  async readReadings(buildingId: string, startMs: number, endMs: number): Promise<Reading[]> {
    assertBuildingId(buildingId);
    if (!assertRange(startMs, endMs)) return [];
    const rows = await this.query(
      buildingId,
      `SELECT ts, power_w FROM readings
       WHERE ${BY(this.keys.of(buildingId))} AND ${IN_RANGE(startMs, endMs)} ORDER BY ts`,
      [buildingId],
    );
    return rows.map(([ts, powerW]) => ({ ts: num(ts), powerW: num(powerW) }));
  }

  /**
   * One query for every range: the readings joined with the ranges as a VALUES list, bounded by
   * the overall [min start, max end) and the ranges' building keys as literals (the zone maps
   * skip older row groups; recent live rows are in arrival order, not by building, so each
   * single-building read scanned all of them: with many homes, one such scan per run), ordered
   * by range and time, then split here. Waits for the writes of every building in it issued
   * before it, as readReadings does for its one building.
   */
  async readReadingsMany(ranges: readonly ReadingsRange[]): Promise<Reading[][]> {
    const nonEmpty = assertRangesMany(ranges);
    const answer: Reading[][] = ranges.map(() => []);
    // Keys looked up now, as readReadings does: a write issued before has taken its key. A
    // building without one has no rows.
    const asked: Array<{ k: number; key: number; r: ReadingsRange }> = [];
    ranges.forEach((r, k) => {
      const key = this.keys.of(r.buildingId);
      if (nonEmpty[k] && key !== 0) asked.push({ k, key, r });
    });
    if (asked.length === 0) return answer;
    let from = asked[0]!.r.startMs;
    let to = asked[0]!.r.endMs;
    for (const { r } of asked) {
      if (r.startMs < from) from = r.startMs;
      if (r.endMs > to) to = r.endMs;
    }
    // Building ids are ^[a-zA-Z0-9_-]{1,64}$ (validated): safe as literals.
    const values = asked
      .map(
        ({ k, key, r }) =>
          `(${int(k)}, ${int(key)}, '${r.buildingId}', ${int(r.startMs)}, ${int(r.endMs)})`,
      )
      .join(', ');
    const bkeys = [...new Set(asked.map(({ key }) => key))].sort((a, b) => a - b);
    const buildings = [...new Set(asked.map(({ r }) => r.buildingId))];
    // Columns, not rows: converting each row to JS values costs as much as the query itself.
    const [rangeCol, tsCol, powerCol] = await this.read(buildings, async (c) =>
      (
        await c.runAndReadAll(
          `SELECT q.k, m.ts, m.power_w
           FROM readings m
           JOIN (VALUES ${values}) q(k, bkey, building, s, e)
             ON m.bkey = q.bkey AND m.building = q.building AND m.ts >= q.s AND m.ts < q.e
           WHERE m.ts >= ${int(from)} AND m.ts < ${int(to)}
             AND m.bkey IN (${bkeys.map(int).join(', ')})
           ORDER BY q.k, m.ts`,
        )
      ).getColumnsJS(),
    );
    for (let i = 0; i < (rangeCol?.length ?? 0); i++)
      answer[num(rangeCol![i] as DuckDBValue)]!.push({
        ts: num(tsCol![i] as DuckDBValue),
        powerW: num(powerCol![i] as DuckDBValue),
      });
    return answer;
  }

  async latestReadingTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    const rows = await this.query(
      buildingId,
      `SELECT max(ts) FROM readings WHERE ${BY(this.keys.of(buildingId))}`,
      [buildingId],
    );
    return nullableNum(rows[0]?.[0] ?? null);
  }

  async earliestReadingTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    const rows = await this.query(
      buildingId,
      `SELECT min(ts) FROM readings WHERE ${BY(this.keys.of(buildingId))}`,
      [buildingId],
    );
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
    const key = this.keys.forWrite(buildingId);
    await this.transaction([buildingId], async (c) => {
      await this.keys.save(c, buildingId);
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
      const [first, last] = extent(rows);
      // The last write of a (time, appliance) wins: its stored row goes first.
      if (await storedWithin(c, 'estimates', buildingId, key, first, last))
        await c.run(
          `DELETE FROM estimates USING estimates_stage s
           WHERE estimates.bkey = ${int(key)} AND estimates.building = $1
             AND estimates.ts >= ${int(first)} AND estimates.ts <= ${int(last)}
             AND estimates.appliance = s.appliance AND estimates.ts = s.ts`,
          [buildingId],
        );
      await c.run(
        `INSERT INTO estimates
           (building, bkey, appliance, ts, power_w, on_prob, model, low_w, high_w)
         SELECT $1, ${int(key)}, appliance, ts, power_w, on_prob, $2, low_w, high_w
         FROM estimates_stage`,
        [buildingId, modelVersion],
      );
      await refreshRollups(c, buildingId, key, 'estimates', rows);
      await c.run('DELETE FROM estimates_stage');
    });
  }

  async writeEstimatesMany(batches: readonly EstimatesBatch[]): Promise<void> {
    assertEstimatesMany(batches);
    const rows = lastWins(
      batches.flatMap(({ buildingId, modelVersion, points }) =>
        points.map((p) => ({ buildingId, modelVersion, p, ts: p.ts })),
      ),
      (r) => `${r.buildingId} ${r.ts} ${r.p.appliance}`,
    );
    if (rows.length === 0) return;
    const keys = this.keysForWrite(rows);
    await this.transaction(keys.keys(), async (c) => {
      for (const buildingId of keys.keys()) await this.keys.save(c, buildingId);
      const appender = await c.createAppender('estimates_many_stage', 'main', 'temp');
      for (const { buildingId, modelVersion, p } of rows) {
        appender.appendVarchar(buildingId);
        appender.appendInteger(keys.get(buildingId)!);
        appender.appendVarchar(modelVersion);
        appender.appendVarchar(p.appliance);
        appender.appendBigInt(BigInt(p.ts));
        appender.appendDouble(p.powerW);
        appender.appendDouble(p.onProb);
        appendNullableDouble(appender, p.lowW);
        appendNullableDouble(appender, p.highW);
        appender.endRow();
      }
      appender.closeSync();
      const [first, last] = extent(rows);
      await mergeStaged(c, 'estimates', first, last);
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
      buildingId,
      `SELECT ts, appliance, power_w, on_prob, low_w, high_w FROM estimates
       WHERE ${BY(this.keys.of(buildingId))} AND ${IN_RANGE(startMs, endMs)}${appliance !== undefined ? ' AND appliance = $2' : ''}
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
    const rows = await this.query(
      buildingId,
      `SELECT max(ts) FROM estimates WHERE ${BY(this.keys.of(buildingId))}`,
      [buildingId],
    );
    return nullableNum(rows[0]?.[0] ?? null);
  }

  async earliestEstimateTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    const rows = await this.query(
      buildingId,
      `SELECT min(ts) FROM estimates WHERE ${BY(this.keys.of(buildingId))}`,
      [buildingId],
    );
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
    const plan = planBuckets(startMs, endMs, size, this.readRollups);
    const key = this.keys.of(buildingId);
    // Columns, not rows: converting each row to JS values costs as much as the query itself.
    const [tsCol, applianceCol, powerCol, onProbCol, lowCol, highCol] = await this.read(
      buildingId,
      async (c) =>
        (await c.runAndReadAll(READ_BUCKETS(plan, size, key), [buildingId])).getColumnsJS(),
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

  /**
   * How many stored rows `readBuckets` with the same arguments aggregates (minute rows plus
   * rollup rows): what benchmarks and tests print and check, without timing anything.
   */
  async rowsForBuckets(
    buildingId: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<number> {
    assertBuildingId(buildingId);
    const size = bucketMs(bucketS);
    if (!assertRange(startMs, endMs)) return 0;
    const plan = planBuckets(startMs, endMs, size, this.readRollups);
    const rows = await this.query(
      buildingId,
      `SELECT count(*) FROM (${bucketRows(plan, size, this.keys.of(buildingId))})`,
      [buildingId],
    );
    return num(rows[0]![0]!);
  }

  /**
   * The rollup rows of `levelS` with buckets in [startMs, endMs) (see the contract), and per
   * bucket the grid points' counts and sums (import, export, production), grouped from the grid
   * table: the grid has no rollup, and most buildings have no grid rows at all.
   */
  async readRollupRows(
    buildingId: string,
    startMs: number,
    endMs: number,
    levelS: number,
  ): Promise<RollupRow[]> {
    assertBuildingId(buildingId);
    const level = ROLLUP_LEVELS.find((l) => l === levelS);
    if (level === undefined)
      throw new Error(`rollup level must be one of ${ROLLUP_LEVELS.join(', ')} s, got ${levelS}`);
    if (!assertRange(startMs, endMs)) return [];
    const size = level * 1000;
    const key = this.keys.of(buildingId);
    const grid = (await this.gridKnown(buildingId))
      ? `UNION ALL
         SELECT ${BUCKET('ts', size)} AS b, NULL, count(*), sum(import_w), sum(export_w),
                count(import_w), sum(production_w), count(export_w), count(production_w)
         FROM grid
         WHERE ${BY(key)} AND ${IN_RANGE(-floorTo(-startMs, size), -floorTo(-endMs, size))}
         GROUP BY b`
      : '';
    const columns = await this.read(buildingId, async (c) =>
      (
        await c.runAndReadAll(
          `SELECT bucket, appliance, n, power_sum, on_prob_sum, low_n, low_sum, high_n, high_sum
           FROM rollup_${level}
           WHERE ${BY(key)} AND bucket >= ${int(startMs)} AND bucket < ${int(endMs)}
           ${grid}`,
          [buildingId],
        )
      ).getColumnsJS(),
    );
    const [bucketCol, applianceCol, ...valueCols] = columns;
    return (bucketCol ?? []).map((bucket, i) => {
      const appliance = applianceCol![i] as DuckDBValue;
      return {
        bucket: num(bucket as DuckDBValue),
        kind: appliance === null ? 'grid' : appliance === '' ? 'mains' : 'estimates',
        appliance: appliance === null ? '' : String(appliance),
        values: valueCols.map((col) => nullableNum(col[i] as DuckDBValue)),
      };
    });
  }

  async writeSubmeter(
    buildingId: string,
    appliance: string,
    readings: readonly Reading[],
  ): Promise<void> {
    assertSubmeter(buildingId, appliance, readings);
    const rows = lastWins(readings, (r) => r.ts);
    if (rows.length === 0) return;
    const key = this.keys.forWrite(buildingId);
    // Sub-meters send a few points per call: always the delete of the times written (the last
    // write of a time wins), no overlap probe.
    await this.transaction([buildingId], async (c) => {
      await this.keys.save(c, buildingId);
      await stageReadings(c, rows);
      const [first, last] = extent(rows);
      await c.run(
        `DELETE FROM submeter WHERE ${BY(key)} AND appliance = $2
           AND ${IN_RANGE(first, last + 1)} AND ts IN (SELECT ts FROM readings_stage)`,
        [buildingId, appliance],
      );
      await c.run(
        `INSERT INTO submeter (building, bkey, appliance, ts, power_w)
         SELECT $1, ${int(key)}, $2, ts, power_w FROM readings_stage`,
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
      buildingId,
      `SELECT ${BUCKET('ts', size)} AS bucket, avg(power_w) FROM submeter
       WHERE ${BY(this.keys.of(buildingId))} AND appliance = $2 AND ${IN_RANGE(startMs, endMs)}
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
    const key = this.keys.forWrite(buildingId);
    await this.transaction([buildingId], async (c) => {
      await this.keys.save(c, buildingId);
      // Few points per call (a meter's readings): per point, the delete of its time (the last
      // write of a time wins) and one parameterised insert.
      for (const p of rows) {
        await c.run(`DELETE FROM grid WHERE ${BY(key)} AND ts = ${int(p.ts)}`, [buildingId]);
        await c.run(
          `INSERT INTO grid
             (building, bkey, ts, import_w, export_w, production_w, l1_w, l2_w, l3_w)
           VALUES ($1, ${int(key)}, $2, $3, $4, $5, $6, $7, $8)`,
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
      }
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
      buildingId,
      `SELECT ${BUCKET('ts', size)} AS bucket, avg(import_w), avg(export_w), avg(production_w),
              avg(l1_w), avg(l2_w), avg(l3_w)
       FROM grid WHERE ${BY(this.keys.of(buildingId))} AND ${IN_RANGE(startMs, endMs)}
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
    // The key stays with the building (keys are never reused); its rows go.
    const key = this.keys.of(buildingId);
    await this.transaction([buildingId], async (c) => {
      for (const table of ['grid', 'readings', 'estimates', 'submeter'])
        await c.run(`DELETE FROM ${table} WHERE ${BY(key)}`, [buildingId]);
      for (const level of ROLLUP_LEVELS)
        await c.run(`DELETE FROM rollup_${level} WHERE ${BY(key)}`, [buildingId]);
    });
    this.hasGrid.delete(buildingId);
  }

  /**
   * Rewrite the finished slices that are not yet in building order (`duckdb.layout.ts`): each
   * slice in its own transaction, so writes go on between them. At most `maxSlices` (default:
   * all). Run it now and then (the server does, hourly); returns what it rewrote.
   */
  async cluster(
    options: { nowMs?: number; maxSlices?: number } = {},
  ): Promise<{ slices: number; rows: number }> {
    const nowMs = options.nowMs ?? Date.now();
    const max = options.maxSlices ?? Infinity;
    let slices = 0;
    let rows = 0;
    for (let more = true; more && slices < max;) {
      await this.transaction([], async (c) => {
        const slice = await nextClusterSlice(c, nowMs);
        if (slice === null) more = false;
        else {
          rows += await clusterSlice(c, slice);
          slices++;
        }
      });
    }
    return { slices, rows };
  }

  /** The key of every building of a write, handed out now for those without one. */
  private keysForWrite(rows: readonly { buildingId: string }[]): Map<string, number> {
    const keys = new Map<string, number>();
    for (const { buildingId } of rows)
      if (!keys.has(buildingId)) keys.set(buildingId, this.keys.forWrite(buildingId));
    return keys;
  }

  /** Whether the building has any grid row; asked of the database once, then kept. */
  private async gridKnown(buildingId: string): Promise<boolean> {
    const known = this.hasGrid.get(buildingId);
    if (known !== undefined) return known;
    const rows = await this.query(
      buildingId,
      `SELECT 1 FROM grid WHERE ${BY(this.keys.of(buildingId))} LIMIT 1`,
      [buildingId],
    );
    // A writeGrid that started meanwhile has set true already: keep it.
    if (!this.hasGrid.has(buildingId)) this.hasGrid.set(buildingId, rows.length > 0);
    return this.hasGrid.get(buildingId)!;
  }

  async ping(): Promise<void> {
    await this.query(null, 'SELECT 1', []);
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
   * Run `work` on a reader connection of its own, after the writes of `building` (of each of
   * several) issued before it (of every building when null), waiting for a free reader when all
   * are busy.
   */
  private read<T>(
    building: string | readonly string[] | null,
    work: (c: DuckDBConnection) => Promise<T>,
  ): Promise<T> {
    try {
      this.refuseIfClosing();
    } catch (error) {
      return Promise.reject(error);
    }
    // The building's writes issued before this read are waited for, so a caller that starts a
    // write and then a read (without awaiting the write) still reads what it wrote, as with one
    // queue; reads never wait for each other, for writes issued after them, nor for other
    // buildings' writes: with many homes a worker's read would otherwise wait behind every
    // home's ingest write queued before it (issue 16.2).
    const writesBefore =
      building === null
        ? this.tail
        : typeof building === 'string'
          ? (this.buildingWrites.get(building) ?? Promise.resolve())
          : Promise.all(building.map((b) => this.buildingWrites.get(b)));
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

  /**
   * Run `work` in one transaction on the writer connection, after every write queued before it;
   * reads of `buildings` issued from now on wait for it (see `read`). A write without buildings
   * (clustering, which changes no answer) is waited for by reads of no building in particular.
   */
  private transaction(
    buildings: Iterable<string>,
    work: (c: DuckDBConnection) => Promise<void>,
  ): Promise<void> {
    const result = this.exclusive(async (c) => {
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
    // Writes run one at a time, so a building's newest write settles after its older ones.
    const settled = result.catch(() => undefined);
    for (const b of buildings) {
      this.buildingWrites.set(b, settled);
      void settled.then(() => {
        if (this.buildingWrites.get(b) === settled) this.buildingWrites.delete(b);
      });
    }
    return result;
  }

  private query(
    building: string | null,
    sql: string,
    values: DuckDBValue[],
  ): Promise<DuckDBValue[][]> {
    return this.read(building, async (c) => (await c.runAndReadAll(sql, values)).getRows());
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
 * Whether the building has any stored row between the batch's first and last time. Live data
 * is nearly always newer than anything stored, so this one range check lets that common case
 * skip the delete of the batch's times and take a plain INSERT. The answer is exact: it runs
 * inside the write's transaction, and this connection is the only writer (DuckDB locks the
 * file to one process).
 */
async function storedWithin(
  c: DuckDBConnection,
  table: 'readings' | 'estimates',
  buildingId: string,
  key: number,
  first: number,
  last: number,
): Promise<boolean> {
  const reader = await c.runAndReadAll(
    `SELECT 1 FROM ${table} WHERE ${BY(key)} AND ${IN_RANGE(first, last + 1)} LIMIT 1`,
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
