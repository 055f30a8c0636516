/**
 * The estimate backlog scenarios every store pair must pass (embedded: PGlite + DuckDB in the
 * unit tier; PostgreSQL + InfluxDB in the integration tier), with a tiny random model: every
 * reading minute ends up estimated exactly once per appliance, checked minute by minute, for
 * live readings then history, history then live, history arriving newest day first, two
 * overlapping imports, a week-long gap, a run that dies half way, readings that arrive during a
 * run, and runs of several buildings at once (their backlog statements shared). Newest data is
 * estimated first. Test files call `disaggregationScenarios`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '@nilm/ml';
import type { MetadataStore, Reading, TimeSeriesStore } from '@nilm/stores';
import { storeReadings } from '../services.fixture.js';
import { DisaggregationService, type RunResult } from './disaggregation.service.js';

export const MIN = 60_000;
export const DAY = 86_400_000;
/** The tiny model's appliances: kettle and washing_machine. */
export const APPLIANCES = 2;

/** The stores and model the scenarios run on. */
export interface ScenarioParts {
  metadata: MetadataStore;
  timeseries: TimeSeriesStore;
  engine: InferenceEngine;
  close: () => Promise<void>;
}

/** Set by the suite's beforeAll; read by the helpers below. */
export const ctx = {} as ScenarioParts & { parts: ScenarioParts };

/** A mains power per minute over [fromMs, toMs): a 90 W base, a fridge cycle and a daily kettle. */
export function minutes(fromMs: number, toMs: number): Reading[] {
  const out: Reading[] = [];
  for (let ts = fromMs; ts < toMs; ts += MIN) {
    const m = Math.floor(ts / MIN);
    const kettle = m % 1440 >= 420 && m % 1440 < 424 ? 2900 : 0;
    const fridge = m % 40 < 15 ? 85 : 0;
    out.push({ ts, powerW: 90 + fridge + kettle });
  }
  return out;
}

