/**
 * The watermarks part of the metadata store (watermark.store.ts) over the same tiny SQL client
 * as the rest, so PGlite and PostgreSQL run the same statements. Every change is one statement
 * (on the building's row, or on many buildings' rows locked in id order), so concurrent writers
 * serialise on the row locks and least/greatest merge their spans in any order.
 */
import {
  assertWatermarkSpan,
  type BuildingWatermarks,
  type StoredWatermarks,
  type WatermarkSeries,
  type WatermarkStore,
} from './watermark.store.js';
import type { SqlClient } from './metadata.migrations.js';

type Int8 = number | string | bigint;

interface WatermarkRow {
  building_id: string;
  filled: boolean;
  reading_oldest: Int8 | null;
  reading_newest: Int8 | null;
  estimate_oldest: Int8 | null;
  estimate_newest: Int8 | null;
  epoch: Int8;
}

const COLUMNS =
  'building_id, filled, epoch, reading_oldest, reading_newest, estimate_oldest, estimate_newest';

// Column names come from here, never from the caller.
const SERIES_COLUMNS = {
  readings: ['reading_oldest', 'reading_newest'],
  estimates: ['estimate_oldest', 'estimate_newest'],
} as const;

function ms(v: Int8 | null): number | null {
  return v === null ? null : Number(v);
}

function toStored(r: WatermarkRow): StoredWatermarks {
  return {
    filled: r.filled,
    epoch: Number(r.epoch),
    oldestReadingMs: ms(r.reading_oldest),
    newestReadingMs: ms(r.reading_newest),
    oldestEstimateMs: ms(r.estimate_oldest),
    newestEstimateMs: ms(r.estimate_newest),
  };
}

function nullableSpan(oldest: number | null, newest: number | null): void {
  if ((oldest === null) !== (newest === null))
    throw new Error('watermarks: give both oldest and newest of a series, or neither');
  if (oldest !== null && newest !== null) assertWatermarkSpan(oldest, newest);
}

/** The WatermarkStore half of the SQL metadata store. */
export function createSqlWatermarkStore(client: SqlClient): WatermarkStore {
  return {
    async widenWatermarks(buildingId: string, series: WatermarkSeries, oldestMs, newestMs) {
      assertWatermarkSpan(oldestMs, newestMs);
      const [oldest, newest] = SERIES_COLUMNS[series];
      // The WHERE skips the row write (and its WAL) when the span is already covered: rewrites
      // and re-estimates of stored history change nothing here.
      await client.query(
        `UPDATE building_watermarks
         SET ${oldest} = least(${oldest}, $2::bigint), ${newest} = greatest(${newest}, $3::bigint)
         WHERE building_id = $1
           AND (${oldest} IS NULL OR ${oldest} > $2::bigint OR ${newest} < $3::bigint)`,
        [buildingId, oldestMs, newestMs],
      );
    },

    async widenWatermarksMany(series: WatermarkSeries, spans) {
      // One span per building, merged, so no row is matched twice by the UPDATE's join.
      const merged = new Map<string, [number, number]>();
      for (const { buildingId, oldestMs, newestMs } of spans) {
        assertWatermarkSpan(oldestMs, newestMs);
        const span = merged.get(buildingId);
        merged.set(
          buildingId,
          span === undefined
            ? [oldestMs, newestMs]
            : [Math.min(span[0], oldestMs), Math.max(span[1], newestMs)],
        );
      }
      if (merged.size === 0) return;
      const ids = [...merged.keys()].sort();
      const [oldest, newest] = SERIES_COLUMNS[series];
      // The rows that need a write are locked first, in id order (FOR UPDATE locks rows as the
      // sort hands them out), so two writers of overlapping buildings take their locks in the
      // same order and never deadlock; under READ COMMITTED a row another writer widened
      // meanwhile is checked again at its newest version, and skipped when now covered.
      await client.query(
        `WITH span AS (
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS s(id, o, n)),
         locked AS (
           SELECT w.building_id FROM building_watermarks w JOIN span ON span.id = w.building_id
           WHERE w.${oldest} IS NULL OR w.${oldest} > span.o OR w.${newest} < span.n
           ORDER BY w.building_id
           FOR UPDATE OF w)
         UPDATE building_watermarks w
         SET ${oldest} = least(w.${oldest}, span.o), ${newest} = greatest(w.${newest}, span.n)
         FROM locked, span
         WHERE w.building_id = locked.building_id AND span.id = w.building_id`,
        [ids, ids.map((id) => merged.get(id)![0]), ids.map((id) => merged.get(id)![1])],
      );
    },

    async getWatermarks(buildingIds) {
      const out = new Map<string, StoredWatermarks>();
      if (buildingIds.length === 0) return out;
      const rows = await client.query<WatermarkRow>(
        `SELECT ${COLUMNS} FROM building_watermarks WHERE building_id = ANY($1::text[])`,
        [[...buildingIds]],
      );
      for (const r of rows) out.set(r.building_id, toStored(r));
      return out;
    },

    async fillWatermarks(buildingId, epoch, scanned: BuildingWatermarks) {
      nullableSpan(scanned.oldestReadingMs, scanned.newestReadingMs);
      nullableSpan(scanned.oldestEstimateMs, scanned.newestEstimateMs);
      const filled = await client.query<WatermarkRow>(
        `UPDATE building_watermarks
         SET filled = true,
             reading_oldest = least(reading_oldest, $2::bigint),
             reading_newest = greatest(reading_newest, $3::bigint),
             estimate_oldest = least(estimate_oldest, $4::bigint),
             estimate_newest = greatest(estimate_newest, $5::bigint)
         WHERE building_id = $1 AND NOT filled AND epoch = $6
         RETURNING ${COLUMNS}`,
        [
          buildingId,
          scanned.oldestReadingMs,
          scanned.newestReadingMs,
          scanned.oldestEstimateMs,
          scanned.newestEstimateMs,
          epoch,
        ],
      );
      if (filled.length > 0) return toStored(filled[0]);
      // Filled by another reader, or reset since the scan: the stored row says which.
      const rows = await client.query<WatermarkRow>(
        `SELECT ${COLUMNS} FROM building_watermarks WHERE building_id = $1`,
        [buildingId],
      );
      return rows.length === 0 ? null : toStored(rows[0]);
    },

    async resetWatermarks(buildingId) {
      await client.query(
        `UPDATE building_watermarks
         SET filled = false, epoch = epoch + 1, reading_oldest = NULL, reading_newest = NULL,
             estimate_oldest = NULL, estimate_newest = NULL
         WHERE building_id = $1`,
        [buildingId],
      );
    },
  };
}
