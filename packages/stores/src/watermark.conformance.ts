/**
 * The watermark part of the metadata store conformance suite (registered by
 * `metadataConformance`): a new building has an unfilled, empty row; widening takes the least
 * oldest and greatest newest per series, also from concurrent writers, and ignores unknown
 * buildings; a fill merges its scan with what was widened and marks the row filled, a second
 * fill changes nothing, and a fill under an epoch a reset has passed changes nothing; a reset
 * empties the row and bumps its epoch; many buildings read in one call; rows go with their
 * building; bad spans are refused.
 */
import { describe, expect, it } from 'vitest';
import type { Building, MetadataStore } from './metadata.store.js';
import type { BuildingWatermarks } from './watermark.store.js';

export interface WatermarkConformanceContext {
  store: () => MetadataStore;
  id: (prefix: string) => string;
  building: (id: string) => Promise<Building>;
}

const T = Date.UTC(2026, 11, 1, 9);
const MIN = 60_000;
const NONE: BuildingWatermarks = {
  oldestReadingMs: null,
  newestReadingMs: null,
  oldestEstimateMs: null,
  newestEstimateMs: null,
};

/** Register the watermark tests inside the metadata conformance suite. */
export function watermarkConformance(ctx: WatermarkConformanceContext): void {
  const { id, building } = ctx;
  const one = async (b: string) => (await ctx.store().getWatermarks([b])).get(b);

  describe('watermarks', () => {
    it('a new building has an unfilled, empty row; an unknown one has none', async () => {
      const b = id('wm-new');
      await building(b);
      expect(await one(b)).toEqual({ ...NONE, filled: false, epoch: 0 });
      expect(await one(id('wm-unknown'))).toBeUndefined();
      expect((await ctx.store().getWatermarks([])).size).toBe(0);
    });

    it('widening keeps the least oldest and greatest newest per series', async () => {
      const store = ctx.store();
      const b = id('wm-widen');
      await building(b);
      await store.widenWatermarks(b, 'readings', T + 5 * MIN, T + 9 * MIN);
      await store.widenWatermarks(b, 'readings', T + 6 * MIN, T + 7 * MIN);
      await store.widenWatermarks(b, 'readings', T, T + 2 * MIN);
      await store.widenWatermarks(b, 'estimates', T + 3 * MIN, T + 3 * MIN);
      expect(await one(b)).toEqual({
        filled: false,
        epoch: 0,
        oldestReadingMs: T,
        newestReadingMs: T + 9 * MIN,
        oldestEstimateMs: T + 3 * MIN,
        newestEstimateMs: T + 3 * MIN,
      });
      // Unknown buildings are ignored, as the backlog ignores marks of deleted ones.
      await expect(store.widenWatermarks(id('wm-gone'), 'readings', T, T)).resolves.toBeUndefined();
    });

    it('concurrent widenings of one building lose nothing', async () => {
      const store = ctx.store();
      const b = id('wm-race');
      await building(b);
      await Promise.all(
        Array.from({ length: 20 }, (_, k) =>
          store.widenWatermarks(b, k % 2 ? 'readings' : 'estimates', T + k * MIN, T + k * MIN),
        ),
      );
      const w = await one(b);
      expect([w?.oldestEstimateMs, w?.newestEstimateMs]).toEqual([T, T + 18 * MIN]);
      expect([w?.oldestReadingMs, w?.newestReadingMs]).toEqual([T + MIN, T + 19 * MIN]);
    });

    it('a fill merges its scan with what was widened; a second fill changes nothing', async () => {
      const store = ctx.store();
      const b = id('wm-fill');
      await building(b);
      const before = (await one(b))!;
      // A write landed while the reader scanned: its widening must survive the fill.
      await store.widenWatermarks(b, 'readings', T + 30 * MIN, T + 31 * MIN);
      const scanned = { ...NONE, oldestReadingMs: T - 60 * MIN, newestReadingMs: T + 20 * MIN };
      const filled = await store.fillWatermarks(b, before.epoch, scanned);
      const expected = {
        ...NONE,
        filled: true,
        epoch: 0,
        oldestReadingMs: T - 60 * MIN,
        newestReadingMs: T + 31 * MIN,
      };
      expect(filled).toEqual(expected);
      expect(await one(b)).toEqual(expected);
      const again = await store.fillWatermarks(b, 0, {
        ...NONE,
        oldestReadingMs: 0,
        newestReadingMs: 1,
      });
      expect(again).toEqual(expected);
      expect(await store.fillWatermarks(id('wm-nobody'), 0, NONE)).toBeNull();
    });

    it('a reset empties the row; a fill from a scan before the reset is refused', async () => {
      const store = ctx.store();
      const b = id('wm-reset');
      await building(b);
      const seen = (await one(b))!;
      await store.widenWatermarks(b, 'estimates', T, T + MIN);
      // The series are deleted while a reader's scan (which still saw them) is on its way.
      await store.resetWatermarks(b);
      const stale = { ...NONE, oldestEstimateMs: T, newestEstimateMs: T + MIN };
      const after = await store.fillWatermarks(b, seen.epoch, stale);
      expect(after).toEqual({ ...NONE, filled: false, epoch: seen.epoch + 1 });
      // A scan after the reset fills it.
      expect(await store.fillWatermarks(b, after!.epoch, NONE)).toEqual({
        ...NONE,
        filled: true,
        epoch: seen.epoch + 1,
      });
    });

    it('reads many buildings in one call, and rows go with their building', async () => {
      const store = ctx.store();
      const ids = [id('wm-many'), id('wm-many'), id('wm-many')];
      for (const [k, b] of ids.entries()) {
        await building(b);
        await store.widenWatermarks(b, 'readings', T + k, T + 10 * k);
      }
      const rows = await store.getWatermarks([...ids, id('wm-missing')]);
      expect([...rows.keys()].sort()).toEqual([...ids].sort());
      expect(ids.map((b) => rows.get(b)?.newestReadingMs)).toEqual([T, T + 10, T + 20]);
      await store.deleteBuilding(ids[0]);
      expect(await one(ids[0])).toBeUndefined();
    });

    it('refuses a span that is not integer ms with oldest <= newest, and a half-known series', async () => {
      const store = ctx.store();
      const b = id('wm-bad');
      await building(b);
      await expect(store.widenWatermarks(b, 'readings', T + 1, T)).rejects.toThrow(
        /oldest <= newest/,
      );
      await expect(store.widenWatermarks(b, 'readings', 1.5, 2)).rejects.toThrow(/integer/);
      await expect(
        store.fillWatermarks(b, 0, { ...NONE, oldestReadingMs: T, newestReadingMs: null }),
      ).rejects.toThrow(/both oldest and newest/);
      expect(await one(b)).toEqual({ ...NONE, filled: false, epoch: 0 });
    });
  });
}
