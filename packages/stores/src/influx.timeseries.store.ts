/**
 * The time-series store on InfluxDB, through its v1 HTTP API only (`/write`, `/query`,
 * `/ping`), so one implementation serves InfluxDB 1.x and InfluxDB 3.x's v1 compatibility API.
 *
 * Schema: measurement `mains` (tag `building`, field `power_w`) and measurement `estimate`
 * (tags `appliance`, `building`; fields `power_w`, `on_prob`, `model`, `low_w`, `high_w`).
 * An estimate without a band is written with `low_w` and `high_w` at -1 (no band is negative):
 * a second write of a point replaces only the fields it carries, so leaving them out would keep
 * an earlier write's band; points written before the band existed lack both fields. Both read
 * as null. Measurement `grid` (tag `building`) holds `import_w`, `export_w` and `production_w`
 * where measured, and per phase k in 1..3 `lk_w` (signed W) with `lk_n` (1 when measured, else
 * 0 with `lk_w` at 0): a phase's bucket mean is sum(`lk_w`) / sum(`lk_n`), which leaves phases
 * a point did not measure out of the mean and lets a rewrite drop phases an earlier write had;
 * points written before phases existed lack both fields and read as no phases. (Import, export
 * and production have no such count: a rewrite that leaves one out keeps the earlier value.)
 * Measurement `submeter` (tags `appliance`, `building`; field `power_w`) holds what a building's
 * sub-meters measured, one series per appliance, apart from `mains`.
 * InfluxDB identifies a point by measurement, tag set and time, and a second write of the same
 * point overwrites its fields: that is exactly the contract's idempotency. The model version is a string field, not
 * a tag, because a tag would make it part of the point's identity: re-disaggregating a window
 * with a newer model would then add a second estimate beside the old one instead of replacing
 * it, breaking the contract's (building, appliance, ts) key.
 *
 * Rollups (`timeseries.rollups.ts`): measurements `mains_rollup` (tags `building`, `level`) and
 * `estimate_rollup` (tags `appliance`, `building`, `level`), one point per 15 min / 1 h / 1 d
 * bucket at its start, `level` its size in seconds, with fields `n` (points), `power_sum`, and
 * for estimates `on_prob_sum`, `low_sum`, `high_sum` and `band` (1 when every estimate of the
 * bucket had a band, else 0). After each write of readings or estimates the store recomputes
 * the 15 min buckets that the batch's time span covers from the minute measurement (sum and
 * count per bucket) and writes them, then the 1 h and 1 d buckets it covers from the 15 min
 * points (sums of sums), overwriting the earlier points: exact under rewrites, and a bucket
 * never loses all its points (only deleteBuilding deletes, and it drops the rollup series too).
 * A database written before the coarse levels came from the 15 min ones holds the same points,
 * so it reads and refreshes the same way. Writes of one building run one after another in this
 * store, so two batches' recomputations cannot overtake each other. Nothing orders two
 * processes that write the same building's readings (or its estimates) into the same buckets
 * at once: a refresh that read before the other's write landed may finish last and leave stale
 * sums until the next write there. A write that rejects after its minute data landed can leave
 * its buckets' rollups behind (and the hours and days summed from them by later writes) until
 * the batch is retried, which the contract allows and which recomputes them. A database written before rollups gets them built on first use, once,
 * marked by a point in `rollup_state`.
 *
 * Atomicity: a batch is sent as one request per `maxLinesPerWrite` lines. InfluxDB applies each
 * request on its own, so a failure part-way can leave the earlier chunks written; the call then
 * rejects, and retrying the whole batch is safe because every point is idempotent.
 */
import {
  MAX_TS_MS,
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
  MAX_PHASES,
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
  type Span,
} from './timeseries.rollups.js';

export interface InfluxTimeSeriesStoreOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8086` (a path prefix is kept). */
  url: string;
  database: string;
  /** InfluxDB 1.x credentials, sent as HTTP Basic auth. */
  username?: string;
  password?: string;
  /** API token (InfluxDB 2.x/3.x), sent as `Authorization: Token ...`. */
  token?: string;
  /** Retention policy to write to and read from; the database's default when left out. */
  retentionPolicy?: string;
  /** Per-request limit; an answer later than this counts as unavailable. Default 10 s. */
  timeoutMs?: number;
  /**
   * Send `CREATE DATABASE` on open (InfluxDB 1.x; a no-op when it exists). Leave it off for
   * InfluxDB 3, which creates databases on first write and has no InfluxQL `CREATE`.
   */
  createDatabase?: boolean;
  /** Lines per `/write` request. Default 5000. */
  maxLinesPerWrite?: number;
  /**
   * Most requests in flight to InfluxDB at once from this store (default 8); later ones wait
   * their turn in order. A request that finds no free slot within `timeoutMs` is unavailable
   * like one that gets no answer, so a burst of reads queues here instead of piling onto
   * InfluxDB until every one of them times out.
   */
  maxConcurrentRequests?: number;
  /**
   * Where the store waits out `timeoutMs` (an answer, a free slot): real timers by default. A
   * test passes its own to decide when time is up instead of waiting for it.
   */
  timers?: StoreTimers;
  /**
   * Whether `readBuckets` reads the rollups (default true). They are kept up to date either way;
   * false reads only the minute measurements, for benchmarks that compare the two.
   */
  readRollups?: boolean;
  /** Where the one-off rollup build of a database written before rollups is reported. */
  log?: (message: string) => void;
}

/** Schedules the store's time limits. */
export interface StoreTimers {
  /** Call `fire` once `ms` have passed, unless the returned `cancel` is called first. */
  after(ms: number, fire: () => void): () => void;
}

const realTimers: StoreTimers = {
  after(ms, fire) {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

interface StatementResult {
  statement_id?: number;
  series?: Series[];
  error?: string;
}

interface QueryChunk {
  results?: StatementResult[];
  error?: string;
}

const STORE = 'influxdb';
const MAINS = 'mains';
const ESTIMATE = 'estimate';
/** `low_w` and `high_w` of an estimate without a band (see the header). */
const NO_BAND = -1;
const GRID = 'grid';
const SUBMETER = 'submeter';
const MAINS_ROLLUP = 'mains_rollup';
const ESTIMATE_ROLLUP = 'estimate_rollup';
/** Holds one point once every rollup of the database has been built. */
const ROLLUP_STATE = 'rollup_state';
/**
 * Most characters of InfluxQL in one `/query` request of a multi-building rollup refresh: the
 * statements go in the URL (InfluxDB 3 documents GET for the v1 query API), and servers and
 * proxies refuse long ones (InfluxDB 1.x allows 1 MB of headers, many proxies 8-64 KB).
 */
const MAX_QUERY_CHARS = 12_000;
/**
 * Most series one request of a multi-building rollup refresh aggregates: InfluxDB's cost grows
 * with the series (100 buildings' estimates, 11 appliances at 3 levels, took 1.9 s in one
 * request on a loaded 2-core machine), and a request past `timeoutMs` counts as unavailable:
 * 1000 buildings' estimates in requests of about 130 buildings, side by side, took over 10 s.
 */
const MAX_REFRESH_SERIES = 1500;
/** Span of minute data one query of the one-off rollup build covers. */
const BUILD_WINDOW_MS = 30 * 86_400_000;

/** Sums and counts of one series in one bucket, as a rollup keeps them. */
interface BucketSums {
  n: number;
  power: number;
  onProb: number;
  low: number;
  high: number;
  /** Every estimate summed had a band. */
  band: boolean;
}
// InfluxDB holds times as int64 nanoseconds; query bounds outside it are rejected, so a caller's
// "everything" range (e.g. 0 to Number.MAX_SAFE_INTEGER) is clamped to what can exist.
const MIN_TS_MS = -MAX_TS_MS;

/** Time-series store on InfluxDB's v1 HTTP API; open it with {@link InfluxTimeSeriesStore.open}. */
export class InfluxTimeSeriesStore implements TimeSeriesStore {
  readonly kind = STORE;
  private readonly base: URL;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxLines: number;
  private readonly maxInFlight: number;
  private readonly timers: StoreTimers;
  private inFlight = 0;
  private peak = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  /** Tail of each building's writes (write + rollup refresh), so they run in order. */
  private readonly writing = new Map<string, Promise<unknown>>();
  /** Settles once the database's rollups are known to be built (built here if need be). */
  private rollupsReady: Promise<void> | null = null;

  private constructor(private readonly options: InfluxTimeSeriesStoreOptions) {
    if (options.token !== undefined && options.username !== undefined) {
      throw new Error('influxdb: give either token or username/password, not both');
    }
    if (!options.database) throw new Error('influxdb: database is required');
    this.base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.headers = {};
    if (options.token !== undefined) {
      this.headers.Authorization = `Token ${options.token}`;
    } else if (options.username !== undefined) {
      const credentials = `${options.username}:${options.password ?? ''}`;
      this.headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxLines = options.maxLinesPerWrite ?? 5000;
    this.maxInFlight = options.maxConcurrentRequests ?? 8;
    this.timers = options.timers ?? realTimers;
    if (
      !(this.timeoutMs > 0) ||
      !Number.isInteger(this.maxLines) ||
      this.maxLines < 1 ||
      !Number.isInteger(this.maxInFlight) ||
      this.maxInFlight < 1
    ) {
      throw new Error(
        'influxdb: timeoutMs, maxLinesPerWrite and maxConcurrentRequests must be positive',
      );
    }
  }

  /**
   * Make a store; with `createDatabase` it also creates the database, and so rejects with
   * StoreUnavailableError when InfluxDB cannot be reached. Without it, no request is made.
   */
  static async open(options: InfluxTimeSeriesStoreOptions): Promise<InfluxTimeSeriesStore> {
    const store = new InfluxTimeSeriesStore(options);
    if (options.createDatabase) {
      await store.command(`CREATE DATABASE ${ident(options.database)}`);
    }
    return store;
  }

  async writeReadings(buildingId: string, readings: readonly Reading[]): Promise<void> {
    assertReadings(buildingId, readings);
    const prefix = `${MAINS},building=${tagValue(buildingId)} power_w=`;
    const batch = lastWins(readings, (r) => r.ts);
    if (batch.length === 0) return;
    const lines = batch.map((r) => `${prefix}${r.powerW} ${r.ts}`);
    await this.inOrder([buildingId], async () => {
      await this.write(lines);
      await this.refreshRollups(buildingId, MAINS, batch);
    });
  }

  /**
   * All buildings' readings in one line-protocol body per `maxLinesPerWrite` lines, then one
   * rollup refresh for all of them (see refreshRollupsMany); after every write issued before it
   * of any of its buildings, and before any issued after.
   */
  async writeReadingsMany(batches: readonly ReadingsBatch[]): Promise<void> {
    assertReadingsMany(batches);
    const rows = lastWins(
      batches.flatMap(({ buildingId, readings }) =>
        readings.map((r) => ({ buildingId, ts: r.ts, powerW: r.powerW })),
      ),
      (r) => `${r.buildingId} ${r.ts}`,
    );
    if (rows.length === 0) return;
    const lines = rows.map(
      (r) => `${MAINS},building=${tagValue(r.buildingId)} power_w=${r.powerW} ${r.ts}`,
    );
    const spans = spansOf(rows);
    await this.inOrder([...spans.keys()], async () => {
      await this.write(lines);
      await this.refreshRollupsMany(MAINS, spans, 1);
    });
  }

  async readReadings(buildingId: string, startMs: number, endMs: number): Promise<Reading[]> {
    assertBuildingId(buildingId);
    if (!assertRange(startMs, endMs)) return [];
    const [result] = await this.query(
      `SELECT "power_w" FROM ${this.from(MAINS)} WHERE "building" = ${str(buildingId)}` +
        ` AND ${timeRange(startMs, endMs)}`,
    );
    return rows(result).map((row) => ({ ts: num(row.time), powerW: num(row.power_w) }));
  }

  /**
   * readReadings' statement per range, `;`-separated, as many per `/query` request as
   * MAX_QUERY_CHARS allows (about 70): one round trip for a worker's concurrent runs instead of
   * one each. The requests go one after another, each through the store's request slots, so a
   * large call takes one slot at a time instead of crowding out other callers.
   */
  async readReadingsMany(ranges: readonly ReadingsRange[]): Promise<Reading[][]> {
    const nonEmpty = assertRangesMany(ranges);
    const answer: Reading[][] = ranges.map(() => []);
    const requests: Array<Array<{ k: number; q: string }>> = [];
    let size = Infinity;
    ranges.forEach(({ buildingId, startMs, endMs }, k) => {
      if (!nonEmpty[k]) return;
      const q =
        `SELECT "power_w" FROM ${this.from(MAINS)} WHERE "building" = ${str(buildingId)}` +
        ` AND ${timeRange(startMs, endMs)}`;
      if (size + q.length + 2 > MAX_QUERY_CHARS) {
        requests.push([]);
        size = 0;
      }
      requests.at(-1)!.push({ k, q });
      size += q.length + 2;
    });
    for (const statements of requests) {
      const results = await this.query(statements.map(({ q }) => q).join('; '));
      statements.forEach(({ k }, i) => {
        answer[k] = rows(results[i]).map((row) => ({
          ts: num(row.time),
          powerW: num(row.power_w),
        }));
      });
    }
    return answer;
  }

  async latestReadingTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    return this.latest(MAINS, buildingId);
  }

  async earliestReadingTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    return this.earliest(MAINS, buildingId);
  }

  async writeEstimates(
    buildingId: string,
    modelVersion: string,
    points: readonly EstimatePoint[],
  ): Promise<void> {
    assertEstimates(buildingId, modelVersion, points);
    const building = tagValue(buildingId);
    const model = stringField(modelVersion);
    const batch = lastWins(points, (p) => `${p.ts} ${p.appliance}`);
    if (batch.length === 0) return;
    const lines = batch.map(
      (p) =>
        `${ESTIMATE},appliance=${tagValue(p.appliance)},building=${building}` +
        ` on_prob=${p.onProb},power_w=${p.powerW},model=${model},` +
        `low_w=${p.lowW ?? NO_BAND},high_w=${p.highW ?? NO_BAND} ${p.ts}`,
    );
    await this.inOrder([buildingId], async () => {
      await this.write(lines);
      await this.refreshRollups(buildingId, ESTIMATE, batch);
    });
  }

  /** Like writeReadingsMany, for estimates. */
  async writeEstimatesMany(batches: readonly EstimatesBatch[]): Promise<void> {
    assertEstimatesMany(batches);
    const rows = lastWins(
      batches.flatMap(({ buildingId, modelVersion, points }) =>
        points.map((p) => ({ buildingId, modelVersion, p, ts: p.ts })),
      ),
      (r) => `${r.buildingId} ${r.ts} ${r.p.appliance}`,
    );
    if (rows.length === 0) return;
    const lines = rows.map(
      ({ buildingId, modelVersion, p }) =>
        `${ESTIMATE},appliance=${tagValue(p.appliance)},building=${tagValue(buildingId)}` +
        ` on_prob=${p.onProb},power_w=${p.powerW},model=${stringField(modelVersion)},` +
        `low_w=${p.lowW ?? NO_BAND},high_w=${p.highW ?? NO_BAND} ${p.ts}`,
    );
    const spans = spansOf(rows);
    await this.inOrder([...spans.keys()], async () => {
      await this.write(lines);
      // The appliances of this call stand for the building's series in the refreshed buckets.
      await this.refreshRollupsMany(ESTIMATE, spans, new Set(rows.map((r) => r.p.appliance)).size);
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
    const only = appliance !== undefined ? ` AND "appliance" = ${str(appliance)}` : '';
    const [result] = await this.query(
      `SELECT "appliance", "power_w", "on_prob", "low_w", "high_w" FROM ${this.from(ESTIMATE)}` +
        ` WHERE "building" = ${str(buildingId)}${only} AND ${timeRange(startMs, endMs)}`,
    );
    // InfluxDB merges the appliances' series by time; the appliance breaks ties so the order
    // is the same on every run and on every backend.
    return rows(result)
      .map((row) => ({
        ts: num(row.time),
        appliance: String(row.appliance),
        powerW: num(row.power_w),
        onProb: num(row.on_prob),
        lowW: bandBound(row.low_w),
        highW: bandBound(row.high_w),
      }))
      .sort((a, b) => a.ts - b.ts || compareText(a.appliance, b.appliance));
  }

  async latestEstimateTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    return this.latest(ESTIMATE, buildingId);
  }

  async earliestEstimateTs(buildingId: string): Promise<number | null> {
    assertBuildingId(buildingId);
    return this.earliest(ESTIMATE, buildingId);
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
    await this.ensureRollups();
    const plan = planBuckets(startMs, endMs, size, this.options.readRollups ?? true);
    const statements = bucketStatements(plan, size, buildingId, (m) => this.from(m));
    const results = await this.query(statements.map((st) => st.q).join('; '));
    // Sums per (bucket, series) over every part of the plan; '' is the mains.
    const sums = new Map<number, Map<string, BucketSums>>();
    statements.forEach(({ mains }, k) => {
      for (const series of results[k]?.series ?? []) {
        const name = mains ? '' : series.tags?.appliance;
        if (name === undefined) continue;
        for (const row of seriesRows(series)) {
          const part = sumsOf(row);
          if (part === null) continue;
          const ts = num(row.time);
          const inBucket = sums.get(ts) ?? new Map<string, BucketSums>();
          sums.set(ts, inBucket);
          const total = inBucket.get(name);
          inBucket.set(name, total === undefined ? part : addSums(total, part));
        }
      }
    });
    return [...sums.entries()]
      .sort(([a], [b]) => a - b)
      .map(([ts, inBucket]) => {
        const bucket: Bucket = { ts, powerW: null, appliances: {} };
        for (const [name, t] of [...inBucket].sort(([a], [b]) => compareText(a, b))) {
          if (name === '') {
            bucket.powerW = t.power / t.n;
            continue;
          }
          const mean: Bucket['appliances'][string] = {
            powerW: t.power / t.n,
            onProb: t.onProb / t.n,
          };
          if (t.band) {
            mean.lowW = t.low / t.n;
            mean.highW = t.high / t.n;
          }
          bucket.appliances[name] = mean;
        }
        return bucket;
      });
  }

  /**
   * How many stored points `readBuckets` with the same arguments aggregates (minute points plus
   * rollup points): what benchmarks print.
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
    await this.ensureRollups();
    const plan = planBuckets(startMs, endMs, size, this.options.readRollups ?? true);
    const statements = bucketStatements(plan, size, buildingId, (m) => this.from(m), true);
    const results = await this.query(statements.map((st) => st.q).join('; '));
    let count = 0;
    for (const result of results)
      for (const row of rows(result)) count += typeof row.n === 'number' ? row.n : 0;
    return count;
  }

  async writeSubmeter(
    buildingId: string,
    appliance: string,
    readings: readonly Reading[],
  ): Promise<void> {
    assertSubmeter(buildingId, appliance, readings);
    const prefix =
      `${SUBMETER},appliance=${tagValue(appliance)},building=${tagValue(buildingId)}` + ' power_w=';
    const lines = lastWins(readings, (r) => r.ts).map((r) => `${prefix}${r.powerW} ${r.ts}`);
    await this.write(lines);
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
    const [result] = await this.query(
      `SELECT mean("power_w") AS "power_w" FROM ${this.from(SUBMETER)}` +
        ` WHERE "building" = ${str(buildingId)} AND "appliance" = ${str(appliance)}` +
        ` AND ${timeRange(startMs, endMs)} GROUP BY time(${size}ms) fill(none)`,
    );
    return rows(result).map((row) => ({ ts: num(row.time), powerW: num(row.power_w) }));
  }

  async writeGrid(buildingId: string, points: readonly GridPoint[]): Promise<void> {
    assertGrid(buildingId, points);
    const prefix = `${GRID},building=${tagValue(buildingId)} `;
    const lines = lastWins(points, (p) => p.ts).flatMap((p) => {
      // A point that measured nothing has no field to write; InfluxDB needs one.
      const fields = [
        ['import_w', p.importW],
        ['export_w', p.exportW],
        ['production_w', p.productionW],
      ]
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${k}=${v}`);
      if (fields.length === 0 && p.phasesW === undefined) return [];
      // Every phase field is written, an unmeasured phase as 0 W with its count at 0 (see the
      // header), so a rewrite with fewer phases leaves none of the earlier ones behind.
      for (let k = 0; k < MAX_PHASES; k++) {
        const w = p.phasesW?.[k];
        fields.push(`l${k + 1}_w=${w ?? 0},l${k + 1}_n=${w === undefined ? 0 : 1}`);
      }
      return [`${prefix}${fields.join(',')} ${p.ts}`];
    });
    await this.write(lines);
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
    const [result] = await this.query(
      `SELECT mean("import_w") AS "import_w", mean("export_w") AS "export_w",` +
        ` mean("production_w") AS "production_w",` +
        ` sum("l1_w") AS "l1_w", sum("l1_n") AS "l1_n", sum("l2_w") AS "l2_w",` +
        ` sum("l2_n") AS "l2_n", sum("l3_w") AS "l3_w", sum("l3_n") AS "l3_n"` +
        ` FROM ${this.from(GRID)}` +
        ` WHERE "building" = ${str(buildingId)} AND ${timeRange(startMs, endMs)}` +
        ` GROUP BY time(${size}ms) fill(none)`,
    );
    const value = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
    // A phase's mean over the points that measured it: its sum over their count.
    const phase = (w: unknown, n: unknown): number | null => {
      const count = value(n);
      return count === null || count === 0 ? null : num(w) / count;
    };
    return rows(result).map((row) => {
      const point: GridPoint = {
        ts: num(row.time),
        importW: value(row.import_w),
        exportW: value(row.export_w),
        productionW: value(row.production_w),
      };
      const phasesW = phasesOf([
        phase(row.l1_w, row.l1_n),
        phase(row.l2_w, row.l2_n),
        phase(row.l3_w, row.l3_n),
      ]);
      if (phasesW) point.phasesW = phasesW;
      return point;
    });
  }

  /**
   * The rollup points of `levelS` with buckets in [startMs, endMs) (see the contract), and per
   * bucket the grid points' counts and sums (import, export, production, phase L1), grouped
   * from the grid measurement (the grid has no rollup). Rollups written by another process at
   * the same moment can lag (see the header): a cache checked against them then keeps its older
   * answer until the next write in those buckets.
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
    await this.ensureRollups();
    const size = level * 1000;
    const where = (from: number, to: number) =>
      `WHERE "building" = ${str(buildingId)} AND ${timeRange(from, to)}`;
    const inLevel = `${where(startMs, endMs)} AND "level" = '${level}'`;
    // Grid points of the buckets that start in the range, whole.
    const gridFrom = -floorTo(-startMs, size);
    const gridTo = -floorTo(-endMs, size);
    const [mains, estimates, grid] = await this.query(
      [
        `SELECT "n", "power_sum" FROM ${this.from(MAINS_ROLLUP)} ${inLevel}`,
        `SELECT "n", "power_sum", "on_prob_sum", "low_sum", "high_sum", "band"` +
          ` FROM ${this.from(ESTIMATE_ROLLUP)} ${inLevel} GROUP BY "appliance"`,
        `SELECT count("import_w") AS "a", sum("import_w") AS "b", count("export_w") AS "c",` +
          ` sum("export_w") AS "d", count("production_w") AS "e", sum("production_w") AS "f",` +
          ` count("l1_n") AS "g" FROM ${this.from(GRID)} ${where(gridFrom, gridTo)}` +
          ` GROUP BY time(${size}ms) fill(none)`,
      ].join('; '),
    );
    const value = (v: unknown): number | null => (typeof v === 'number' ? v : null);
    const rowsOf = (
      result: StatementResult | undefined,
      kind: RollupRow['kind'],
      columns: readonly string[],
    ): RollupRow[] =>
      (result?.series ?? []).flatMap((series) =>
        seriesRows(series).map((row) => ({
          bucket: num(row.time),
          kind,
          appliance: kind === 'estimates' ? (series.tags?.appliance ?? '') : '',
          values: columns.map((c) => value(row[c])),
        })),
      );
    return [
      ...rowsOf(mains, 'mains', ['n', 'power_sum']),
      ...rowsOf(estimates, 'estimates', [
        'n',
        'power_sum',
        'on_prob_sum',
        'low_sum',
        'high_sum',
        'band',
      ]),
      ...rowsOf(grid, 'grid', ['a', 'b', 'c', 'd', 'e', 'f', 'g']),
    ];
  }

  async deleteBuilding(buildingId: string): Promise<void> {
    assertBuildingId(buildingId);
    // Series are per database (across retention policies), so the names are not qualified.
    await this.command(
      `DROP SERIES FROM ${ident(MAINS)}, ${ident(ESTIMATE)}, ${ident(GRID)}, ${ident(SUBMETER)},` +
        ` ${ident(MAINS_ROLLUP)}, ${ident(ESTIMATE_ROLLUP)} WHERE "building" = ${str(buildingId)}`,
    );
  }

  async ping(): Promise<void> {
    await this.request('GET', 'ping', {});
  }

  /** Later calls reject with StoreUnavailableError; requests in flight finish. */
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /**
   * Run `work` after every write issued before it in this store of any of `buildingIds`; later
   * writes of any of them wait for it. Each write waits only on writes issued before it, so
   * writes of overlapping sets of buildings cannot wait on each other in a cycle.
   */
  private inOrder(buildingIds: readonly string[], work: () => Promise<void>): Promise<void> {
    const run = async () => {
      await this.ensureRollups();
      await work();
    };
    const before = buildingIds.flatMap((id) => this.writing.get(id) ?? []);
    const result = (
      before.length === 0
        ? Promise.resolve()
        : before.length === 1
          ? before[0]!
          : Promise.all(before)
    ).then(run, run);
    const tail = result.catch(() => undefined);
    for (const id of buildingIds) this.writing.set(id, tail);
    void tail.then(() => {
      for (const id of buildingIds) if (this.writing.get(id) === tail) this.writing.delete(id);
    });
    return result;
  }

  /** refreshRollupsMany for one building's batch. */
  private refreshRollups(
    buildingId: string,
    measurement: typeof MAINS | typeof ESTIMATE,
    batch: readonly { ts: number; appliance?: string }[],
  ): Promise<void> {
    let first = batch[0]!.ts;
    let last = first;
    for (const { ts } of batch) {
      if (ts < first) first = ts;
      if (ts > last) last = ts;
    }
    const series = new Set(batch.map((p) => p.appliance)).size;
    return this.refreshRollupsMany(measurement, new Map([[buildingId, [first, last]]]), series);
  }

  /**
   * Recompute and write the rollup points of every bucket, at each level, that each building's
   * span (just written to `measurement`) touches: the 15 min buckets from the minute data, then
   * the 1 h and 1 d buckets from those 15 min points (their sums and counts add up, and `band`
   * is their minimum): one statement grouped by hour over the touched days gives the hours, and
   * summed per day, the days. The coarse levels so aggregate at most 96 points per series
   * instead of every minute of the day, and in one pass over the series instead of one per
   * level (InfluxDB's cost grows with the series a statement touches). The 15 min points
   * outside the span are what earlier refreshes wrote from the minute data.
   */
  private async refreshRollupsMany(
    measurement: typeof MAINS | typeof ESTIMATE,
    spans: ReadonlyMap<string, readonly [number, number]>,
    seriesPerBuilding: number,
  ): Promise<void> {
    await this.refreshPass(measurement, spans, seriesPerBuilding, false);
    await this.refreshPass(measurement, spans, seriesPerBuilding, true);
  }

  /**
   * One pass of refreshRollupsMany: the 15 min buckets from the minute data, or (`coarse`) the
   * hours and days from the 15 min points. Buildings whose spans cover the same buckets (all of
   * them, for live data) share one statement that groups by building; the statements go out in
   * as few requests as MAX_QUERY_CHARS and MAX_REFRESH_SERIES allow, and the rollup points of
   * all buildings in one write (per `maxLinesPerWrite` lines).
   */
  private async refreshPass(
    measurement: typeof MAINS | typeof ESTIMATE,
    spans: ReadonlyMap<string, readonly [number, number]>,
    seriesPerBuilding: number,
    coarse: boolean,
  ): Promise<void> {
    const [quarter, hour, day] = ROLLUP_LEVELS.map((level) => level * 1000) as [
      number,
      number,
      number,
    ];
    // Buckets the statement groups by, and whole buckets of `read` that it reads.
    const by = coarse ? hour : quarter;
    const read = coarse ? day : quarter;
    const groups = new Map<string, { from: number; to: number; ids: string[]; hours: Span }>();
    for (const [id, [first, last]] of spans) {
      const from = floorTo(first, read);
      const to = floorTo(last, read) + read;
      const hours = { from: floorTo(first, hour), to: floorTo(last, hour) + hour };
      const key = `${from} ${to} ${hours.from} ${hours.to}`;
      const group = groups.get(key) ?? { from, to, ids: [], hours };
      groups.set(key, group);
      group.ids.push(id);
    }
    const tags = measurement === ESTIMATE ? '"building", "appliance"' : '"building"';
    const source = coarse
      ? `${ROLLUP_SUMS[measurement]} FROM ${this.from(ROLLUP_OF[measurement])}` +
        ` WHERE "level" = '${ROLLUP_LEVELS[0]}' AND`
      : `${SUMS[measurement]} FROM ${this.from(measurement)} WHERE`;
    // Series per building: one for the mains, one per appliance estimated for estimates (known
    // only from the data; the batches' own appliances are a fair guess, see the callers).
    const perBuilding = Math.max(1, seriesPerBuilding);
    const maxIds = Math.max(1, Math.floor(MAX_REFRESH_SERIES / perBuilding));
    const statements: Array<{ q: string; ids: number; hours: Span }> = [];
    for (const { from, to, ids, hours } of groups.values()) {
      // Building ids are ^[a-zA-Z0-9_-]+$ (validated): safe inside a regex as they are.
      for (const chunk of chunkByLength(ids, MAX_QUERY_CHARS - 400, maxIds)) {
        const which =
          chunk.length === 1
            ? `"building" = ${str(chunk[0]!)}`
            : `"building" =~ /^(?:${chunk.join('|')})$/`;
        statements.push({
          ids: chunk.length,
          hours,
          q:
            `${source} ${which} AND ${timeRange(from, to)}` +
            ` GROUP BY time(${by}ms), ${tags} fill(none)`,
        });
      }
    }
    // Statements packed into requests (within MAX_QUERY_CHARS, and MAX_REFRESH_SERIES counting
    // each chunk's buildings per statement), one at a time: side by side they only shared the
    // server's CPU, and each took longer than the time limit.
    const requests: Array<typeof statements> = [];
    let size = Infinity;
    let series = Infinity;
    for (const st of statements) {
      if (
        size + st.q.length + 2 > MAX_QUERY_CHARS ||
        series + st.ids * perBuilding > MAX_REFRESH_SERIES
      ) {
        requests.push([]);
        size = 0;
        series = 0;
      }
      requests.at(-1)!.push(st);
      size += st.q.length + 2;
      series += st.ids * perBuilding;
    }
    const lines: string[] = [];
    for (const sts of requests) {
      const results = await this.query(sts.map((st) => st.q).join('; '));
      sts.forEach(({ hours }, k) => {
        for (const one of results[k]?.series ?? []) {
          const line = (level: RollupLevel, ts: number, sums: BucketSums) =>
            rollupLine(measurement, level, one.tags ?? {}, ts, sums);
          const days = new Map<number, BucketSums>();
          for (const row of seriesRows(one)) {
            const sums = sumsOf(row);
            if (sums === null) continue;
            const ts = num(row.time);
            if (!coarse) {
              lines.push(line(ROLLUP_LEVELS[0], ts, sums));
              continue;
            }
            if (ts >= hours.from && ts < hours.to) lines.push(line(ROLLUP_LEVELS[1], ts, sums));
            const d = floorTo(ts, day);
            const sum = days.get(d);
            days.set(d, sum === undefined ? sums : addSums(sum, sums));
          }
          for (const [d, sums] of days) lines.push(line(ROLLUP_LEVELS[2], d, sums));
        }
      });
    }
    await this.write(lines);
  }

  /** Build the rollups once if this database has minute data from before them. */
  private ensureRollups(): Promise<void> {
    this.rollupsReady ??= this.buildRollupsOnce().catch((error: unknown) => {
      // Asked again on the next call: an outage must not leave the store without rollups.
      this.rollupsReady = null;
      throw error;
    });
    return this.rollupsReady;
  }

  private async buildRollupsOnce(): Promise<void> {
    const [state] = await this.query(`SELECT last("built") FROM ${this.from(ROLLUP_STATE)}`);
    if (rows(state).length > 0) return;
    const started = Date.now();
    let points = 0;
    for (const measurement of [MAINS, ESTIMATE] as const) {
      const [firstRow, lastRow] = await this.query(
        `SELECT first("power_w") FROM ${this.from(measurement)};` +
          ` SELECT last("power_w") FROM ${this.from(measurement)}`,
      );
      const [oldest] = rows(firstRow);
      const [newest] = rows(lastRow);
      if (oldest === undefined || newest === undefined) continue;
      const day = ROLLUP_LEVELS.at(-1)! * 1000;
      for (
        let from = floorTo(num(oldest.time), day);
        from <= num(newest.time);
        from += BUILD_WINDOW_MS
      ) {
        const span = timeRange(from, from + BUILD_WINDOW_MS);
        const group = measurement === ESTIMATE ? ', "building", "appliance"' : ', "building"';
        const results = await this.query(
          ROLLUP_LEVELS.map(
            (level) =>
              `${SUMS[measurement]} FROM ${this.from(measurement)} WHERE ${span}` +
              ` GROUP BY time(${level * 1000}ms)${group} fill(none)`,
          ).join('; '),
        );
        const lines = ROLLUP_LEVELS.flatMap((level, k) =>
          rollupLines(measurement, level, results[k]?.series ?? []),
        );
        points += lines.length;
        await this.write(lines);
      }
    }
    // Now, not at 0: a retention policy refuses points older than it keeps. Once it drops this
    // point the next store to open rebuilds the rollups, which rewrites the same values.
    await this.write([`${ROLLUP_STATE} built=1 ${Date.now()}`]);
    if (points > 0)
      this.options.log?.(
        `influxdb: built the 15 min / 1 h / 1 d rollups of existing data (${points} points) in ${Date.now() - started} ms`,
      );
  }

  private async latest(measurement: string, buildingId: string): Promise<number | null> {
    const [result] = await this.query(
      `SELECT last("power_w") FROM ${this.from(measurement)} WHERE "building" = ${str(buildingId)}`,
    );
    const [row] = rows(result);
    return row ? num(row.time) : null;
  }

  // FIRST() over all series of the building (every appliance's, for estimates): the oldest point.
  private async earliest(measurement: string, buildingId: string): Promise<number | null> {
    const [result] = await this.query(
      `SELECT first("power_w") FROM ${this.from(measurement)} WHERE "building" = ${str(buildingId)}`,
    );
    const [row] = rows(result);
    return row ? num(row.time) : null;
  }

  /** The measurement, qualified with database and retention policy when one is set. */
  private from(measurement: string): string {
    const rp = this.options.retentionPolicy;
    return rp === undefined
      ? ident(measurement)
      : `${ident(this.options.database)}.${ident(rp)}.${ident(measurement)}`;
  }

  private async write(lines: readonly string[]): Promise<void> {
    const params: Record<string, string> = { db: this.options.database, precision: 'ms' };
    if (this.options.retentionPolicy !== undefined) params.rp = this.options.retentionPolicy;
    // One chunk at a time: a later chunk must not overtake an earlier one, or a point written
    // twice in a batch could end with the wrong value.
    for (let i = 0; i < lines.length; i += this.maxLines) {
      const body = lines.slice(i, i + this.maxLines).join('\n');
      await this.request('POST', 'write', params, body);
    }
  }

  /** Run SELECT statements; one result per statement, series merged across chunks. */
  private async query(q: string): Promise<StatementResult[]> {
    const params: Record<string, string> = {
      db: this.options.database,
      q,
      epoch: 'ms',
      // Chunked answers are not cut at the server's max-row-limit.
      chunked: 'true',
      chunk_size: '10000',
    };
    const text = await this.request('GET', 'query', params);
    return parseQueryAnswer(text);
  }

  /** Run a statement that changes the database (InfluxDB 1.x wants those as POST). */
  private async command(q: string): Promise<void> {
    const form = new URLSearchParams({ q });
    const text = await this.request('POST', 'query', { db: this.options.database }, form);
    parseQueryAnswer(text);
  }

  /** Most requests that were in flight at once since the store opened (for benches). */
  get peakRequests(): number {
    return this.peak;
  }

  /** Wait for one of the `maxConcurrentRequests` slots, at most `timeoutMs`. */
  private async acquire(): Promise<void> {
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++;
      this.peak = Math.max(this.peak, this.inFlight);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        cancel();
        resolve();
      };
      const cancel = this.timers.after(this.timeoutMs, () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(
          new StoreUnavailableError(
            STORE,
            `no free request slot within ${this.timeoutMs} ms (${this.maxInFlight} in flight)`,
          ),
        );
      });
      this.waiting.push(grant);
    });
  }

  /** Hand the slot to the longest waiter, or free it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    params: Record<string, string>,
    /** Line protocol (sent as text/plain) or a form (fetch sets its content type). */
    body?: string | URLSearchParams,
  ): Promise<string> {
    if (this.closed) throw new StoreUnavailableError(STORE, 'the store is closed');
    await this.acquire();
    try {
      return await this.send(method, path, params, body);
    } finally {
      this.release();
    }
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    params: Record<string, string>,
    body?: string | URLSearchParams,
  ): Promise<string> {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const headers: Record<string, string> = { ...this.headers };
    if (typeof body === 'string') headers['Content-Type'] = 'text/plain; charset=utf-8';
    let status: number;
    let text: string;
    // The limit covers the whole answer, body included.
    const limit = new AbortController();
    const cancel = this.timers.after(this.timeoutMs, () => limit.abort());
    try {
      const response = await fetch(url, { method, headers, body, signal: limit.signal });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const reason = limit.signal.aborted
        ? `no answer within ${this.timeoutMs} ms`
        : describeNetworkError(error);
      // Origin and path only: the query string can carry a long InfluxQL statement.
      const where = `${url.origin}${url.pathname}`;
      throw new StoreUnavailableError(STORE, `${method} ${where}: ${reason}`, error);
    } finally {
      cancel();
    }
    if (status >= 200 && status < 300) return text;
    const message = `${method} /${path} answered ${status}: ${errorMessage(text)}`;
    // 408 and 429 are the server asking to come back later; other 4xx are bad requests that a
    // retry would repeat.
    if (status >= 500 || status === 408 || status === 429) {
      throw new StoreUnavailableError(STORE, message);
    }
    throw new Error(`influxdb rejected the request: ${message}`);
  }
}

