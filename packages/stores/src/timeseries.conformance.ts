/**
 * The conformance suite of the time-series store contract (`timeseries.store.ts`). Every
 * implementation's test file calls `timeSeriesConformance` with a factory; the suite registers
 * one vitest `describe` block. It opens one store for the whole block and gives every test its
 * own building ids, so it also holds against a shared, long-lived server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  StoreUnavailableError,
  type Bucket,
  type EstimatePoint,
  type EstimatesBatch,
  type Reading,
  type ReadingsBatch,
  type ReadingsRange,
  type RollupRow,
  type TimeSeriesStore,
} from './timeseries.store.js';

/** 2024-01-01T00:00:00Z: a round minute, so buckets of 60 s start here. */
const T0 = Date.UTC(2024, 0, 1);
const S = 1000;
const MIN = 60 * S;

let nextBuilding = 0;
/** A building id unique in this process and across runs that share one server. */
function building(tag: string): string {
  nextBuilding += 1;
  const run = Date.now().toString(36) + Math.floor(Math.random() * 1e6).toString(36);
  return `${tag}_${run}-${nextBuilding}`;
}

function byTsThenAppliance(a: EstimatePoint, b: EstimatePoint): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.appliance < b.appliance ? -1 : a.appliance > b.appliance ? 1 : 0;
}

/** An estimate as read back when it was written without a band: both bounds null. */
function noBand(p: EstimatePoint): EstimatePoint {
  return { ...p, lowW: null, highW: null };
}

function expectSortedByTime(points: readonly { ts: number }[]): void {
  for (let i = 1; i < points.length; i++) {
    expect(points[i]!.ts).toBeGreaterThanOrEqual(points[i - 1]!.ts);
  }
}

/**
 * The buckets `readBuckets` must give, computed here from the raw points: the mean per aligned
 * bucket of the points in [startMs, endMs), the band's mean only when every estimate had one.
 */
function bucketsOf(
  readings: readonly Reading[],
  estimates: readonly EstimatePoint[],
  startMs: number,
  endMs: number,
  bucketS: number,
): Bucket[] {
  const size = bucketS * 1000;
  const start = (ts: number) => ts - (((ts % size) + size) % size);
  type Sums = { n: number; power: number; onProb: number; low: number; high: number; band: number };
  const mains = new Map<number, { n: number; power: number }>();
  const apps = new Map<number, Map<string, Sums>>();
  for (const r of readings) {
    if (r.ts < startMs || r.ts >= endMs) continue;
    const m = mains.get(start(r.ts)) ?? { n: 0, power: 0 };
    m.n += 1;
    m.power += r.powerW;
    mains.set(start(r.ts), m);
  }
  for (const e of estimates) {
    if (e.ts < startMs || e.ts >= endMs) continue;
    const inBucket = apps.get(start(e.ts)) ?? new Map<string, Sums>();
    apps.set(start(e.ts), inBucket);
    const a = inBucket.get(e.appliance) ?? { n: 0, power: 0, onProb: 0, low: 0, high: 0, band: 0 };
    inBucket.set(e.appliance, a);
    a.n += 1;
    a.power += e.powerW;
    a.onProb += e.onProb;
    if (e.lowW !== undefined && e.lowW !== null && e.highW !== undefined && e.highW !== null) {
      a.band += 1;
      a.low += e.lowW;
      a.high += e.highW;
    }
  }
  const starts = [...new Set([...mains.keys(), ...apps.keys()])].sort((x, y) => x - y);
  return starts.map((ts) => {
    const m = mains.get(ts);
    const appliances: Bucket['appliances'] = {};
    for (const [name, a] of [...(apps.get(ts) ?? new Map<string, Sums>())].sort()) {
      appliances[name] = { powerW: a.power / a.n, onProb: a.onProb / a.n };
      if (a.band === a.n)
        Object.assign(appliances[name], { lowW: a.low / a.n, highW: a.high / a.n });
    }
    return { ts, powerW: m ? m.power / m.n : null, appliances };
  });
}

/** Same buckets, series and bands; every mean equal to within 1e-9 relative (summation order). */
function expectSameBuckets(actual: readonly Bucket[], expected: readonly Bucket[]): void {
  const close = (a: number | null | undefined, e: number | null | undefined, what: string) => {
    if (a === null || a === undefined || e === null || e === undefined)
      return expect(a ?? null, what).toBe(e ?? null);
    expect(Math.abs(a - e), `${what}: ${a} vs ${e}`).toBeLessThanOrEqual(
      1e-9 * Math.max(1, Math.abs(e)),
    );
  };
  expect(actual.map((b) => b.ts)).toEqual(expected.map((b) => b.ts));
  actual.forEach((b, i) => {
    const e = expected[i]!;
    close(b.powerW, e.powerW, `mains at ${b.ts}`);
    expect(Object.keys(b.appliances).sort(), `appliances at ${b.ts}`).toEqual(
      Object.keys(e.appliances).sort(),
    );
    for (const [name, v] of Object.entries(e.appliances)) {
      const got = b.appliances[name]!;
      const what = `${name} at ${b.ts}`;
      close(got.powerW, v.powerW, `${what} power`);
      close(got.onProb, v.onProb, `${what} onProb`);
      expect('lowW' in got && got.lowW !== undefined, `${what} has a band`).toBe(
        v.lowW !== undefined,
      );
      close(got.lowW, v.lowW, `${what} lowW`);
      close(got.highW, v.highW, `${what} highW`);
    }
  });
}