export async function newBuilding(
  id: string,
  stores: { timeseries: TimeSeriesStore; metadata: MetadataStore } = ctx,
): Promise<DisaggregationService> {
  await stores.metadata.createBuilding({
    id,
    name: id,
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
  return new DisaggregationService({ ...stores, engine: ctx.engine });
}

/** Store readings as ingest does (write, then mark), in batches of `batch`. */
export async function ingest(
  id: string,
  readings: readonly Reading[],
  batch = 5000,
): Promise<void> {
  for (let i = 0; i < readings.length; i += batch)
    await storeReadings(ctx.parts, id, readings.slice(i, i + batch));
}

/** Run until nothing is left; returns every run's result. */
export async function runToEnd(service: DisaggregationService, id: string): Promise<RunResult[]> {
  const runs: RunResult[] = [];
  for (let i = 0; i < 300; i++) {
    const r = await service.run(id);
    runs.push(r);
    if (!r.more) return runs;
  }
  throw new Error(`building ${id} still has work after 300 runs`);
}

/**
 * Every minute that holds a reading has exactly one estimate per appliance (no holes, no
 * duplicates), checked minute by minute; returns the minutes that have estimates.
 */
export async function expectEachMinuteOnce(
  id: string,
  readingTimes: Iterable<number>,
  store: TimeSeriesStore = ctx.timeseries,
): Promise<Set<number>> {
  const times = [...readingTimes];
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const points = await store.readEstimates(id, lo - DAY, hi + DAY);
  const count = new Map<string, number>();
  for (const p of points)
    count.set(`${p.ts}|${p.appliance}`, (count.get(`${p.ts}|${p.appliance}`) ?? 0) + 1);
  expect([...count.values()].filter((n) => n !== 1)).toEqual([]);
  const perMinute = new Map<number, number>();
  for (const p of points) perMinute.set(p.ts, (perMinute.get(p.ts) ?? 0) + 1);
  const holes = times.filter((ts) => perMinute.get(Math.floor(ts / MIN) * MIN) !== APPLIANCES);
  expect(holes.map((t) => new Date(t).toISOString()).slice(0, 5)).toEqual([]);
  return new Set(perMinute.keys());
}

export const tsOf = (rs: readonly Reading[]): number[] => rs.map((r) => r.ts);

/** Register the scenarios under `name`, on the parts `open` gives (closed at the end). */
export function disaggregationScenarios(name: string, open: () => Promise<ScenarioParts>): void {
  describe(`disaggregation from the estimate backlog: ${name}`, () => {
    beforeAll(async () => {
      const p = await open();
      Object.assign(ctx, p, { parts: p });
    }, 180_000);

    afterAll(async () => {
      await ctx.parts?.close();
    }, 120_000);

    it('live readings, then 14 days of history ending now: newest first, then every minute', async () => {
      const id = 'live-then-history';
      const service = await newBuilding(id);
      const now = Date.UTC(2024, 2, 15, 12, 0);
      const live = [
        { ts: now - MIN, powerW: 120 },
        { ts: now, powerW: 130 },
      ];
      await ingest(id, live);
      expect(await runToEnd(service, id)).toEqual([{ written: 2 * APPLIANCES, more: false }]);
      await expectEachMinuteOnce(id, tsOf(live));

      // The import (as `nilm replay` sends it, 5,000 readings a batch) overlaps the live minutes.
      const history = minutes(now - 14 * DAY, now + MIN);
      await ingest(id, history);
      const first = await service.run(id);
      expect(first.more).toBe(true);
      // The first run takes the newest two days (and half a window before them).
      expect(await ctx.timeseries.latestEstimateTs(id)).toBe(now);
      expect(await ctx.timeseries.earliestEstimateTs(id)).toBeGreaterThan(now - 3 * DAY);
      const runs = await runToEnd(service, id);
      expect(runs.length).toBeLessThanOrEqual(8);
      await expectEachMinuteOnce(id, tsOf(history));
      expect(await ctx.metadata.listPending(id, 10)).toEqual([]);
      // Covered: another run writes nothing and asks for no more.
      expect(await service.run(id)).toEqual({ written: 0, more: false });
    });

    it('history first, then live minutes: each live minute is estimated in the next run', async () => {
      const id = 'history-then-live';
      const service = await newBuilding(id);
      const end = Date.UTC(2024, 3, 1);
      const history = minutes(end - 5 * DAY, end);
      await ingest(id, history);
      await runToEnd(service, id);
      for (let k = 0; k < 5; k++) {
        const reading = { ts: end + k * MIN, powerW: 100 + k };
        await ingest(id, [reading]);
        const r = await service.run(id);
        expect(r.more).toBe(false);
        // The new minute and minutes of the half window before it, which now see what came
        // after them (those whose minutes seen after them reached a power of two).
        expect(r.written).toBeGreaterThan(APPLIANCES);
        expect(await ctx.timeseries.latestEstimateTs(id)).toBe(reading.ts);
      }
      await expectEachMinuteOnce(id, [
        ...tsOf(history),
        ...[0, 1, 2, 3, 4].map((k) => end + k * MIN),
      ]);
    });

    it('history sent newest day first, with runs in between', async () => {
      const id = 'reverse-history';
      const service = await newBuilding(id);
      const end = Date.UTC(2024, 4, 1);
      const all: number[] = [];
      for (let d = 1; d <= 7; d++) {
        const day = minutes(end - d * DAY, end - (d - 1) * DAY);
        all.push(...tsOf(day));
        await ingest(id, day.reverse(), 700);
        await service.run(id);
      }
      await runToEnd(service, id);
      await expectEachMinuteOnce(id, all);
    });

    it('two overlapping imports sent at once', async () => {
      const id = 'overlapping-imports';
      const service = await newBuilding(id);
      const end = Date.UTC(2024, 5, 1);
      const a = minutes(end - 10 * DAY, end - 4 * DAY);
      const b = minutes(end - 6 * DAY, end);
      const runs = runToEnd(service, id);
      await Promise.all([ingest(id, a, 2000), ingest(id, b, 3000)]);
      await runs;
      await runToEnd(service, id);
      await expectEachMinuteOnce(id, [...tsOf(a), ...tsOf(b)]);
    });

    it('a gap of a week between two stretches: both estimated, nothing invented in the gap', async () => {
      const id = 'week-gap';
      const service = await newBuilding(id);
      const end = Date.UTC(2024, 6, 1);
      const older = minutes(end - 13 * DAY, end - 10 * DAY);
      const newer = minutes(end - 3 * DAY, end);
      await ingest(id, newer);
      await ingest(id, older);
      await runToEnd(service, id);
      const estimated = await expectEachMinuteOnce(id, [...tsOf(older), ...tsOf(newer)]);
      // Short gaps are filled (up to 3 minutes), a week is not.
      const inGap = [...estimated].filter(
        (t) => t >= end - 10 * DAY + 5 * MIN && t < end - 3 * DAY,
      );
      expect(inGap).toEqual([]);
    });

    it('a run that dies after writing part of its estimates leaves its ranges for the next', async () => {
      const id = 'killed-run';
      await newBuilding(id);
      const end = Date.UTC(2024, 7, 1);
      const history = minutes(end - 6 * DAY, end);
      await ingest(id, history);
      // A run whose second write never happens: the process dies in the middle of the job.
      let writes = 0;
      const dying: TimeSeriesStore = Object.create(ctx.timeseries, {
        writeEstimatesMany: {
          value: async (...args: Parameters<TimeSeriesStore['writeEstimatesMany']>) => {
            if (++writes === 2) throw new Error('killed');
            return ctx.timeseries.writeEstimatesMany(...args);
          },
        },
      });
      // Two stretches in one run: the newest day, and (after a gap) the day before.
      await ingest(id, minutes(end + 2 * DAY, end + 2 * DAY + 2 * 60 * MIN));
      const doomed = new DisaggregationService({
        timeseries: dying,
        metadata: ctx.metadata,
        engine: ctx.engine,
      });
      await expect(doomed.run(id)).rejects.toThrow('killed');
      expect((await ctx.metadata.backlogSummary(id)).ranges).toBeGreaterThan(0);

      const fresh = new DisaggregationService({
        timeseries: ctx.timeseries,
        metadata: ctx.metadata,
        engine: ctx.engine,
      });
      await runToEnd(fresh, id);
      await expectEachMinuteOnce(id, [
        ...tsOf(history),
        ...tsOf(minutes(end + 2 * DAY, end + 2 * DAY + 2 * 60 * MIN)),
      ]);
    });

    it('readings that arrive in a range while it is being estimated keep it pending', async () => {
      const id = 'arrives-during-run';
      await newBuilding(id);
      const t = Date.UTC(2024, 8, 1, 10, 0);
      await ingest(id, minutes(t, t + 30 * MIN));
      const late = { ts: t + 30 * MIN, powerW: 3000 };
      let injected = false;
      const racing: TimeSeriesStore = Object.create(ctx.timeseries, {
        readReadingsMany: {
          value: async (...args: Parameters<TimeSeriesStore['readReadingsMany']>) => {
            const rows = await ctx.timeseries.readReadingsMany(...args);
            // After the worker has read, the meter's next reading lands in the same hour.
            if (!injected) {
              injected = true;
              await storeReadings(ctx.parts, id, [late]);
            }
            return rows;
          },
        },
      });
      const service = new DisaggregationService({
        timeseries: racing,
        metadata: ctx.metadata,
        engine: ctx.engine,
      });
      expect((await service.run(id)).more).toBe(true);
      expect(await ctx.timeseries.latestEstimateTs(id)).toBe(t + 29 * MIN);
      expect((await service.run(id)).more).toBe(false);
      await expectEachMinuteOnce(id, [...tsOf(minutes(t, t + 30 * MIN)), late.ts]);
    });

    it('writes nothing for a building without readings, and refuses an unknown building', async () => {
      const id = 'empty';
      const service = await newBuilding(id);
      expect(await service.run(id)).toEqual({ written: 0, more: false });
      await expect(service.run('no-such-building')).rejects.toThrow(/does not exist/);
    });

    it('runs of several buildings at once share backlog statements and estimate each minute once', async () => {
      const ids = Array.from({ length: 6 }, (_, k) => `together-${k}`);
      const service = await newBuilding(ids[0]!);
      for (const id of ids.slice(1)) await newBuilding(id);
      const now = Date.UTC(2024, 3, 2, 9, 0);
      const readings = minutes(now - 6 * 60 * MIN, now + MIN);
      for (const id of ids) await ingest(id, readings);
      const before = { calls: service.pending.calls, items: service.pending.items };
      let left = ids;
      for (let round = 0; left.length > 0 && round < 20; round++) {
        const results = await Promise.all(left.map((id) => service.run(id)));
        left = left.filter((_, k) => results[k]!.more);
      }
      expect(left).toEqual([]);
      for (const id of ids) {
        await expectEachMinuteOnce(id, tsOf(readings));
        expect(await ctx.metadata.listPending(id, 10)).toEqual([]);
      }
      // The first run's lookup goes out alone, the five behind it in one statement.
      expect(service.pending.calls - before.calls).toBeLessThan(
        service.pending.items - before.items,
      );
    });
  });
}
