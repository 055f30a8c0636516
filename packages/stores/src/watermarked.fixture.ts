/**
 * For tests that run the time-series conformance suite through the watermarks: the real
 * metadata store's watermarks, with each building the suite names created first (as the server
 * creates a building before it stores points), so the suite exercises the watermark rows rather
 * than the scan fallback for unknown buildings. Invalid ids are left to the store to refuse.
 */
import { ConflictError, type MetadataStore } from './metadata.store.js';
import type { WatermarkStore } from './watermark.store.js';

const BUILDING_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Create the building in `metadata` unless it exists. */
export async function ensureBuilding(metadata: MetadataStore, id: string): Promise<void> {
  try {
    await metadata.createBuilding({ id, name: id, timezone: 'UTC', isDemo: false, modelRef: null });
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
  }
}

/** `metadata`'s watermarks, creating each valid building id on first sight. */
export function creatingBuildings(metadata: () => MetadataStore): WatermarkStore {
  const ensure = async (id: string) => {
    if (BUILDING_ID.test(id)) await ensureBuilding(metadata(), id);
  };
  return {
    async widenWatermarks(id, series, oldest, newest) {
      await ensure(id);
      return metadata().widenWatermarks(id, series, oldest, newest);
    },
    async widenWatermarksMany(series, spans) {
      for (const { buildingId } of spans) await ensure(buildingId);
      return metadata().widenWatermarksMany(series, spans);
    },
    async getWatermarks(ids) {
      for (const id of ids) await ensure(id);
      return metadata().getWatermarks(ids);
    },
    fillWatermarks: (id, epoch, scanned) => metadata().fillWatermarks(id, epoch, scanned),
    resetWatermarks: (id) => metadata().resetWatermarks(id),
  };
}