/**
 * What a rollup keeps of a bucket of minute data. For estimates, `low_min` and `low_n` say
 * whether every estimate had a band (none stored at -1, none without the fields).
 */
const SUMS = {
  [MAINS]: 'SELECT count("power_w") AS "n", sum("power_w") AS "power_sum"',
  [ESTIMATE]:
    'SELECT count("power_w") AS "n", sum("power_w") AS "power_sum",' +
    ' sum("on_prob") AS "on_prob_sum", sum("low_w") AS "low_sum", sum("high_w") AS "high_sum",' +
    ' count("low_w") AS "low_n", min("low_w") AS "low_min"',
};

/** What a coarser bucket keeps of the rollup points within it: their sums, all banded or not. */
const ROLLUP_SUMS = {
  [MAINS]: 'SELECT sum("n") AS "n", sum("power_sum") AS "power_sum"',
  [ESTIMATE]:
    'SELECT sum("n") AS "n", sum("power_sum") AS "power_sum",' +
    ' sum("on_prob_sum") AS "on_prob_sum", sum("low_sum") AS "low_sum",' +
    ' sum("high_sum") AS "high_sum", min("band") AS "band"',
};

/** A rollup point's fields as stored, under the names ROLLUP_SUMS gives their sums. */
const ROLLUP_FIELDS = {
  [MAINS]: 'SELECT "n", "power_sum"',
  [ESTIMATE]: 'SELECT "n", "power_sum", "on_prob_sum", "low_sum", "high_sum", "band"',
};

