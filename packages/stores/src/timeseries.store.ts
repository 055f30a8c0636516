/**
 * The time-series store contract: mains readings and per-appliance estimates per building.
 * Implementations: DuckDB (embedded default) and InfluxDB through its v1 HTTP API (InfluxDB
 * 1.x and 3.x). Every implementation passes `timeseries.conformance.ts`.
 *
 * Contract:
 * - Times are epoch milliseconds (UTC); ranges are [startMs, endMs).
 * - Writes are idempotent: the same (building, ts) reading, or (building, appliance, ts)
 *   estimate, written twice is stored once (the last write wins).
 * - A write is all-or-nothing from the caller's view: it resolves only when every point is
 *   durable, and rejects with StoreUnavailableError when the store cannot be reached (the
 *   caller may retry the whole batch safely thanks to idempotency).
 * - Reads return points sorted by time.
 * - A sub-meter's readings (a smart plug bound to one appliance) are a series of their own per
 *   (building, appliance), never part of the mains readings nor of the estimates.
 */

/** One mains reading. */
export interface Reading {
  ts: number;
  powerW: number;
}

/** One per-appliance estimate at one time. */
export interface EstimatePoint {
  ts: number;
  appliance: string;
  powerW: number;
  onProb: number;
  /**
   * The model's band around `powerW` (W, meant to hold the true power 90 % of the time), both
   * or neither; null (or left out on write) when the model gives none. Reads return null for
   * estimates stored without one (older rows).
   */
  lowW?: number | null;
  highW?: number | null;
}

/** Mean values over one time bucket. */
export interface Bucket {
  /** Bucket start, epoch ms, aligned to multiples of the bucket size. */
  ts: number;
  /** Mean mains power in the bucket, null when no reading fell in it. */
  powerW: number | null;
  /**
   * Mean estimated power and on-probability per appliance in the bucket, and the mean band
   * (`lowW`, `highW`) when every estimate of the appliance in the bucket has one (left out
   * otherwise).
   */
  appliances: Record<string, { powerW: number; onProb: number; lowW?: number; highW?: number }>;
}

/**
 * What the meter measured at the grid connection and on site at one time, beside the household
 * consumption stored as the reading (consumption = import - export + production). Each value is
 * watts >= 0, or null when the meter does not measure it.
 */
export interface GridPoint {
  ts: number;
  importW: number | null;
  exportW: number | null;
  productionW: number | null;
  /**
   * Signed net power per phase (W, import positive), L1 first, 1 to {@link MAX_PHASES} values;
   * left out when the meter does not measure phases. A bucket read gives each phase's mean over
   * the points that measured it, so a list there is as long as the longest one in the bucket.
   */
  phasesW?: readonly number[];
}

/**
 * What a rollup bucket holds of one series (`readRollupRows`): the mains, one appliance's
 * estimates, or the grid points (which have no rollup: their counts and sums per bucket come
 * from the stored points). `values` are the counts and sums the store keeps for the series, in
 * a fixed order per kind; null where no point carried the value.
 */
export interface RollupRow {
  /** Bucket start, epoch ms, a multiple of the level's size. */
  bucket: number;
  kind: 'mains' | 'estimates' | 'grid';
  /** The appliance for estimates, '' otherwise. */
  appliance: string;
  values: readonly (number | null)[];
}

/** One building's part of a multi-building readings write. */
export interface ReadingsBatch {
  buildingId: string;
  readings: readonly Reading[];
}

/** One building's part of a multi-building estimates write. */
export interface EstimatesBatch {
  buildingId: string;
  modelVersion: string;
  points: readonly EstimatePoint[];
}

/** One building's part of a multi-building readings read. */
export interface ReadingsRange {
  buildingId: string;
  startMs: number;
  endMs: number;
}

/** Most phases a grid point holds (L1..L3). */
export const MAX_PHASES = 3;

/**
 * Reads and writes in flight together: a call sees every write that resolved before it was
 * issued. Only DuckDB promises more: a read of a building issued after a write of it was issued
 * (not yet resolved) waits for that write. InfluxDB reads go out at once and may miss a write
 * still in flight; its callers (ingest, then the worker) read only after their write resolved.
 */
