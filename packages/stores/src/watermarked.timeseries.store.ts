/**
 * A time-series store whose oldest/newest reading and estimate times are read from the
 * metadata store's watermarks (watermark.store.ts) instead of min/max scans: one keyed row per
 * building, shared by every process, however many points the building holds.
 *
 * It wraps the store every writer uses (ingest, imports, replay and demo seeding, the worker's
 * estimates and re-estimates, discovery, deletes), so it sees every write of its process:
 * after a batch is durable it widens the building's watermarks by the batch's extent; after a
 * building's series are deleted it resets them. A building whose row is not filled yet (one
 * from before the watermarks, or just reset) is scanned once and filled; a building the
 * metadata store does not know is scanned on every read, as before.
 *
 * Within one process, writes and deletes of a building are ordered: a delete waits for the
 * writes (and their widening) started before it, and writes started during a delete wait for
 * it. Across processes one window remains: a write that became durable before another
 * process's delete but widens only after that delete's reset leaves a watermark over data that
 * is gone, until the building is reset again. A process that dies between a write and its
 * widening leaves the watermark short of that batch (never past the data) until a later write
 * widens it; the caller's retry of the failed batch widens it too.
 */
import type {
  Bucket,
  EstimatePoint,
  EstimatesBatch,
  GridPoint,
  Reading,
  ReadingsBatch,
  ReadingsRange,
  TimeSeriesStore,
} from './timeseries.store.js';
import type { BuildingWatermarks, WatermarkSeries, WatermarkStore } from './watermark.store.js';

/** Scan-and-fill attempts before a read settles for its own scan (resets kept racing it). */
const FILL_ATTEMPTS = 3;

/** Earliest and latest time of a non-empty batch. */
function extent(batch: readonly { ts: number }[]): [number, number] {
  let first = batch[0]!.ts;
  let last = first;
  for (const { ts } of batch) {
    if (ts < first) first = ts;
    if (ts > last) last = ts;
  }
  return [first, last];
}

/** TimeSeriesStore decorator that keeps and reads per-building watermarks. */
export class WatermarkedTimeSeriesStore implements TimeSeriesStore {
  readonly kind: string;
  /** Per building: writes in flight (a delete waits for them). */
  private readonly writing = new Map<string, Set<Promise<unknown>>>();
  /** Per building: the delete in flight (writes wait for it). */
  private readonly deleting = new Map<string, Promise<void>>();

  /** The inner store's rollup fingerprints, when it has them (caches of finished days). */
  readonly readRollupRows?: TimeSeriesStore['readRollupRows'];

  constructor(
    /** The store that holds the points. */
    readonly inner: TimeSeriesStore,
    private readonly marks: WatermarkStore,
  ) {
    this.kind = inner.kind;
    if (inner.readRollupRows) this.readRollupRows = inner.readRollupRows.bind(inner);
  }

  writeReadings(buildingId: string, readings: readonly Reading[]): Promise<void> {
    return this.write(buildingId, 'readings', readings, () =>
      this.inner.writeReadings(buildingId, readings),
    );
  }

  writeEstimates(
    buildingId: string,
    modelVersion: string,
    points: readonly EstimatePoint[],
  ): Promise<void> {
    return this.write(buildingId, 'estimates', points, () =>
      this.inner.writeEstimates(buildingId, modelVersion, points),
    );
  }

  /** The inner many-write, then every building's watermarks widened in one statement. */
  writeReadingsMany(batches: readonly ReadingsBatch[]): Promise<void> {
    return this.writeMany(
      'readings',
      batches.map((b) => ({ buildingId: b.buildingId, points: b.readings })),
      () => this.inner.writeReadingsMany(batches),
    );
  }

  /** The inner many-write, then every building's watermarks widened in one statement. */
  writeEstimatesMany(batches: readonly EstimatesBatch[]): Promise<void> {
    return this.writeMany(
      'estimates',
      batches.map((b) => ({ buildingId: b.buildingId, points: b.points })),
      () => this.inner.writeEstimatesMany(batches),
    );
  }

  async latestReadingTs(buildingId: string): Promise<number | null> {
    return (await this.watermarks(buildingId)).newestReadingMs;
  }

  async earliestReadingTs(buildingId: string): Promise<number | null> {
    return (await this.watermarks(buildingId)).oldestReadingMs;
  }

  async latestEstimateTs(buildingId: string): Promise<number | null> {
    return (await this.watermarks(buildingId)).newestEstimateMs;
  }

  async earliestEstimateTs(buildingId: string): Promise<number | null> {
    return (await this.watermarks(buildingId)).oldestEstimateMs;
  }

  /** All four watermarks of a building: one metadata query once its row is filled. */
  async watermarks(buildingId: string): Promise<BuildingWatermarks> {
    return (await this.watermarksOf([buildingId])).get(buildingId)!;
  }

  /**
   * The watermarks of many buildings: one metadata query for all whose rows are filled, a scan
   * (and fill) for each of the rest.
   */
  async watermarksOf(buildingIds: readonly string[]): Promise<Map<string, BuildingWatermarks>> {
    const stored = await this.marks.getWatermarks(buildingIds);
    const out = new Map<string, BuildingWatermarks>();
    for (const id of buildingIds) {
      let row = stored.get(id);
      let scanned: BuildingWatermarks | null = null;
      for (let attempt = 0; row && !row.filled && attempt < FILL_ATTEMPTS; attempt++) {
        scanned = await this.scan(id);
        row = (await this.marks.fillWatermarks(id, row.epoch, scanned)) ?? undefined;
      }
      if (row?.filled) out.set(id, plain(row));
      else out.set(id, scanned ?? (await this.scan(id)));
    }
    return out;
  }