/** The rollup measurement of each minute measurement. */
const ROLLUP_OF = { [MAINS]: MAINS_ROLLUP, [ESTIMATE]: ESTIMATE_ROLLUP };

/** Rollup points of one level from a bucketed sums query's series (tags: building, appliance). */
function rollupLines(
  measurement: typeof MAINS | typeof ESTIMATE,
  level: RollupLevel,
  series: readonly Series[],
): string[] {
  return series.flatMap((one) =>
    seriesRows(one).flatMap((row) => {
      const sums = sumsOf(row);
      return sums === null
        ? []
        : [rollupLine(measurement, level, one.tags ?? {}, num(row.time), sums)];
    }),
  );
}

/** The rollup point of one series (by its query tags: building, appliance) and bucket. */
function rollupLine(
  measurement: typeof MAINS | typeof ESTIMATE,
  level: RollupLevel,
  tags: Record<string, string>,
  ts: number,
  sums: BucketSums,
): string {
  const building = tagValue(tags.building ?? '');
  return measurement === MAINS
    ? `${MAINS_ROLLUP},building=${building},level=${level} n=${sums.n},power_sum=${sums.power} ${ts}`
    : `${ESTIMATE_ROLLUP},appliance=${tagValue(tags.appliance ?? '')},building=${building},` +
        `level=${level} n=${sums.n},power_sum=${sums.power},on_prob_sum=${sums.onProb},` +
        `low_sum=${sums.low},high_sum=${sums.high},band=${sums.band ? 1 : 0} ${ts}`;
}