/** Rollup rows in one order (the contract gives none), for comparing two buildings' rows. */
function sortedRollups(rows: readonly RollupRow[]): RollupRow[] {
  const key = (r: RollupRow) => `${r.bucket} ${r.kind} ${r.appliance}`;
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Everything a reader can see of a building in [startMs, endMs): points, buckets of several
 * sizes, rollup rows at every level (when the store has them) and the oldest/newest times.
 */
async function everythingOf(
  store: TimeSeriesStore,
  b: string,
  startMs: number,
  endMs: number,
): Promise<unknown> {
  const buckets: Record<number, Bucket[]> = {};
  for (const size of [60, 900, 3600, 86_400, 172_800])
    buckets[size] = await store.readBuckets(b, startMs, endMs, size);
  const rollups: Record<number, RollupRow[]> = {};
  if (store.readRollupRows)
    for (const level of [900, 3600, 86_400])
      rollups[level] = sortedRollups(await store.readRollupRows(b, startMs, endMs, level));
  return {
    readings: await store.readReadings(b, startMs, endMs),
    estimates: [...(await store.readEstimates(b, startMs, endMs))].sort(byTsThenAppliance),
    buckets,
    rollups,
    times: [
      await store.earliestReadingTs(b),
      await store.latestReadingTs(b),
      await store.earliestEstimateTs(b),
      await store.latestEstimateTs(b),
    ],
  };
}

/** Register the time-series store conformance suite for one implementation. */
export function timeSeriesConformance(name: string, make: () => Promise<TimeSeriesStore>): void {
  describe(`TimeSeriesStore conformance: ${name}`, () => {
    let store: TimeSeriesStore;

    beforeAll(async () => {
      store = await make();
    });

    afterAll(async () => {
      await store?.close();
    });

    it('answers ping and names its kind', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      expect(store.kind).toMatch(/^[a-z0-9]+$/);
    });

    it('round-trips readings with exact values, sorted by time', async () => {
      const b = building('rt');
      const written: Reading[] = [
        { ts: T0 + 2 * S, powerW: 1234.5678 },
        { ts: T0, powerW: 0.1 },
        { ts: T0 + 1, powerW: -350.25 },
        { ts: T0 + 3 * S, powerW: 0 },
        { ts: T0 + 4 * S, powerW: 1 / 3 },
        { ts: T0 + 5 * S, powerW: 98765.4321e3 },
      ];
      await store.writeReadings(b, written);
      expect(await store.readReadings(b, T0, T0 + MIN)).toEqual([
        { ts: T0, powerW: 0.1 },
        { ts: T0 + 1, powerW: -350.25 },
        { ts: T0 + 2 * S, powerW: 1234.5678 },
        { ts: T0 + 3 * S, powerW: 0 },
        { ts: T0 + 4 * S, powerW: 1 / 3 },
        { ts: T0 + 5 * S, powerW: 98765.4321e3 },
      ]);
    });

    it('stores a reading written twice once, the last write winning', async () => {
      const b = building('idem');
      await store.writeReadings(b, [{ ts: T0, powerW: 100 }]);
      await store.writeReadings(b, [
        { ts: T0, powerW: 200 },
        { ts: T0 + S, powerW: 300 },
      ]);
      // Twice in one batch: the later item wins too.
      await store.writeReadings(b, [
        { ts: T0 + 2 * S, powerW: 1 },
        { ts: T0 + 2 * S, powerW: 2 },
      ]);
      // Retrying a whole batch changes nothing.
      await store.writeReadings(b, [
        { ts: T0, powerW: 200 },
        { ts: T0 + S, powerW: 300 },
      ]);
      expect(await store.readReadings(b, T0, T0 + MIN)).toEqual([
        { ts: T0, powerW: 200 },
        { ts: T0 + S, powerW: 300 },
        { ts: T0 + 2 * S, powerW: 2 },
      ]);
    });

    it('reads the half-open range [start, end)', async () => {
      const b = building('range');
      await store.writeReadings(
        b,
        [0, 1, 2, 3, 4].map((i) => ({ ts: T0 + i * S, powerW: i })),
      );
      expect(await store.readReadings(b, T0 + S, T0 + 3 * S)).toEqual([
        { ts: T0 + S, powerW: 1 },
        { ts: T0 + 2 * S, powerW: 2 },
      ]);
      expect(await store.readReadings(b, T0 + S + 1, T0 + 3 * S + 1)).toEqual([
        { ts: T0 + 2 * S, powerW: 2 },
        { ts: T0 + 3 * S, powerW: 3 },
      ]);
      expect(await store.readReadings(b, T0 + 4 * S, T0 + 4 * S + 1)).toEqual([
        { ts: T0 + 4 * S, powerW: 4 },
      ]);
    });

    it('returns [] for an empty or inverted range and for an unknown building', async () => {
      const b = building('empty');
      await store.writeReadings(b, [{ ts: T0, powerW: 5 }]);
      await store.writeEstimates(b, 'm@1', [{ ts: T0, appliance: 'kettle', powerW: 1, onProb: 1 }]);
      expect(await store.readReadings(b, T0, T0)).toEqual([]);
      expect(await store.readReadings(b, T0 + S, T0)).toEqual([]);
      expect(await store.readReadings(b, T0 + 1, T0 + MIN)).toEqual([]);
      expect(await store.readEstimates(b, T0, T0)).toEqual([]);
      expect(await store.readBuckets(b, T0, T0, 60)).toEqual([]);
      expect(await store.readBuckets(b, T0 + 1, T0 + MIN, 60)).toEqual([]);
      const unknown = building('unknown');
      expect(await store.readReadings(unknown, T0, T0 + MIN)).toEqual([]);
      expect(await store.readEstimates(unknown, T0, T0 + MIN)).toEqual([]);
      expect(await store.readBuckets(unknown, T0, T0 + MIN, 60)).toEqual([]);
    });

    it('accepts an empty batch as a no-op', async () => {
      const b = building('nobatch');
      await store.writeReadings(b, []);
      await store.writeEstimates(b, 'm@1', []);
      expect(await store.latestReadingTs(b)).toBeNull();
      expect(await store.latestEstimateTs(b)).toBeNull();
      expect(await store.earliestReadingTs(b)).toBeNull();
      expect(await store.earliestEstimateTs(b)).toBeNull();
    });

    it('round-trips estimates of several appliances at the same times', async () => {
      const b = building('est');
      const written: EstimatePoint[] = [
        { ts: T0 + S, appliance: 'kettle', powerW: 2950.5, onProb: 0.97 },
        { ts: T0, appliance: 'fridge', powerW: 85.25, onProb: 0.8 },
        { ts: T0, appliance: 'kettle', powerW: 0, onProb: 0.01 },
        { ts: T0, appliance: 'washing_machine', powerW: 12.125, onProb: 0.3333 },
        { ts: T0 + S, appliance: 'fridge', powerW: 86, onProb: 1 },
      ];
      await store.writeEstimates(b, 'seq2point@1.2.0', written);
      const read = await store.readEstimates(b, T0, T0 + MIN);
      expectSortedByTime(read);
      expect([...read].sort(byTsThenAppliance)).toEqual(
        [...written].sort(byTsThenAppliance).map(noBand),
      );
      // Readings and estimates are separate series.
      expect(await store.readReadings(b, T0, T0 + MIN)).toEqual([]);
    });

    it('reads the estimates of one appliance only when asked', async () => {
      const b = building('one');
      await store.writeEstimates(b, 'm@1', [
        { ts: T0, appliance: 'fridge', powerW: 80, onProb: 0.8 },
        { ts: T0, appliance: 'kettle', powerW: 0, onProb: 0.01 },
        { ts: T0 + MIN, appliance: 'kettle', powerW: 2900, onProb: 0.99 },
        { ts: T0 + MIN, appliance: "o'clock oven", powerW: 1, onProb: 0.2 },
        { ts: T0 + 2 * MIN, appliance: 'kettle', powerW: 3000, onProb: 1 },
      ]);
      expect(await store.readEstimates(b, T0, T0 + 2 * MIN, 'kettle')).toEqual(
        [
          { ts: T0, appliance: 'kettle', powerW: 0, onProb: 0.01 },
          { ts: T0 + MIN, appliance: 'kettle', powerW: 2900, onProb: 0.99 },
        ].map(noBand),
      );
      // A name with a quote is matched literally, never read as query syntax.
      expect(await store.readEstimates(b, T0, T0 + 3 * MIN, "o'clock oven")).toEqual([
        noBand({ ts: T0 + MIN, appliance: "o'clock oven", powerW: 1, onProb: 0.2 }),
      ]);
      expect(await store.readEstimates(b, T0, T0 + 3 * MIN, 'dishwasher')).toEqual([]);
      expect(await store.readEstimates(b, T0, T0 + 3 * MIN)).toHaveLength(5);
    });

    it('replaces an estimate rewritten under a new model version', async () => {
      const b = building('model');
      await store.writeEstimates(b, 'co@1', [
        { ts: T0, appliance: 'fridge', powerW: 80, onProb: 0.5 },
        { ts: T0, appliance: 'kettle', powerW: 10, onProb: 0.1 },
      ]);
      // The model version is stored with the point but is not part of its identity:
      // re-disaggregating a window with a newer model overwrites the old estimates.
      await store.writeEstimates(b, 'seq2point@2', [
        { ts: T0, appliance: 'fridge', powerW: 90, onProb: 0.75 },
      ]);
      const read = await store.readEstimates(b, T0, T0 + MIN);
      expect([...read].sort(byTsThenAppliance)).toEqual(
        [
          { ts: T0, appliance: 'fridge', powerW: 90, onProb: 0.75 },
          { ts: T0, appliance: 'kettle', powerW: 10, onProb: 0.1 },
        ].map(noBand),
      );
    });

    it('round-trips the power band, and a rewrite without one clears it', async () => {
      const b = building('band');
      const kettle: EstimatePoint[] = [
        { ts: T0, appliance: 'kettle', powerW: 2900, onProb: 0.98, lowW: 2500.5, highW: 3300.25 },
        {
          ts: T0 + 30 * S,
          appliance: 'kettle',
          powerW: 2800,
          onProb: 0.9,
          lowW: 2400,
          highW: 3200,
        },
      ];
      await store.writeEstimates(b, 'm@1', [
        ...kettle,
        { ts: T0, appliance: 'fridge', powerW: 80, onProb: 0.7, lowW: 0, highW: 150 },
        { ts: T0 + 30 * S, appliance: 'fridge', powerW: 70, onProb: 0.6 },
      ]);
      expect(await store.readEstimates(b, T0, T0 + MIN, 'kettle')).toEqual(kettle);
      expect(await store.readEstimates(b, T0, T0 + MIN, 'fridge')).toEqual([
        { ts: T0, appliance: 'fridge', powerW: 80, onProb: 0.7, lowW: 0, highW: 150 },
        noBand({ ts: T0 + 30 * S, appliance: 'fridge', powerW: 70, onProb: 0.6 }),
      ]);
      // A bucket has the mean band only when every estimate in it has one.
      const [bucket] = await store.readBuckets(b, T0, T0 + MIN, 60);
      expect(bucket!.appliances.kettle!.lowW).toBeCloseTo(2450.25, 6);
      expect(bucket!.appliances.kettle!.highW).toBeCloseTo(3250.125, 6);
      expect(Object.keys(bucket!.appliances.fridge!).sort()).toEqual(['onProb', 'powerW']);
      expect(bucket!.appliances.fridge!.powerW).toBeCloseTo(75, 6);
      const [first] = await store.readBuckets(b, T0, T0 + 30 * S, 30);
      expect(first!.appliances.fridge).toEqual({ powerW: 80, onProb: 0.7, lowW: 0, highW: 150 });
      // Last write wins for the band too: re-estimating without one leaves none behind.
      await store.writeEstimates(b, 'm@2', [
        { ts: T0, appliance: 'kettle', powerW: 2950, onProb: 0.99 },
      ]);
      expect((await store.readEstimates(b, T0, T0 + S, 'kettle'))[0]).toEqual(
        noBand({ ts: T0, appliance: 'kettle', powerW: 2950, onProb: 0.99 }),
      );
    });

    it('refuses a band that is half given, negative or upside down, writing nothing', async () => {
      const b = building('badband');
      const ok = { ts: T0, appliance: 'kettle', powerW: 2900, onProb: 1, lowW: 2500, highW: 3300 };
      for (const bad of [
        { ts: T0 + S, appliance: 'kettle', powerW: 10, onProb: 0, lowW: 5 },
        { ts: T0 + S, appliance: 'kettle', powerW: 10, onProb: 0, lowW: -1, highW: 20 },
        { ts: T0 + S, appliance: 'kettle', powerW: 10, onProb: 0, lowW: 30, highW: 20 },
        { ts: T0 + S, appliance: 'kettle', powerW: 10, onProb: 0, lowW: 0, highW: Infinity },
      ]) {
        await expect(store.writeEstimates(b, 'm@1', [ok, bad])).rejects.toThrow(
          /nothing was written/,
        );
      }
      expect(await store.readEstimates(b, T0, T0 + MIN)).toEqual([]);
    });

    it('reports the latest reading and estimate times separately', async () => {
      const b = building('latest');
      expect(await store.latestReadingTs(b)).toBeNull();
      expect(await store.latestEstimateTs(b)).toBeNull();
      await store.writeReadings(b, [
        { ts: T0 + 7 * S, powerW: 1 },
        { ts: T0 + 9 * S, powerW: 2 },
        { ts: T0 + 8 * S, powerW: 3 },
      ]);
      expect(await store.latestReadingTs(b)).toBe(T0 + 9 * S);
      expect(await store.latestEstimateTs(b)).toBeNull();
      await store.writeEstimates(b, 'm@1', [
        { ts: T0 + 3 * S, appliance: 'kettle', powerW: 1, onProb: 1 },
        { ts: T0 + 5 * S, appliance: 'fridge', powerW: 1, onProb: 1 },
      ]);
      expect(await store.latestEstimateTs(b)).toBe(T0 + 5 * S);
      expect(await store.latestReadingTs(b)).toBe(T0 + 9 * S);
      // Older points do not move it back.
      await store.writeReadings(b, [{ ts: T0, powerW: 1 }]);
      expect(await store.latestReadingTs(b)).toBe(T0 + 9 * S);
    });

    it('reports the earliest reading and estimate times separately', async () => {
      const b = building('earliest');
      expect(await store.earliestReadingTs(b)).toBeNull();
      expect(await store.earliestEstimateTs(b)).toBeNull();
      await store.writeReadings(b, [
        { ts: T0 + 9 * S, powerW: 1 },
        { ts: T0 + 7 * S, powerW: 2 },
        { ts: T0 + 8 * S, powerW: 3 },
      ]);
      expect(await store.earliestReadingTs(b)).toBe(T0 + 7 * S);
      expect(await store.earliestEstimateTs(b)).toBeNull();
      // The oldest estimate of any appliance counts.
      await store.writeEstimates(b, 'm@1', [
        { ts: T0 + 5 * S, appliance: 'kettle', powerW: 1, onProb: 1 },
        { ts: T0 + 3 * S, appliance: 'fridge', powerW: 1, onProb: 1 },
        { ts: T0 + 4 * S, appliance: 'kettle', powerW: 1, onProb: 1 },
      ]);
      expect(await store.earliestEstimateTs(b)).toBe(T0 + 3 * S);
      expect(await store.earliestReadingTs(b)).toBe(T0 + 7 * S);
      // Newer points do not move it forward; older ones (a later import of history) move it back.
      await store.writeReadings(b, [{ ts: T0 + MIN, powerW: 1 }]);
      expect(await store.earliestReadingTs(b)).toBe(T0 + 7 * S);
      await store.writeReadings(b, [{ ts: T0 - 2 * MIN, powerW: 1 }]);
      expect(await store.earliestReadingTs(b)).toBe(T0 - 2 * MIN);
      expect(await store.latestReadingTs(b)).toBe(T0 + MIN);
      await store.writeEstimates(b, 'm@1', [
        { ts: T0 - MIN, appliance: 'oven', powerW: 1, onProb: 1 },
      ]);
      expect(await store.earliestEstimateTs(b)).toBe(T0 - MIN);
      expect(await store.latestEstimateTs(b)).toBe(T0 + 5 * S);
    });

    it('averages readings and estimates per aligned bucket, leaving empty buckets out', async () => {
      const b = building('buckets');
      await store.writeReadings(b, [
        // Before the range start (T0 + 10 s): must not count in the first bucket.
        { ts: T0 + 5 * S, powerW: 10_000 },
        // Bucket T0: readings and estimates.
        { ts: T0 + 10 * S, powerW: 100 },
        { ts: T0 + 40 * S, powerW: 200 },
        { ts: T0 + 59 * S, powerW: 600 },
        // Bucket T0 + 1 min: readings only.
        { ts: T0 + MIN, powerW: 1000 },
        { ts: T0 + MIN + 30 * S, powerW: 1500 },
        // Bucket T0 + 2 min is empty. Bucket T0 + 3 min has estimates only.
        // At the range end: excluded.
        { ts: T0 + 4 * MIN, powerW: 7 },
      ]);
      await store.writeEstimates(b, 'm@1', [
        { ts: T0 + 5 * S, appliance: 'kettle', powerW: 9999, onProb: 1 },
        { ts: T0 + 10 * S, appliance: 'kettle', powerW: 2000, onProb: 1 },
        { ts: T0 + 40 * S, appliance: 'kettle', powerW: 0, onProb: 0.5 },
        { ts: T0 + 10 * S, appliance: 'fridge', powerW: 80, onProb: 0.75 },
        { ts: T0 + 40 * S, appliance: 'fridge', powerW: 90, onProb: 0.25 },
        { ts: T0 + 59 * S, appliance: 'fridge', powerW: 100, onProb: 0.5 },
        { ts: T0 + 3 * MIN + 15 * S, appliance: 'fridge', powerW: 70, onProb: 0.25 },
        { ts: T0 + 3 * MIN + 45 * S, appliance: 'fridge', powerW: 50, onProb: 0.75 },
        { ts: T0 + 4 * MIN, appliance: 'fridge', powerW: 1, onProb: 1 },
      ]);
      const buckets = await store.readBuckets(b, T0 + 10 * S, T0 + 4 * MIN, 60);
      expect(buckets.map((x) => x.ts)).toEqual([T0, T0 + MIN, T0 + 3 * MIN]);
      const [first, second, fourth] = buckets;
      expect(first!.powerW).toBeCloseTo(300, 9); // (100 + 200 + 600) / 3
      expect(Object.keys(first!.appliances).sort()).toEqual(['fridge', 'kettle']);
      expect(first!.appliances.kettle!.powerW).toBeCloseTo(1000, 9);
      expect(first!.appliances.kettle!.onProb).toBeCloseTo(0.75, 9);
      expect(first!.appliances.fridge!.powerW).toBeCloseTo(90, 9);
      expect(first!.appliances.fridge!.onProb).toBeCloseTo(0.5, 9);
      expect(second).toEqual({ ts: T0 + MIN, powerW: 1250, appliances: {} });
      expect(fourth!.powerW).toBeNull();
      expect(Object.keys(fourth!.appliances)).toEqual(['fridge']);
      expect(fourth!.appliances.fridge!.powerW).toBeCloseTo(60, 9);
      expect(fourth!.appliances.fridge!.onProb).toBeCloseTo(0.5, 9);

      // Buckets align to multiples of their size from the epoch, not to the range start.
      const fives = await store.readBuckets(b, T0 + 10 * S, T0 + MIN, 300);
      expect(fives).toHaveLength(1);
      expect(fives[0]!.ts).toBe(T0);
      expect(fives[0]!.powerW).toBeCloseTo(300, 9);
      const quarter = await store.readBuckets(b, T0 + 35 * S, T0 + 2 * MIN, 15);
      expect(quarter.map((x) => [x.ts, x.powerW])).toEqual([
        [T0 + 30 * S, 200],
        [T0 + 45 * S, 600],
        [T0 + MIN, 1000],
        [T0 + MIN + 30 * S, 1500],
      ]);
    });

    it('gives coarse buckets equal to the means of the minute data, after writes, rewrites and deletes', async () => {
      const b = building('coarse');
      const DAY = 24 * 60 * MIN;
      // Two days and a bit of minutes from T0 - 2 h (so a day boundary falls inside), with a few
      // extra points between minutes; kettle estimates carry a band on part of their minutes.
      const from = T0 - 120 * MIN;
      const minutes = 2 * 1440 + 300;
      let readings: Reading[] = [];
      let estimates: EstimatePoint[] = [];
      for (let i = 0; i < minutes; i++) {
        const ts = from + i * MIN;
        readings.push({ ts, powerW: 100 + (i % 37) * 12.5 });
        if (i % 11 === 0) readings.push({ ts: ts + 20 * S, powerW: 3000 - (i % 5) * 100 });
        const on = i % 29 < 4;
        estimates.push({
          ts,
          appliance: 'kettle',
          powerW: on ? 2000 : 0,
          onProb: on ? 0.875 : 0.0625,
          ...(i % 500 < 250 ? { lowW: on ? 1800 : 0, highW: on ? 2200 : 10 } : {}),
        });
        if (i % 3 === 0)
          estimates.push({ ts, appliance: 'fridge', powerW: 80 + (i % 4), onProb: 0.5 });
      }
      await store.writeReadings(b, readings);
      // Estimates arrive as the worker writes them: in batches of about an hour.
      for (let i = 0; i < estimates.length; i += 150)
        await store.writeEstimates(b, 'm@1', estimates.slice(i, i + 150));

      // Ranges aligned and not (mid-bucket ends), buckets with and without a rollup to use.
      const ranges: Array<[number, number]> = [
        [from, from + minutes * MIN],
        [T0 - 97 * MIN - 30 * S, T0 + DAY + 13 * 60 * MIN + 7 * MIN],
        [T0, T0 + DAY],
        [T0 + 7 * MIN, T0 + 50 * MIN],
      ];
      const sizes = [60, 600, 900, 1800, 3600, 7200, 21_600, 86_400, 172_800];
      const check = async () => {
        for (const [start, end] of ranges)
          for (const size of sizes)
            expectSameBuckets(
              await store.readBuckets(b, start, end, size),
              bucketsOf(readings, estimates, start, end, size),
            );
      };
      await check();

      // History re-estimated: the same minutes rewritten with other values (bands dropped on
      // some, added on others), and some readings corrected.
      const rewrite = (p: EstimatePoint, i: number): EstimatePoint => ({
        ts: p.ts,
        appliance: p.appliance,
        powerW: p.powerW / 2 + 5,
        onProb: 0.25,
        ...(i % 2 === 0 ? { lowW: 1, highW: 2 + (i % 7) } : {}),
      });
      // A run of minutes, and scattered ones (buckets with gaps between them).
      const redone = [
        ...estimates.slice(700, 2300),
        ...estimates.filter((_, i) => i % 97 === 0 && (i < 700 || i >= 2300)),
      ].map(rewrite);
      await store.writeEstimates(b, 'm@2', redone);
      const redoneKeys = new Map(redone.map((p) => [`${p.ts} ${p.appliance}`, p]));
      estimates = estimates.map((p) => redoneKeys.get(`${p.ts} ${p.appliance}`) ?? p);
      const corrected = readings.slice(1000, 1100).map((r) => ({ ts: r.ts, powerW: r.powerW + 1 }));
      await store.writeReadings(b, corrected);
      const correctedAt = new Map(corrected.map((r) => [r.ts, r]));
      readings = readings.map((r) => correctedAt.get(r.ts) ?? r);
      await check();

      // Deleted, then written again: nothing of the old data survives in any bucket.
      await store.deleteBuilding(b);
      for (const size of sizes)
        expect(await store.readBuckets(b, from, from + minutes * MIN, size)).toEqual([]);
      readings = readings.slice(0, 2000).map((r) => ({ ts: r.ts, powerW: 7 }));
      estimates = estimates.slice(0, 1500);
      await store.writeReadings(b, readings);
      await store.writeEstimates(b, 'm@3', estimates);
      await check();
    });

    it('writes many buildings in one call as one call per building would: a building twice, stored times rewritten', async () => {
      const DAY = 24 * 60 * MIN;
      // Three buildings written through the many-writes, three twins through one call per batch.
      const many = [building('many'), building('many'), building('many')];
      const single = [building('single'), building('single'), building('single')];
      // Values are multiples of 1/8, so every sum is exact and the twins' rows compare equal.
      const stored = (k: number): Reading[] =>
        Array.from({ length: 40 }, (_, i) => ({ ts: T0 + i * MIN, powerW: 100 * k + i / 8 }));
      const storedEstimates = (k: number): EstimatePoint[] =>
        Array.from({ length: 40 }, (_, i) => ({
          ts: T0 + i * MIN,
          appliance: i % 2 ? 'kettle' : 'fridge',
          powerW: 10 * k + i,
          onProb: 0.5,
          ...(i % 4 === 0 ? { lowW: 1, highW: 2 } : {}),
        }));
      for (const ids of [many, single])
        for (const [k, b] of ids.entries()) {
          await store.writeReadings(b, stored(k));
          await store.writeEstimates(b, 'm@1', storedEstimates(k));
        }
      const readings = (ids: string[]): ReadingsBatch[] => [
        {
          buildingId: ids[0]!,
          // A stored time rewritten, new ones, and a time twice in the batch (the later wins).
          readings: [
            { ts: T0 + 5 * MIN, powerW: 7.5 },
            { ts: T0 + 90 * MIN, powerW: 1 },
            { ts: T0 + 90 * MIN, powerW: 2.25 },
          ],
        },
        // Another day, in another building.
        { buildingId: ids[1]!, readings: [{ ts: T0 + DAY + 3 * MIN, powerW: 42 }] },
        // The first building again: its later batch wins at T0 + 5 min.
        {
          buildingId: ids[0]!,
          readings: [
            { ts: T0 + 5 * MIN, powerW: 9.125 },
            { ts: T0 - 2 * DAY, powerW: 3 },
          ],
        },
        // Same span as the second building's: refreshed in one statement with it.
        { buildingId: ids[2]!, readings: [{ ts: T0 + DAY + 3 * MIN, powerW: 8 }] },
        { buildingId: ids[0]!, readings: [] },
      ];
      const estimates = (ids: string[]): EstimatesBatch[] => [
        {
          buildingId: ids[0]!,
          modelVersion: 'm@2',
          points: [
            { ts: T0 + 6 * MIN, appliance: 'fridge', powerW: 3.5, onProb: 0.25 },
            { ts: T0 + 7 * MIN, appliance: 'kettle', powerW: 2000, onProb: 1, lowW: 5, highW: 6 },
            { ts: T0 + 2 * DAY, appliance: 'oven', powerW: 800, onProb: 0.75 },
          ],
        },
        {
          buildingId: ids[2]!,
          modelVersion: 'm@2',
          points: [{ ts: T0 + 8 * MIN, appliance: 'fridge', powerW: 1, onProb: 0.125 }],
        },
        {
          buildingId: ids[0]!,
          modelVersion: 'm@3',
          points: [{ ts: T0 + 6 * MIN, appliance: 'fridge', powerW: 4.5, onProb: 0.5 }],
        },
        {
          buildingId: ids[1]!,
          modelVersion: 'm@3',
          points: [{ ts: T0 + 8 * MIN, appliance: 'kettle', powerW: 2, onProb: 1 }],
        },
        { buildingId: ids[2]!, modelVersion: 'm@3', points: [] },
      ];
      await store.writeReadingsMany(readings(many));
      await store.writeEstimatesMany(estimates(many));
      for (const { buildingId, readings: r } of readings(single))
        await store.writeReadings(buildingId, r);
      for (const { buildingId, modelVersion, points } of estimates(single))
        await store.writeEstimates(buildingId, modelVersion, points);

      const from = T0 - 3 * DAY;
      const to = T0 + 3 * DAY;
      for (let k = 0; k < 3; k++)
        expect(await everythingOf(store, many[k]!, from, to), `building ${k}`).toEqual(
          await everythingOf(store, single[k]!, from, to),
        );
      // And the values are the ones written last.
      expect(await store.readReadings(many[0]!, T0 + 5 * MIN, T0 + 5 * MIN + 1)).toEqual([
        { ts: T0 + 5 * MIN, powerW: 9.125 },
      ]);
      expect(await store.readReadings(many[0]!, T0 + 90 * MIN, T0 + 91 * MIN)).toEqual([
        { ts: T0 + 90 * MIN, powerW: 2.25 },
      ]);
      expect(await store.readEstimates(many[0]!, T0 + 6 * MIN, T0 + 7 * MIN)).toEqual([
        noBand({ ts: T0 + 6 * MIN, appliance: 'fridge', powerW: 4.5, onProb: 0.5 }),
      ]);
      expect(await store.earliestReadingTs(many[0]!)).toBe(T0 - 2 * DAY);
      expect(await store.latestEstimateTs(many[0]!)).toBe(T0 + 2 * DAY);
    });

    it('writes hundreds of buildings in one call, their rollups too', async () => {
      const DAY = 24 * 60 * MIN;
      // Long ids, so a store that names buildings in its statements must split them.
      const ids = Array.from({ length: 300 }, () => building('many_buildings_with_long_ids'));
      await store.writeReadingsMany(
        ids.map((buildingId, k) => ({ buildingId, readings: [{ ts: T0 + MIN, powerW: k }] })),
      );
      await store.writeEstimatesMany(
        ids.map((buildingId, k) => ({
          buildingId,
          modelVersion: 'm@1',
          points: [{ ts: T0 + MIN, appliance: 'fridge', powerW: k + 0.5, onProb: 0.5 }],
        })),
      );
      for (const [k, b] of ids.entries()) {
        const expected = [
          { ts: T0, powerW: k, appliances: { fridge: { powerW: k + 0.5, onProb: 0.5 } } },
        ];
        // Whole 15 min and whole days: read from the rollups where the store keeps them.
        expect(await store.readBuckets(b, T0, T0 + 15 * MIN, 900), b).toEqual(expected);
        expect(await store.readBuckets(b, T0, T0 + DAY, 86_400), b).toEqual(expected);
      }
    });

    it('rejects a many-write with one invalid batch as a whole, naming its building, writing nothing', async () => {
      const a = building('manybad');
      const b = building('manybad');
      const ok = [{ ts: T0, powerW: 1 }];
      const error = await store
        .writeReadingsMany([
          { buildingId: a, readings: ok },
          { buildingId: b, readings: [...ok, { ts: T0 + S, powerW: Number.NaN }] },
        ])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(StoreUnavailableError);
      expect(String(error)).toContain(`building ${b}`);
      expect(String(error)).toMatch(/powerW.*nothing was written/);
      await expect(
        store.writeReadingsMany([
          { buildingId: a, readings: ok },
          { buildingId: 'bad id!', readings: ok },
        ]),
      ).rejects.toThrow(/building id "bad id!"/);
      const point = { ts: T0, appliance: 'kettle', powerW: 1, onProb: 1 };
      await expect(
        store.writeEstimatesMany([
          { buildingId: a, modelVersion: 'm@1', points: [point] },
          { buildingId: b, modelVersion: 'm@1', points: [{ ...point, lowW: 5 }] },
        ]),
      ).rejects.toThrow(new RegExp(`building ${b}: give both lowW and highW`));
      await expect(
        store.writeEstimatesMany([
          { buildingId: a, modelVersion: 'm@1', points: [point] },
          { buildingId: b, modelVersion: '', points: [point] },
        ]),
      ).rejects.toThrow(new RegExp(`building ${b}: modelVersion`));
      for (const id of [a, b]) {
        expect(await store.readReadings(id, T0, T0 + MIN)).toEqual([]);
        expect(await store.readEstimates(id, T0, T0 + MIN)).toEqual([]);
        expect(await store.latestReadingTs(id)).toBeNull();
        expect(await store.latestEstimateTs(id)).toBeNull();
      }
    });

    it('takes an empty many-write as a no-op and skips buildings without points', async () => {
      await store.writeReadingsMany([]);
      await store.writeEstimatesMany([]);
      const empty = building('manyempty');
      const full = building('manyfull');
      await store.writeReadingsMany([
        { buildingId: empty, readings: [] },
        { buildingId: full, readings: [{ ts: T0, powerW: 5 }] },
      ]);
      await store.writeEstimatesMany([
        { buildingId: full, modelVersion: 'm@1', points: [] },
        { buildingId: empty, modelVersion: 'm@1', points: [] },
      ]);
      for (const read of [
        store.latestReadingTs(empty),
        store.earliestReadingTs(empty),
        store.latestEstimateTs(empty),
        store.latestEstimateTs(full),
      ])
        expect(await read).toBeNull();
      expect(await store.readBuckets(empty, T0, T0 + MIN, 60)).toEqual([]);
      expect(await store.readBuckets(full, T0, T0 + MIN, 60)).toEqual([
        { ts: T0, powerW: 5, appliances: {} },
      ]);
    });

    it('orders many-writes and single writes of a building as they were issued', async () => {
      const a = building('manyorder');
      const b = building('manyorder');
      // Issued together, never awaited in between: the last one issued wins for each time.
      await Promise.all([
        store.writeReadingsMany([
          { buildingId: a, readings: [{ ts: T0, powerW: 1 }] },
          { buildingId: b, readings: [{ ts: T0, powerW: 1 }] },
        ]),
        store.writeReadings(a, [{ ts: T0, powerW: 2 }]),
        store.writeReadingsMany([{ buildingId: a, readings: [{ ts: T0, powerW: 3 }] }]),
        store.writeReadings(b, [{ ts: T0, powerW: 4 }]),
      ]);
      expect(await store.readReadings(a, T0, T0 + MIN)).toEqual([{ ts: T0, powerW: 3 }]);
      expect(await store.readReadings(b, T0, T0 + MIN)).toEqual([{ ts: T0, powerW: 4 }]);
      expect((await store.readBuckets(a, T0, T0 + MIN, 60))[0]?.powerW).toBe(3);
    });

    it('reads many ranges in one call as readReadings would per range, in the order asked', async () => {
      const a = building('readmany');
      const b = building('readmany');
      const c = building('readmany');
      const quiet = building('readmany');
      const unknown = building('readmany');
      // Arrival order, time-major: every building's reading at t, then t + 10 s, ...
      const steps = Array.from({ length: 30 }, (_, i) => T0 + i * 10 * S);
      await store.writeReadingsMany(
        steps.flatMap((ts, i) =>
          [a, b, c].map((id, j) => ({ buildingId: id, readings: [{ ts, powerW: i * 10 + j }] })),
        ),
      );
      await store.writeReadings(quiet, [{ ts: T0 + 10 * MIN, powerW: 7 }]);
      const ranges = [
        { buildingId: c, startMs: T0 + MIN, endMs: T0 + 3 * MIN },
        { buildingId: a, startMs: T0, endMs: T0 + 5 * MIN },
        // The same building twice, with overlapping and with disjoint ranges.
        { buildingId: c, startMs: T0 + 2 * MIN, endMs: T0 + 2 * MIN + 25 * S },
        { buildingId: a, startMs: T0 + 4 * MIN + 30 * S, endMs: T0 + 4 * MIN + 31 * S },
        { buildingId: unknown, startMs: T0, endMs: T0 + 5 * MIN },
        // Stored rows, but none in the range; an empty and an inverted range.
        { buildingId: quiet, startMs: T0, endMs: T0 + 5 * MIN },
        { buildingId: b, startMs: T0 + MIN, endMs: T0 + MIN },
        { buildingId: b, startMs: T0 + 2 * MIN, endMs: T0 + MIN },
        { buildingId: b, startMs: T0 + 4 * MIN + 50 * S, endMs: T0 + 24 * 60 * MIN },
      ];
      const many = await store.readReadingsMany(ranges);
      const single = await Promise.all(
        ranges.map((r) => store.readReadings(r.buildingId, r.startMs, r.endMs)),
      );
      expect(many).toEqual(single);
      // And against what was written, so two equally wrong answers cannot pass.
      expect(many.map((r) => r.length)).toEqual([12, 30, 3, 1, 0, 0, 0, 0, 1]);
      expect(many[2]).toEqual([
        { ts: T0 + 2 * MIN, powerW: 120 + 2 },
        { ts: T0 + 2 * MIN + 10 * S, powerW: 130 + 2 },
        { ts: T0 + 2 * MIN + 20 * S, powerW: 140 + 2 },
      ]);
      expect(many[3]).toEqual([{ ts: T0 + 4 * MIN + 30 * S, powerW: 270 }]);
      expect(many[8]).toEqual([{ ts: T0 + 4 * MIN + 50 * S, powerW: 291 }]);
      expectSortedByTime(many[1]!);
      expect(await store.readReadingsMany([])).toEqual([]);
      expect(
        await store.readReadingsMany([{ buildingId: unknown, startMs: T0, endMs: T0 + MIN }]),
      ).toEqual([[]]);
    });

    it('reads many ranges over hundreds of buildings in one call', async () => {
      const ids = Array.from({ length: 300 }, () => building('readmanybig'));
      // Awaited: the contract does not make a read wait for an unawaited write (InfluxDB's reads
      // do not; DuckDB's many-read does, tested there).
      await store.writeReadingsMany(
        ids.map((id, k) => ({
          buildingId: id,
          readings: [0, 1, 2].map((i) => ({ ts: T0 + i * MIN, powerW: k * 3 + i })),
        })),
      );
      const read = await store.readReadingsMany(
        ids.map((id, k) => ({ buildingId: id, startMs: T0 + (k % 3) * MIN, endMs: T0 + 60 * MIN })),
      );
      expect(read).toEqual(
        ids.map((_, k) =>
          [0, 1, 2].filter((i) => i >= k % 3).map((i) => ({ ts: T0 + i * MIN, powerW: k * 3 + i })),
        ),
      );
    });

    it('refuses a many-read with one bad range as a whole, naming it', async () => {
      const a = building('readmanybad');
      await store.writeReadings(a, [{ ts: T0, powerW: 1 }]);
      const ok = { buildingId: a, startMs: T0, endMs: T0 + MIN };
      for (const [bad, pattern] of [
        [
          { buildingId: 'bad id!', startMs: T0, endMs: T0 + MIN },
          /range 1 .*building id "bad id!"/,
        ],
        [{ buildingId: a, startMs: T0 + 0.5, endMs: T0 + MIN }, /range 1 .*integer epoch/],
        [{ buildingId: a, startMs: T0, endMs: Number.NaN }, /range 1 .*integer epoch/],
      ] as const) {
        const error = await store.readReadingsMany([ok, bad, ok]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(StoreUnavailableError);
        expect(String(error)).toMatch(pattern);
        expect(String(error)).toContain('nothing was read');
      }
      await expect(
        store.readReadingsMany(null as unknown as readonly ReadingsRange[]),
      ).rejects.toThrow(/expected an array/);
    });

    it('keeps buildings apart and deletes one without touching another', async () => {
      const a = building('iso_a');
      const b = building('iso_b');
      await store.writeReadings(a, [{ ts: T0, powerW: 1 }]);
      await store.writeReadings(b, [{ ts: T0, powerW: 2 }]);
      await store.writeEstimates(a, 'm@1', [{ ts: T0, appliance: 'kettle', powerW: 3, onProb: 1 }]);
      await store.writeEstimates(b, 'm@1', [{ ts: T0, appliance: 'kettle', powerW: 4, onProb: 0 }]);
      expect(await store.readReadings(a, T0, T0 + S)).toEqual([{ ts: T0, powerW: 1 }]);
      expect(await store.readEstimates(b, T0, T0 + S)).toEqual([
        noBand({ ts: T0, appliance: 'kettle', powerW: 4, onProb: 0 }),
      ]);
      expect(await store.readBuckets(a, T0, T0 + MIN, 60)).toEqual([
        { ts: T0, powerW: 1, appliances: { kettle: { powerW: 3, onProb: 1 } } },
      ]);

      await store.deleteBuilding(a);
      expect(await store.readReadings(a, T0, T0 + S)).toEqual([]);
      expect(await store.readEstimates(a, T0, T0 + S)).toEqual([]);
      expect(await store.readBuckets(a, T0, T0 + MIN, 60)).toEqual([]);
      expect(await store.latestReadingTs(a)).toBeNull();
      expect(await store.latestEstimateTs(a)).toBeNull();
      expect(await store.earliestReadingTs(a)).toBeNull();
      expect(await store.earliestEstimateTs(a)).toBeNull();
      expect(await store.readReadings(b, T0, T0 + S)).toEqual([{ ts: T0, powerW: 2 }]);
      expect(await store.latestEstimateTs(b)).toBe(T0);

      // A deleted building can be written again, at the same times; deleting an unknown one is
      // a no-op.
      await store.writeReadings(a, [
        { ts: T0, powerW: 5 },
        { ts: T0 + S, powerW: 6 },
      ]);
      expect(await store.readReadings(a, T0, T0 + MIN)).toEqual([
        { ts: T0, powerW: 5 },
        { ts: T0 + S, powerW: 6 },
      ]);
      await store.deleteBuilding(building('never'));
    });

    it('round-trips a large batch of 20 000 readings', async () => {
      const b = building('large');
      const n = 20_000;
      const written = Array.from({ length: n }, (_, i) => ({
        ts: T0 + i * S,
        powerW: Math.round(Math.sin(i / 100) * 1e6) / 100 + 500,
      }));
      await store.writeReadings(b, written);
      const read = await store.readReadings(b, T0, T0 + n * S);
      expect(read).toHaveLength(n);
      expect(read).toEqual(written);
      expect(await store.latestReadingTs(b)).toBe(T0 + (n - 1) * S);
      const buckets = await store.readBuckets(b, T0, T0 + n * S, 3600);
      expect(buckets).toHaveLength(Math.ceil((n * S) / (3600 * S)));
      const expectedFirst = written.slice(0, 3600).reduce((sum, r) => sum + r.powerW, 0) / 3600;
      expect(buckets[0]!.powerW).toBeCloseTo(expectedFirst, 6);
    });

    it('quotes appliance names with spaces, commas, quotes and equals signs', async () => {
      const b = building('Quote_Me-');
      const names = ['washing machine, main', 'it\'s "the" oven=2', 'tumble dryer,', ' lead'];
      const points = names.map((appliance, i) => ({
        ts: T0 + i * S,
        appliance,
        powerW: 100 + i,
        onProb: 0.5,
      }));
      await store.writeEstimates(b, 'model "x", v=\'1\'', points);
      expect(await store.readEstimates(b, T0, T0 + MIN)).toEqual(points.map(noBand));
      const [bucket] = await store.readBuckets(b, T0, T0 + MIN, 60);
      expect(Object.keys(bucket!.appliances).sort()).toEqual([...names].sort());
      expect(bucket!.appliances['washing machine, main']).toEqual({ powerW: 100, onProb: 0.5 });
      await store.deleteBuilding(b);
      expect(await store.readEstimates(b, T0, T0 + MIN)).toEqual([]);
    });

    it('rejects a batch with an invalid point as a whole, writing nothing', async () => {
      const b = building('invalid');
      const bad = [
        { ts: T0, powerW: 1 },
        { ts: T0 + S, powerW: Number.NaN },
      ];
      const error = await store.writeReadings(b, bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(StoreUnavailableError);
      expect(String(error)).toMatch(/powerW/);
      await expect(store.writeReadings(b, [{ ts: T0 + 0.5, powerW: 1 }])).rejects.toThrow(/ts/);
      await expect(
        store.writeEstimates(b, 'm@1', [
          { ts: T0, appliance: 'ok', powerW: 1, onProb: 1 },
          { ts: T0, appliance: 'line\nbreak', powerW: 1, onProb: 1 },
        ]),
      ).rejects.toThrow(/appliance/);
      await expect(store.writeReadings('bad id!', [{ ts: T0, powerW: 1 }])).rejects.toThrow(
        /building id/,
      );
      expect(await store.readReadings(b, T0, T0 + MIN)).toEqual([]);
      expect(await store.readEstimates(b, T0, T0 + MIN)).toEqual([]);
    });

    it('keeps concurrent writes and reads whole', async () => {
      const b = building('concurrent');
      const batches = Array.from({ length: 8 }, (_, k) =>
        Array.from({ length: 250 }, (_, i) => ({ ts: T0 + (k * 250 + i) * S, powerW: k })),
      );
      // On one connection, unserialised transactions would collide ("transaction within a
      // transaction"); every call must complete and every point must be there afterwards.
      await Promise.all([
        ...batches.map((batch) => store.writeReadings(b, batch)),
        ...batches.map((_, k) =>
          store.writeEstimates(b, 'm@1', [
            { ts: T0 + k * S, appliance: `a${k}`, powerW: k, onProb: 1 },
          ]),
        ),
        store.readReadings(b, T0, T0 + MIN),
        store.latestReadingTs(b),
      ]);
      const read = await store.readReadings(b, T0, T0 + 2000 * S);
      expect(read).toEqual(batches.flat());
      expect(await store.readEstimates(b, T0, T0 + MIN)).toHaveLength(8);
    });

    it('keeps grid measurements apart from readings: bucket means, nulls where unmeasured, idempotent', async () => {
      const b = building('grid');
      await store.writeGrid(b, [
        { ts: T0, importW: 0, exportW: 2140, productionW: 2600 },
        { ts: T0 + 30 * S, importW: 0, exportW: 1860, productionW: null },
        { ts: T0 + MIN, importW: 313, exportW: 0, productionW: null },
      ]);
      // Written again with another value: the last write wins.
      await store.writeGrid(b, [{ ts: T0 + MIN, importW: 320, exportW: 0, productionW: null }]);
      expect(await store.readGridBuckets(b, T0, T0 + 2 * MIN, 60)).toEqual([
        { ts: T0, importW: 0, exportW: 2000, productionW: 2600 },
        { ts: T0 + MIN, importW: 320, exportW: 0, productionW: null },
      ]);
      expect(await store.readBuckets(b, T0, T0 + 2 * MIN, 60)).toEqual([]);
      expect(await store.readGridBuckets(b, T0 + 2 * MIN, T0 + 3 * MIN, 60)).toEqual([]);
      await expect(
        store.writeGrid(b, [{ ts: T0, importW: -1, exportW: 0, productionW: null }]),
      ).rejects.toThrow(/importW must be >= 0/);
      await store.deleteBuilding(b);
      expect(await store.readGridBuckets(b, T0, T0 + 2 * MIN, 60)).toEqual([]);
    });

    it('keeps per-phase power with the grid: a mean per phase, unmeasured phases absent, last write wins', async () => {
      const b = building('phases');
      await store.writeGrid(b, [
        { ts: T0, importW: 0, exportW: 1000, productionW: 1600, phasesW: [-900.5, -400, 300.5] },
        // L3 not measured here: its mean is over the one point that measured it, not 0.
        { ts: T0 + 30 * S, importW: 0, exportW: 500, productionW: 1600, phasesW: [-500.5, -200] },
        // Phases alone, with nothing else measured.
        { ts: T0 + MIN, importW: null, exportW: null, productionW: null, phasesW: [120.25] },
        { ts: T0 + 2 * MIN, importW: 400, exportW: 0, productionW: null },
        { ts: T0 + 3 * MIN, importW: 10, exportW: 0, productionW: null, phasesW: [1, 2, 7] },
        { ts: T0 + 4 * MIN, importW: 10, exportW: 0, productionW: null, phasesW: [1, 2, 7] },
      ]);
      // Rewritten with fewer phases, and with none: nothing of the earlier phases is left.
      await store.writeGrid(b, [
        { ts: T0 + 3 * MIN, importW: 10, exportW: 0, productionW: null, phasesW: [10] },
        { ts: T0 + 4 * MIN, importW: 10, exportW: 0, productionW: null },
      ]);
      expect(await store.readGridBuckets(b, T0, T0 + 5 * MIN, 60)).toEqual([
        {
          ts: T0,
          importW: 0,
          exportW: 750,
          productionW: 1600,
          phasesW: [-700.5, -300, 300.5],
        },
        { ts: T0 + MIN, importW: null, exportW: null, productionW: null, phasesW: [120.25] },
        { ts: T0 + 2 * MIN, importW: 400, exportW: 0, productionW: null },
        { ts: T0 + 3 * MIN, importW: 10, exportW: 0, productionW: null, phasesW: [10] },
        { ts: T0 + 4 * MIN, importW: 10, exportW: 0, productionW: null },
      ]);
      const unphased = (await store.readGridBuckets(b, T0 + 2 * MIN, T0 + 3 * MIN, 60))[0]!;
      expect('phasesW' in unphased).toBe(false);
      // Both phases of the first minute in one bucket of two minutes, with the phase-only point.
      expect((await store.readGridBuckets(b, T0, T0 + 2 * MIN, 120))[0]!.phasesW).toEqual([
        (-900.5 - 500.5 + 120.25) / 3,
        -300,
        300.5,
      ]);

      const valid = { ts: T0 + 9 * MIN, importW: 1, exportW: 0, productionW: null };
      for (const [phasesW, message] of [
        [[], /phasesW must hold 1 to 3 values/],
        [[1, 2, 3, 4], /phasesW must hold 1 to 3 values/],
        [[1, Number.NaN], /phasesW\[1\] must be a finite number/],
      ] as const) {
        await expect(
          store.writeGrid(b, [valid, { ...valid, ts: T0 + 10 * MIN, phasesW }]),
        ).rejects.toThrow(message);
      }
      expect(await store.readGridBuckets(b, T0 + 9 * MIN, T0 + 11 * MIN, 60)).toEqual([]);
      await store.deleteBuilding(b);
      expect(await store.readGridBuckets(b, T0, T0 + 5 * MIN, 60)).toEqual([]);
    });

    it('keeps a sub-meter apart from the mains, per appliance: bucket means, idempotent, deleted with the building', async () => {
      const b = building('submeter');
      const other = building('submeter');
      await store.writeReadings(b, [{ ts: T0, powerW: 500 }]);
      // Two kettle points in the first minute, one in the third; the same time twice in a batch
      // keeps the last value.
      await store.writeSubmeter(b, 'kettle', [
        { ts: T0 + 10 * S, powerW: 2000 },
        { ts: T0 + 40 * S, powerW: 1 },
        { ts: T0 + 40 * S, powerW: 3000 },
        { ts: T0 + 2 * MIN, powerW: 0 },
      ]);
      await store.writeSubmeter(b, 'hot tub', [{ ts: T0, powerW: 1500 }]);
      await store.writeSubmeter(other, 'kettle', [{ ts: T0, powerW: 9 }]);
      expect(await store.readSubmeterBuckets(b, 'kettle', T0, T0 + 5 * MIN, 60)).toEqual([
        { ts: T0, powerW: 2500 },
        { ts: T0 + 2 * MIN, powerW: 0 },
      ]);
      expect(await store.readSubmeterBuckets(b, 'hot tub', T0, T0 + MIN, 60)).toEqual([
        { ts: T0, powerW: 1500 },
      ]);
      // Never in the mains, nor in the estimates.
      expect(await store.readReadings(b, T0, T0 + 5 * MIN)).toEqual([{ ts: T0, powerW: 500 }]);
      expect(await store.readEstimates(b, T0, T0 + 5 * MIN)).toEqual([]);
      const [bucket] = await store.readBuckets(b, T0, T0 + MIN, 60);
      expect(bucket).toEqual({ ts: T0, powerW: 500, appliances: {} });

      // A rewrite replaces; a bad batch writes nothing.
      await store.writeSubmeter(b, 'kettle', [{ ts: T0 + 2 * MIN, powerW: 100 }]);
      await expect(
        store.writeSubmeter(b, 'kettle', [
          { ts: T0 + 3 * MIN, powerW: 5 },
          { ts: T0 + 4 * MIN, powerW: -1 },
        ]),
      ).rejects.toThrow(/powerW must be >= 0/);
      await expect(
        store.writeSubmeter(b, 'bad\\name', [{ ts: T0 + 3 * MIN, powerW: 5 }]),
      ).rejects.toThrow(/backslash/);
      expect(await store.readSubmeterBuckets(b, 'kettle', T0 + MIN, T0 + 5 * MIN, 60)).toEqual([
        { ts: T0 + 2 * MIN, powerW: 100 },
      ]);
      expect(await store.readSubmeterBuckets(b, 'kettle', T0, T0, 60)).toEqual([]);

      await store.deleteBuilding(b);
      expect(await store.readSubmeterBuckets(b, 'kettle', T0, T0 + 5 * MIN, 60)).toEqual([]);
      expect(await store.readSubmeterBuckets(other, 'kettle', T0, T0 + MIN, 60)).toEqual([
        { ts: T0, powerW: 9 },
      ]);
    });
  });
}
