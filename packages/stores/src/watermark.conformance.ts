/**
 * The watermark part of the metadata store conformance suite (registered by
 * `metadataConformance`): a new building has an unfilled, empty row; widening takes the least
 * oldest and greatest newest per series, also from concurrent writers, and ignores unknown
 * buildings; widening many buildings in one call equals one call per span (a building twice
 * too), concurrent calls over overlapping buildings lose nothing, and a bad span widens nothing; a fill merges its scan with what was widened and marks the row filled, a second
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

    it('widens many buildings in one call as one call per span would', async () => {
      const store = ctx.store();
      const [a, b, c, d] = [id('wm-wmany'), id('wm-wmany'), id('wm-wmany'), id('wm-wmany')];
      for (const x of [a, b, c, d]) await building(x);
      await store.widenWatermarks(a, 'readings', T, T + 10 * MIN);
      await store.widenWatermarks(c, 'estimates', T, T);
      await store.widenWatermarksMany('readings', [
        // Inside what a holds: nothing changes.
        { buildingId: a, oldestMs: T + MIN, newestMs: T + 2 * MIN },
        { buildingId: b, oldestMs: T + 5 * MIN, newestMs: T + 6 * MIN },
        // b twice: both spans count.
        { buildingId: b, oldestMs: T - MIN, newestMs: T },
        { buildingId: c, oldestMs: T + 3 * MIN, newestMs: T + 4 * MIN },
        // Unknown buildings are ignored.
        { buildingId: id('wm-wmany-gone'), oldestMs: T, newestMs: T },
      ]);
      await store.widenWatermarksMany('estimates', [
        { buildingId: c, oldestMs: T - 5 * MIN, newestMs: T - 4 * MIN },
      ]);
      await store.widenWatermarksMany('readings', []);
      const rows = await store.getWatermarks([a, b, c, d]);
      const got = [a, b, c, d].map((x) => {
        const { filled: _f, epoch: _e, ...w } = rows.get(x)!;
        return w;
      });
      expect(got).toEqual([
        { ...NONE, oldestReadingMs: T, newestReadingMs: T + 10 * MIN },
        { ...NONE, oldestReadingMs: T - MIN, newestReadingMs: T + 6 * MIN },
        {
          oldestReadingMs: T + 3 * MIN,
          newestReadingMs: T + 4 * MIN,
          oldestEstimateMs: T - 5 * MIN,
          newestEstimateMs: T,
        },
        NONE,
      ]);
    });

    it('concurrent many-widenings over overlapping buildings lose nothing and do not deadlock', async () => {
      const store = ctx.store();
      const ids = Array.from({ length: 6 }, () => id('wm-wmrace'));
      for (const x of ids) await building(x);
      // Each call names the buildings in another order; every span must survive.
      await Promise.all(
        Array.from({ length: 12 }, (_, k) =>
          store.widenWatermarksMany(
            'readings',
            (k % 2 ? [...ids].reverse() : ids).map((buildingId, i) => ({
              buildingId,
              oldestMs: T + (k + i) * MIN,
              newestMs: T + (k + i) * MIN,
            })),
          ),
        ),
      );
      const rows = await store.getWatermarks(ids);
      // Building at place i of `ids` gets i + k from even calls, 5 - i + k from odd ones.
      expect(ids.map((x) => [rows.get(x)?.oldestReadingMs, rows.get(x)?.newestReadingMs])).toEqual(
        ids.map((_, i) => [T + Math.min(i, 6 - i) * MIN, T + Math.max(10 + i, 16 - i) * MIN]),
      );
    });

    it('refuses a many-widening with one bad span, widening nothing', async () => {
      const store = ctx.store();
      const b = id('wm-wmbad');
      await building(b);
      await expect(
        store.widenWatermarksMany('readings', [
          { buildingId: b, oldestMs: T, newestMs: T },
          { buildingId: b, oldestMs: T + 1, newestMs: T },
        ]),
      ).rejects.toThrow(/oldest <= newest/);
      expect(await one(b)).toEqual({ ...NONE, filled: false, epoch: 0 });
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