/**
 * Sums of one bucketed row, from minute data (`low_n`, `low_min`) or from rollups (`band`);
 * null for a row without points.
 */
function sumsOf(row: Record<string, unknown>): BucketSums | null {
  const n = typeof row.n === 'number' ? row.n : 0;
  if (n === 0) return null;
  const value = (v: unknown) => (typeof v === 'number' ? v : 0);
  const band =
    'band' in row
      ? row.band === 1
      : row.low_n === n && typeof row.low_min === 'number' && row.low_min >= 0;
  return {
    n,
    power: num(row.power_sum),
    onProb: value(row.on_prob_sum),
    low: value(row.low_sum),
    high: value(row.high_sum),
    band,
  };
}

function addSums(a: BucketSums, b: BucketSums): BucketSums {
  return {
    n: a.n + b.n,
    power: a.power + b.power,
    onProb: a.onProb + b.onProb,
    low: a.low + b.low,
    high: a.high + b.high,
    band: a.band && b.band,
  };
}

/**
 * The statements of a bucket read: per part of the plan, the mains' and the estimates' sums per
 * bucket of `size` (minute data or rollup points); with `countOnly`, how many points each reads.
 */
function bucketStatements(
  plan: BucketPlan,
  size: number,
  buildingId: string,
  from: (measurement: string) => string,
  countOnly = false,
): Array<{ q: string; mains: boolean }> {
  const building = `"building" = ${str(buildingId)}`;
  const out: Array<{ q: string; mains: boolean }> = [];
  const group = (mains: boolean) =>
    countOnly ? '' : ` GROUP BY time(${size}ms)${mains ? '' : ', "appliance"'} fill(none)`;
  for (const { from: a, to: b } of plan.base) {
    for (const mains of [true, false]) {
      const select = countOnly ? 'SELECT count("power_w") AS "n"' : SUMS[mains ? MAINS : ESTIMATE];
      out.push({
        q:
          `${select} FROM ${from(mains ? MAINS : ESTIMATE)} WHERE ${building}` +
          ` AND ${timeRange(a, b)}${group(mains)}`,
        mains,
      });
    }
  }
  for (const { level, span } of plan.rollups) {
    // A bucket the size of the level is one rollup point: its fields as stored, without
    // InfluxDB's GROUP BY time (2,160 rows of a 30-day chart at 1 h: 12-15 ms against 47-102 ms).
    const asStored = !countOnly && level * 1000 === size;
    for (const mains of [true, false]) {
      const select = countOnly
        ? 'SELECT count("n") AS "n"'
        : asStored
          ? ROLLUP_FIELDS[mains ? MAINS : ESTIMATE]
          : ROLLUP_SUMS[mains ? MAINS : ESTIMATE];
      out.push({
        q:
          `${select} FROM ${from(ROLLUP_OF[mains ? MAINS : ESTIMATE])}` +
          ` WHERE ${building} AND "level" = '${level}' AND ${timeRange(span.from, span.to)}` +
          (asStored ? (mains ? '' : ' GROUP BY "appliance"') : group(mains)),
        mains,
      });
    }
  }
  return out;
}

