/**
 * The dynamic prices part of the metadata store conformance suite (registered by
 * `metadataConformance`): prices replace what they overlap whole, are read by window oldest
 * first, go with their building, and a failed fetch keeps what the last success stored.
 */
import { describe, expect, it } from 'vitest';
import type { Building, MetadataStore } from './metadata.store.js';

export interface PriceConformanceContext {
  store: () => MetadataStore;
  id: (prefix: string) => string;
  building: (id: string) => Promise<Building>;
}

const HALF_HOUR = 30 * 60_000;
const T0 = Date.UTC(2026, 2, 29, 0, 0);

/** `n` half-hour prices from `fromMs`, priced `first`, `first + step`, ... */
const halfHours = (fromMs: number, n: number, first: number, step = 0.01) =>
  Array.from({ length: n }, (_, i) => ({
    startMs: fromMs + i * HALF_HOUR,
    endMs: fromMs + (i + 1) * HALF_HOUR,
    pricePerKwh: Math.round((first + i * step) * 1e6) / 1e6,
  }));

/** Register the price store tests inside the metadata conformance suite. */
export function priceConformance(ctx: PriceConformanceContext): void {
  const { id, building } = ctx;

  describe('dynamic prices', () => {
    it('stores prices and reads back those overlapping a window, oldest first', async () => {
      const store = ctx.store();
      const b = await building(id('pr'));
      const other = await building(id('pr'));
      const day = halfHours(T0, 48, 0.1);
      expect(await store.replacePrices(b.id, [...day].reverse())).toBe(48);
      await store.replacePrices(other.id, halfHours(T0, 2, 9));
      expect(await store.listPrices(b.id, T0, T0 + 48 * HALF_HOUR)).toEqual(day);
      // A window that starts inside a slot includes it; one that ends at a start excludes it.
      expect(await store.listPrices(b.id, T0 + HALF_HOUR + 1, T0 + 3 * HALF_HOUR)).toEqual(
        day.slice(1, 3),
      );
      expect(await store.listPrices(b.id, T0 - HALF_HOUR, T0)).toEqual([]);
      expect(await store.listPrices(id('missing'), T0, T0 + HALF_HOUR)).toEqual([]);
    });

    it('new prices replace every stored price overlapping their span, and only those', async () => {
      const store = ctx.store();
      const b = await building(id('pr'));
      await store.replacePrices(b.id, halfHours(T0, 8, 0.2, 0));
      // Hourly prices over the middle two hours, with a gap: the gap is replaced by nothing.
      const hourly = [
        { startMs: T0 + 2 * HALF_HOUR, endMs: T0 + 4 * HALF_HOUR, pricePerKwh: -0.05 },
        { startMs: T0 + 5 * HALF_HOUR, endMs: T0 + 6 * HALF_HOUR, pricePerKwh: 0.31 },
      ];
      expect(await store.replacePrices(b.id, hourly)).toBe(2);
      expect(await store.listPrices(b.id, T0, T0 + 8 * HALF_HOUR)).toEqual([
        ...halfHours(T0, 2, 0.2, 0),
        hourly[0],
        hourly[1],
        ...halfHours(T0 + 6 * HALF_HOUR, 2, 0.2, 0),
      ]);
      expect(await store.replacePrices(b.id, [])).toBe(0);
      expect(await store.listPrices(b.id, T0, T0 + 8 * HALF_HOUR)).toHaveLength(6);
    });

    it('prices of an unknown building are refused and nothing is stored', async () => {
      const store = ctx.store();
      const bid = id('missing');
      await expect(store.replacePrices(bid, halfHours(T0, 2, 0.1))).rejects.toThrow();
      expect(await store.listPrices(bid, T0, T0 + HALF_HOUR * 2)).toEqual([]);
    });

    it('a year of half hours goes in and comes out whole', async () => {
      const store = ctx.store();
      const b = await building(id('pr'));
      const year = halfHours(T0, 17_520, 0.05, 0.00001);
      expect(await store.replacePrices(b.id, year)).toBe(17_520);
      const back = await store.listPrices(b.id, T0, T0 + 17_520 * HALF_HOUR);
      expect(back).toHaveLength(17_520);
      expect(back[17_519]).toEqual(year[17_519]);
    }, 120_000);

    it('deletePrices forgets a building’s prices, and prices go with their building', async () => {
      const store = ctx.store();
      const b = await building(id('pr'));
      await store.replacePrices(b.id, halfHours(T0, 3, 0.1));
      expect(await store.deletePrices(b.id)).toBe(3);
      expect(await store.listPrices(b.id, T0, T0 + 3 * HALF_HOUR)).toEqual([]);
      await store.replacePrices(b.id, halfHours(T0, 3, 0.1));
      await store.recordPriceFetch(b.id, {
        provider: 'octopus',
        attemptedAt: 1,
        succeededAt: 1,
        error: null,
        slots: 3,
        gaps: 0,
      });
      expect(await store.deleteBuilding(b.id)).toBe(true);
      expect(await store.listPrices(b.id, T0, T0 + 3 * HALF_HOUR)).toEqual([]);
      expect(await store.getPriceFetch(b.id)).toBeNull();
    });

    it('a tariff keeps its standing charge, export price and dynamic source', async () => {
      const store = ctx.store();
      const b = await building(id('pr'));
      const agile = {
        currency: 'GBP',
        pricePerKwh: 0.25,
        bands: [],
        standingChargePerDay: 0.61,
        exportPricePerKwh: 0.15,
        dynamic: {
          source: 'octopus' as const,
          product: 'AGILE-24-10-01',
          tariff: 'E-1R-AGILE-24-10-01-C',
        },
      };
      expect(await store.setTariff(b.id, agile)).toEqual(agile);
      expect(await store.getTariff(b.id)).toEqual(agile);
      const csv = { ...agile, dynamic: { source: 'csv' as const } };
      expect(await store.setTariff(b.id, csv)).toEqual(csv);
    });

    it('a failed fetch records its error and keeps the last success’s time, slots and gaps', async () => {
      const store = ctx.store();
      const b = await building(id('pr'));
      expect(await store.getPriceFetch(b.id)).toBeNull();
      const ok = {
        provider: 'octopus',
        attemptedAt: 1000,
        succeededAt: 1000,
        error: null,
        slots: 46,
        gaps: 2,
      };
      expect(await store.recordPriceFetch(b.id, ok)).toEqual(ok);
      const failed = {
        provider: 'octopus',
        attemptedAt: 2000,
        succeededAt: null,
        error: 'the price API answered 503',
        slots: 0,
        gaps: 0,
      };
      const kept = { ...ok, attemptedAt: 2000, error: 'the price API answered 503' };
      expect(await store.recordPriceFetch(b.id, failed)).toEqual(kept);
      expect(await store.getPriceFetch(b.id)).toEqual(kept);
      const again = { ...ok, attemptedAt: 3000, succeededAt: 3000, slots: 48, gaps: 0 };
      expect(await store.recordPriceFetch(b.id, again)).toEqual(again);
    });
  });
}