  readReadings(buildingId: string, startMs: number, endMs: number): Promise<Reading[]> {
    return this.inner.readReadings(buildingId, startMs, endMs);
  }

  readReadingsMany(ranges: readonly ReadingsRange[]): Promise<Reading[][]> {
    return this.inner.readReadingsMany(ranges);
  }

  readEstimates(
    buildingId: string,
    startMs: number,
    endMs: number,
    appliance?: string,
  ): Promise<EstimatePoint[]> {
    return this.inner.readEstimates(buildingId, startMs, endMs, appliance);
  }

  readBuckets(
    buildingId: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<Bucket[]> {
    return this.inner.readBuckets(buildingId, startMs, endMs, bucketS);
  }

  writeGrid(buildingId: string, points: readonly GridPoint[]): Promise<void> {
    return this.inner.writeGrid(buildingId, points);
  }

  readGridBuckets(
    buildingId: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<GridPoint[]> {
    return this.inner.readGridBuckets(buildingId, startMs, endMs, bucketS);
  }

  writeSubmeter(
    buildingId: string,
    appliance: string,
    readings: readonly Reading[],
  ): Promise<void> {
    return this.inner.writeSubmeter(buildingId, appliance, readings);
  }

  readSubmeterBuckets(
    buildingId: string,
    appliance: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<Reading[]> {
    return this.inner.readSubmeterBuckets(buildingId, appliance, startMs, endMs, bucketS);
  }

  /** Delete the points, then reset the watermarks (after this process's writes in flight). */
  deleteBuilding(buildingId: string): Promise<void> {
    const before = this.deleting.get(buildingId);
    const writes = [...(this.writing.get(buildingId) ?? [])];
    const run = async (): Promise<void> => {
      await before?.catch(() => undefined);
      await Promise.allSettled(writes);
      await this.inner.deleteBuilding(buildingId);
      await this.marks.resetWatermarks(buildingId);
    };
    const done = run();
    const settled = done.catch(() => undefined);
    this.deleting.set(buildingId, settled);
    void settled.then(() => {
      if (this.deleting.get(buildingId) === settled) this.deleting.delete(buildingId);
    });
    return done;
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Write through the inner store, then widen the series' watermarks by the batch. */
  private write(
    buildingId: string,
    series: WatermarkSeries,
    batch: readonly { ts: number }[],
    put: () => Promise<void>,
  ): Promise<void> {
    const deleting = this.deleting.get(buildingId);
    const run = async (): Promise<void> => {
      if (deleting) await deleting;
      // The inner store validates the batch: nothing is widened for a batch it refused.
      await put();
      if (batch.length === 0) return;
      const [first, last] = extent(batch);
      await this.marks.widenWatermarks(buildingId, series, first, last);
    };
    return this.track([buildingId], run());
  }

  /**
   * A multi-building write: after the deletes in flight of any of its buildings, through the
   * inner store, then one widening statement for the spans of every building with points.
   * Deletes of any of its buildings issued meanwhile wait for it, as for a single write.
   */
  private writeMany(
    series: WatermarkSeries,
    batches: ReadonlyArray<{ buildingId: string; points: readonly { ts: number }[] }>,
    put: () => Promise<void>,
  ): Promise<void> {
    const ids = [...new Set(batches.map((b) => b?.buildingId))];
    const deletes = ids.flatMap((id) => this.deleting.get(id) ?? []);
    const run = async (): Promise<void> => {
      // Awaited only when there are some, so a write with none reaches the inner store in the
      // order it was issued, like a single write.
      if (deletes.length > 0) await Promise.all(deletes);
      // The inner store validates the batches: nothing is widened for a call it refused.
      await put();
      const spans = batches
        .filter((b) => b.points.length > 0)
        .map(({ buildingId, points }) => {
          const [oldestMs, newestMs] = extent(points);
          return { buildingId, oldestMs, newestMs };
        });
      if (spans.length > 0) await this.marks.widenWatermarksMany(series, spans);
    };
    return this.track(ids, run());
  }

  /** Count `done` as a write in flight of each of `buildingIds` until it settles. */
  private track(buildingIds: readonly string[], done: Promise<void>): Promise<void> {
    const settled = done.catch(() => undefined);
    for (const buildingId of buildingIds) {
      let inFlight = this.writing.get(buildingId);
      if (!inFlight) this.writing.set(buildingId, (inFlight = new Set()));
      const mine = inFlight;
      mine.add(settled);
      void settled.then(() => {
        mine.delete(settled);
        if (mine.size === 0 && this.writing.get(buildingId) === mine)
          this.writing.delete(buildingId);
      });
    }
    return done;
  }

  /** The four min/max scans of the inner store (what the watermarks replace). */
  private async scan(buildingId: string): Promise<BuildingWatermarks> {
    const [oldestReadingMs, newestReadingMs, oldestEstimateMs, newestEstimateMs] =
      await Promise.all([
        this.inner.earliestReadingTs(buildingId),
        this.inner.latestReadingTs(buildingId),
        this.inner.earliestEstimateTs(buildingId),
        this.inner.latestEstimateTs(buildingId),
      ]);
    return { oldestReadingMs, newestReadingMs, oldestEstimateMs, newestEstimateMs };
  }
}

function plain(w: BuildingWatermarks): BuildingWatermarks {
  return {
    oldestReadingMs: w.oldestReadingMs,
    newestReadingMs: w.newestReadingMs,
    oldestEstimateMs: w.oldestEstimateMs,
    newestEstimateMs: w.newestEstimateMs,
  };
}