/** Earliest and latest time per building of a multi-building write. */
function spansOf(
  rows: readonly { buildingId: string; ts: number }[],
): Map<string, [number, number]> {
  const spans = new Map<string, [number, number]>();
  for (const { buildingId, ts } of rows) {
    const span = spans.get(buildingId);
    if (span === undefined) spans.set(buildingId, [ts, ts]);
    else {
      if (ts < span[0]) span[0] = ts;
      if (ts > span[1]) span[1] = ts;
    }
  }
  return spans;
}

/**
 * Consecutive runs of at most `most` of `ids` whose lengths (plus a separator each) stay within
 * `budget`.
 */
function chunkByLength(ids: readonly string[], budget: number, most: number): string[][] {
  const chunks: string[][] = [];
  let used = Infinity;
  for (const id of ids) {
    if (used + id.length + 1 > budget || chunks.at(-1)!.length >= most) {
      chunks.push([]);
      used = 0;
    }
    chunks.at(-1)!.push(id);
    used += id.length + 1;
  }
  return chunks;
}

/** Parse a (possibly chunked, newline-delimited) `/query` answer; InfluxQL errors throw. */
function parseQueryAnswer(text: string): StatementResult[] {
  const statements: StatementResult[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const chunk = JSON.parse(line) as QueryChunk;
    if (chunk.error) throw new Error(`influxdb rejected the query: ${chunk.error}`);
    for (const result of chunk.results ?? []) {
      if (result.error) throw new Error(`influxdb rejected the query: ${result.error}`);
      const id = result.statement_id ?? 0;
      const statement = (statements[id] ??= { statement_id: id, series: [] });
      statement.series!.push(...(result.series ?? []));
    }
  }
  return statements;
}