export interface TimeSeriesStore {
  /** Short name for logs and /ready: 'duckdb' or 'influxdb'. */
  readonly kind: string;
  writeReadings(buildingId: string, readings: readonly Reading[]): Promise<void>;
  /**
   * Write many buildings' readings in one store call: the same result as writeReadings per
   * batch in order (a building may appear more than once; the last write of a time wins),
   * validated as a whole first (one bad batch: nothing written, the error names its building).
   * It costs about one single-building write, not one per building: what lets one process keep
   * up with thousands of homes (issue 16).
   */
  writeReadingsMany(batches: readonly ReadingsBatch[]): Promise<void>;
  readReadings(buildingId: string, startMs: number, endMs: number): Promise<Reading[]>;
  /**
   * readReadings for each range, in one store call where the backend allows: the answer has one
   * array per range, in order, each exactly what readReadings would answer (a building may
   * appear more than once; an empty range or unknown building answers []). Every range is
   * validated first (one bad range: nothing read, the error names its place and building). On a
   * store whose recent rows are not kept by building, concurrent runs' reads then share one scan
   * of them instead of one scan each (issue 16).
   */
  readReadingsMany(ranges: readonly ReadingsRange[]): Promise<Reading[][]>;
  /** Time of the newest reading of a building, or null. */
  latestReadingTs(buildingId: string): Promise<number | null>;
  /** Time of the oldest reading of a building, or null. */
  earliestReadingTs(buildingId: string): Promise<number | null>;
  /** Write estimates; `modelVersion` is stored with them (`id@version`). */
  writeEstimates(
    buildingId: string,
    modelVersion: string,
    points: readonly EstimatePoint[],
  ): Promise<void>;
  /** Likewise for estimates: writeEstimates per batch in order, in one store call. */
  writeEstimatesMany(batches: readonly EstimatesBatch[]): Promise<void>;
  /** Estimates in [startMs, endMs), of every appliance or only of `appliance` when given. */
  readEstimates(
    buildingId: string,
    startMs: number,
    endMs: number,
    appliance?: string,
  ): Promise<EstimatePoint[]>;
  /** Time of the newest estimate of a building, or null. */
  latestEstimateTs(buildingId: string): Promise<number | null>;
  /** Time of the oldest estimate of a building (any appliance), or null. */
  earliestEstimateTs(buildingId: string): Promise<number | null>;
  /** Mean readings and estimates per bucket of `bucketS` seconds; empty buckets are left out. */
  readBuckets(
    buildingId: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<Bucket[]>;
  /**
   * The rollup rows at `levelS` seconds (900, 3600 or 86400) whose buckets start in
   * [startMs, endMs), in no particular order: a fingerprint of what each bucket holds, for
   * caches of results derived from its points. A write that adds, removes or changes a reading,
   * estimate or grid point changes its bucket's rows (unless the changed values leave every
   * count and sum of the series as it was). Optional: a store without it gets no such cache.
   */
  readRollupRows?(
    buildingId: string,
    startMs: number,
    endMs: number,
    levelS: number,
  ): Promise<RollupRow[]>;
  /** Write grid measurements (import, export, production); idempotent per (building, ts). */
  writeGrid(buildingId: string, points: readonly GridPoint[]): Promise<void>;
  /**
   * Mean grid measurements per bucket of `bucketS` seconds (buckets without any left out); a
   * value no point of the bucket measured is null.
   */
  readGridBuckets(
    buildingId: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<GridPoint[]>;
  /**
   * Write what a building's sub-meter measured for `appliance` (W >= 0), apart from the mains;
   * idempotent per (building, appliance, ts).
   */
  writeSubmeter(buildingId: string, appliance: string, readings: readonly Reading[]): Promise<void>;
  /**
   * A sub-meter's mean power per bucket of `bucketS` seconds (bucket start in `ts`, aligned like
   * readBuckets); buckets without any reading are left out.
   */
  readSubmeterBuckets(
    buildingId: string,
    appliance: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<Reading[]>;
  /** Remove every point of a building (tests, account deletion). */
  deleteBuilding(buildingId: string): Promise<void>;
  /** Resolve when the store answers; reject with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store cannot be reached or refused the operation for a transient reason: retry later. */
export class StoreUnavailableError extends Error {
  /** The error catalogue's code (@nilm/contracts). */
  readonly code = 'STORE_UNAVAILABLE';
  constructor(
    readonly store: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(`${store} unavailable: ${message}`);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The newest time every backend can hold: InfluxDB keeps nanoseconds in an int64, which ends
 * in April 2262. Checked on write so a batch that one backend accepts is accepted by all.
 */
export const MAX_TS_MS = 9_223_372_036_854;

const BUILDING_ID = /^[a-zA-Z0-9_-]{1,64}$/;
// Appliance names are free text, but InfluxDB's line protocol cannot express a backslash before
// a space, comma or equals sign (or at the end of a tag value), nor any newline; refusing them
// everywhere keeps the backends interchangeable.
// eslint-disable-next-line no-control-regex
const FREE_TEXT_FORBIDDEN = /[\u0000-\u001f\u007f\\]/;

function fail(message: string): never {
  throw new Error(`${message}; nothing was written`);
}

/** Reject a building id outside `^[a-zA-Z0-9_-]{1,64}$` (plain Error: bad input, not retryable). */
export function assertBuildingId(buildingId: string): void {
  if (!BUILDING_ID.test(buildingId)) {
    throw new Error(
      `invalid building id ${JSON.stringify(buildingId)}: expected ^[a-zA-Z0-9_-]{1,64}$`,
    );
  }
}

function assertTs(ts: number, where: string): void {
  if (!Number.isSafeInteger(ts) || ts < 0 || ts > MAX_TS_MS) {
    fail(
      `${where}: ts must be an integer number of epoch milliseconds in [0, ${MAX_TS_MS}], got ${ts}`,
    );
  }
}

function assertFinite(value: number, name: string, where: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(`${where}: ${name} must be a finite number, got ${value}`);
  }
}

function assertFreeText(value: string, name: string, maxLength: number, where: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    fail(`${where}: ${name} must be 1 to ${maxLength} characters`);
  }
  if (FREE_TEXT_FORBIDDEN.test(value)) {
    fail(`${where}: ${name} ${JSON.stringify(value)} contains a control character or a backslash`);
  }
}

/** Validate a whole batch of readings before any of it is written. */
export function assertReadings(buildingId: string, readings: readonly Reading[]): void {
  assertBuildingId(buildingId);
  readings.forEach((r, i) => {
    const where = `reading ${i} of building ${buildingId}`;
    assertTs(r.ts, where);
    assertFinite(r.powerW, 'powerW', where);
  });
}

/**
 * Validate every batch of a multi-building readings write before any of it is written; the
 * error names the batch's building (and its place in the call).
 */
export function assertReadingsMany(batches: readonly ReadingsBatch[]): void {
  if (!Array.isArray(batches))
    fail('writeReadingsMany: expected an array of { buildingId, readings }');
  batches.forEach((b, k) => {
    if (!Array.isArray(b?.readings))
      fail(`batch ${k} (building ${String(b?.buildingId)}): readings must be an array`);
    assertReadings(b.buildingId, b.readings);
  });
}

/** Validate every batch of a multi-building estimates write before any of it is written. */
export function assertEstimatesMany(batches: readonly EstimatesBatch[]): void {
  if (!Array.isArray(batches))
    fail('writeEstimatesMany: expected an array of { buildingId, modelVersion, points }');
  batches.forEach((b, k) => {
    if (!Array.isArray(b?.points))
      fail(`batch ${k} (building ${String(b?.buildingId)}): points must be an array`);
    assertEstimates(b.buildingId, b.modelVersion, b.points);
  });
}

/** Validate a sub-meter's batch (and its appliance name) before any of it is written. */
export function assertSubmeter(
  buildingId: string,
  appliance: string,
  readings: readonly Reading[],
): void {
  assertBuildingId(buildingId);
  assertFreeText(appliance, 'appliance', 128, `sub-meter readings of building ${buildingId}`);
  readings.forEach((r, i) => {
    const where = `sub-meter reading ${i} of building ${buildingId}`;
    assertTs(r.ts, where);
    assertFinite(r.powerW, 'powerW', where);
    if (r.powerW < 0) fail(`${where}: powerW must be >= 0, got ${r.powerW}`);
  });
}

/** Validate a whole batch of grid points before any of it is written. */
export function assertGrid(buildingId: string, points: readonly GridPoint[]): void {
  assertBuildingId(buildingId);
  points.forEach((p, i) => {
    const where = `grid point ${i} of building ${buildingId}`;
    assertTs(p.ts, where);
    for (const [name, v] of [
      ['importW', p.importW],
      ['exportW', p.exportW],
      ['productionW', p.productionW],
    ] as const) {
      if (v === null) continue;
      assertFinite(v, name, where);
      if (v < 0) fail(`${where}: ${name} must be >= 0, got ${v}`);
    }
    if (p.phasesW === undefined) return;
    if (!Array.isArray(p.phasesW) || p.phasesW.length < 1 || p.phasesW.length > MAX_PHASES)
      fail(`${where}: phasesW must hold 1 to ${MAX_PHASES} values (L1 first), or be left out`);
    p.phasesW.forEach((v, k) => assertFinite(v, `phasesW[${k}]`, where));
  });
}

/**
 * The phase list of a bucket from its per-phase means (null: no point of the bucket measured
 * that phase): the leading known phases, or undefined when L1 is unknown. Phase lists always
 * start at L1, so a known phase never follows an unknown one.
 */
export function phasesOf(means: readonly (number | null)[]): number[] | undefined {
  const known: number[] = [];
  for (const m of means) {
    if (m === null) break;
    known.push(m);
  }
  return known.length === 0 ? undefined : known;
}

/** Validate a whole batch of estimates and its model version before any of it is written. */
export function assertEstimates(
  buildingId: string,
  modelVersion: string,
  points: readonly EstimatePoint[],
): void {
  assertBuildingId(buildingId);
  assertFreeText(modelVersion, 'modelVersion', 200, `estimates of building ${buildingId}`);
  points.forEach((p, i) => {
    const where = `estimate ${i} of building ${buildingId}`;
    assertTs(p.ts, where);
    assertFreeText(p.appliance, 'appliance', 128, where);
    assertFinite(p.powerW, 'powerW', where);
    assertFinite(p.onProb, 'onProb', where);
    assertBand(p, where);
  });
}

/** A band is both bounds or neither, finite, with 0 <= lowW <= highW. */
function assertBand(p: EstimatePoint, where: string): void {
  const low = p.lowW ?? null;
  const high = p.highW ?? null;
  if (low === null && high === null) return;
  if (low === null || high === null)
    fail(`${where}: give both lowW and highW, or neither (got ${low} and ${high})`);
  assertFinite(low, 'lowW', where);
  assertFinite(high, 'highW', where);
  if (low < 0 || low > high)
    fail(`${where}: the band needs 0 <= lowW <= highW, got ${low}..${high}`);
}

/** Validate a read range; returns false when it is empty (startMs >= endMs). */
export function assertRange(startMs: number, endMs: number): boolean {
  if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(endMs)) {
    throw new Error(
      `invalid range [${startMs}, ${endMs}): bounds must be integer epoch milliseconds`,
    );
  }
  return startMs < endMs;
}

/**
 * Validate every range of a multi-building read before anything is read; returns, per range,
 * whether it is non-empty (startMs < endMs). The error names the range's place and building.
 */
export function assertRangesMany(ranges: readonly ReadingsRange[]): boolean[] {
  if (!Array.isArray(ranges))
    throw new Error('readReadingsMany: expected an array of { buildingId, startMs, endMs }');
  return ranges.map((r, k) => {
    try {
      if (typeof r !== 'object' || r === null)
        throw new Error('expected { buildingId, startMs, endMs }');
      assertBuildingId(r.buildingId);
      return assertRange(r.startMs, r.endMs);
    } catch (error) {
      const building = typeof r === 'object' && r !== null ? String(r.buildingId) : '?';
      throw new Error(
        `range ${k} (building ${building}): ${error instanceof Error ? error.message : String(error)}; nothing was read`,
        { cause: error },
      );
    }
  });
}

/** Validate a bucket size in seconds and return it in milliseconds. */
export function bucketMs(bucketS: number): number {
  const ms = bucketS * 1000;
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new Error(
      `invalid bucket size ${bucketS} s: expected a positive whole number of milliseconds`,
    );
  }
  return ms;
}

/**
 * Keep the last of several items with the same key, in first-seen order: the contract's "last
 * write wins" applied inside one batch, so no backend depends on how its engine orders them.
 */
export function lastWins<T>(items: readonly T[], key: (item: T) => string | number): T[] {
  const byKey = new Map<string | number, T>();
  for (const item of items) byKey.set(key(item), item);
  return byKey.size === items.length ? [...items] : [...byKey.values()];
}
