/**
 * Per-building watermarks: the oldest and newest time of a building's stored readings and
 * estimates, kept as metadata so that "when did this meter last report" costs one keyed row
 * read instead of a min/max scan of the time series (issue 16.2).
 *
 * Contract (the metadata store implements it, so the rows are durable and shared by every
 * process: the API and any number of workers):
 * - A building has a watermark row from its creation (migration 15 adds one to every older
 *   building). A row is `filled` once its values were taken from a scan of the time series;
 *   until then (a building from before the watermarks, or one whose series were deleted) the
 *   reader scans once and fills it.
 * - Writers widen the row after their points are durable: oldest = least(oldest, batch's
 *   oldest), newest = greatest(newest, batch's newest). Widening is idempotent and commutes,
 *   so concurrent writers in several processes never lose each other's extent, filled or not.
 * - Deleting a building's series resets its row to unfilled and empty and bumps its `epoch`,
 *   so no watermark claims data that is gone; the next read rescans (exact, whatever was
 *   written during the delete).
 * - Filling merges the scan with whatever writers widened meanwhile, and applies only to a row
 *   still unfilled at the epoch the reader saw before it scanned: a scan that raced a delete
 *   cannot restore the deleted extent.
 * - A building without a row (unknown to the metadata store) has no watermarks: callers scan.
 */

/** The series a watermark follows. */
export type WatermarkSeries = 'readings' | 'estimates';

/** Oldest and newest stored time (epoch ms, inclusive) of a building's series; null: none. */
export interface BuildingWatermarks {
  oldestReadingMs: number | null;
  newestReadingMs: number | null;
  oldestEstimateMs: number | null;
  newestEstimateMs: number | null;
}

/** A building's stored row: its values are the truth only when `filled`. */
export interface StoredWatermarks extends BuildingWatermarks {
  filled: boolean;
  /** Bumped by every reset; a fill names the epoch it scanned under. */
  epoch: number;
}

export interface WatermarkStore {
  /**
   * Widen a building's watermarks of `series` to cover [oldestMs, newestMs] (a batch just
   * written); a building without a row is ignored. One statement; no write when the row
   * already covers the span.
   */
  widenWatermarks(
    buildingId: string,
    series: WatermarkSeries,
    oldestMs: number,
    newestMs: number,
  ): Promise<void>;
  /**
   * Widen many buildings' watermarks of `series` at once (a multi-building write just durable),
   * each to cover its span, in one statement: as widenWatermarks per span, a building that
   * appears twice widened by both. Rows are locked in building id order, so concurrent calls
   * over overlapping buildings cannot deadlock; rows already covering their span are not
   * written. Every span is validated before anything is written.
   */
  widenWatermarksMany(
    series: WatermarkSeries,
    spans: ReadonlyArray<{ buildingId: string; oldestMs: number; newestMs: number }>,
  ): Promise<void>;
  /** The rows of these buildings, in one query; buildings without a row are absent. */
  getWatermarks(buildingIds: readonly string[]): Promise<Map<string, StoredWatermarks>>;
  /**
   * Fill the row from a scan made after reading it at `epoch` (merged with what writers widened
   * meanwhile) and return the row as stored. A row filled meanwhile, or reset since `epoch`, is
   * returned unchanged (unfilled after a reset: scan again); null when there is no row.
   */
  fillWatermarks(
    buildingId: string,
    epoch: number,
    scanned: BuildingWatermarks,
  ): Promise<StoredWatermarks | null>;
  /** The building's series were deleted: empty the row and mark it unfilled. */
  resetWatermarks(buildingId: string): Promise<void>;
}

/** Validate a widening span before it reaches SQL (plain Error: bad input, not retryable). */
export function assertWatermarkSpan(oldestMs: number, newestMs: number): void {
  if (!Number.isSafeInteger(oldestMs) || !Number.isSafeInteger(newestMs) || oldestMs > newestMs)
    throw new Error(
      `invalid watermark span [${oldestMs}, ${newestMs}]: expected integer epoch ms, oldest <= newest`,
    );
}