/** Rows of all series of one statement, as objects keyed by column name. */
function rows(result: StatementResult | undefined): Record<string, unknown>[] {
  return (result?.series ?? []).flatMap(seriesRows);
}

function seriesRows(series: Series): Record<string, unknown>[] {
  return series.values.map((values) =>
    Object.fromEntries(series.columns.map((column, i) => [column, values[i]])),
  );
}

function num(value: unknown): number {
  if (typeof value !== 'number') throw new Error(`influxdb: expected a number, got ${value}`);
  return value;
}

/** A stored band bound: null when the field is missing (older points) or the -1 of "no band". */
function bandBound(value: unknown): number | null {
  return typeof value === 'number' && value >= 0 ? value : null;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function timeRange(startMs: number, endMs: number): string {
  const clamp = (ms: number) => Math.min(Math.max(ms, MIN_TS_MS), MAX_TS_MS + 1);
  return `time >= ${clamp(startMs)}ms AND time < ${clamp(endMs)}ms`;
}

/** Line protocol tag value: comma, equals sign and space are escaped. */
function tagValue(value: string): string {
  return value.replace(/[,= ]/g, (c) => `\\${c}`);
}

/** Line protocol string field value: double quotes and backslashes are escaped. */
function stringField(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** InfluxQL double-quoted identifier. */
function ident(name: string): string {
  return `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** InfluxQL single-quoted string literal: no input can end the literal early. */
function str(value: string): string {
  const escaped = value.replace(/['\\]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
  return `'${escaped}'`;
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const message = parsed.error ?? parsed.message;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON (a proxy's HTML page, say): show the start of it.
  }
  return text.slice(0, 300) || '(empty body)';
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici wraps the socket error ("fetch failed") and keeps the useful part in `cause`.
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}
