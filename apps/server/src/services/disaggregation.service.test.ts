// Proves the disaggregation service works from the estimate backlog (embedded stores: PGlite,
// DuckDB; a tiny random model): every reading minute ends up estimated exactly once per
// appliance, checked minute by minute, for live readings then history, history then live,
// history arriving newest day first, two overlapping imports, a week-long gap, a run that dies
// half way, readings that arrive during a run, and history from before the backlog existed
// (an audit range fills only its holes). Newest data is estimated first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '@nilm/ml';
import {
  createPgliteSqlClient,
  createSqlMetadataStore,
  METADATA_MIGRATIONS,
  runMigrations,
  type DuckDbTimeSeriesStore,
  type MetadataStore,
  type Reading,
  type TimeSeriesStore,
} from '@nilm/stores';
import { openEmbeddedParts, storeReadings, type EmbeddedParts } from '../services.fixture.js';
import { DisaggregationService, type RunResult } from './disaggregation.service.js';

const MIN = 60_000;
const DAY = 86_400_000;
/** The tiny model's appliances: kettle and washing_machine. */
const APPLIANCES = 2;

let parts: EmbeddedParts;
let metadata: MetadataStore;
let timeseries: DuckDbTimeSeriesStore;
let engine: InferenceEngine;

beforeAll(async () => {
  parts = await openEmbeddedParts('nilm-disagg-');
  ({ metadata, timeseries, engine } = parts);
}, 120_000);

afterAll(async () => {
  await parts?.close();
}, 120_000);

/** A mains power per minute over [fromMs, toMs): a 90 W base, a fridge cycle and a daily kettle. */
function minutes(fromMs: number, toMs: number): Reading[] {
  const out: Reading[] = [];
  for (let ts = fromMs; ts < toMs; ts += MIN) {
    const m = Math.floor(ts / MIN);
    const kettle = m % 1440 >= 420 && m % 1440 < 424 ? 2900 : 0;
    const fridge = m % 40 < 15 ? 85 : 0;
    out.push({ ts, powerW: 90 + fridge + kettle });
  }
  return out;
}

async function newBuilding(
  id: string,
  stores: { timeseries: TimeSeriesStore; metadata: MetadataStore } = parts,
): Promise<DisaggregationService> {
  await stores.metadata.createBuilding({
    id,
    name: id,
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
  return new DisaggregationService({ ...stores, engine });
}

/** Store readings as ingest does (write, then mark), in batches of `batch`. */
async function ingest(id: string, readings: readonly Reading[], batch = 5000): Promise<void> {
  for (let i = 0; i < readings.length; i += batch)
    await storeReadings(parts, id, readings.slice(i, i + batch));
}

/** Run until nothing is left; returns every run's result. */
async function runToEnd(service: DisaggregationService, id: string): Promise<RunResult[]> {
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
async function expectEachMinuteOnce(
  id: string,
  readingTimes: Iterable<number>,
  store: TimeSeriesStore = timeseries,
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

const tsOf = (rs: readonly Reading[]): number[] => rs.map((r) => r.ts);

describe('disaggregation from the estimate backlog', () => {
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
    expect(await timeseries.latestEstimateTs(id)).toBe(now);
    expect(await timeseries.earliestEstimateTs(id)).toBeGreaterThan(now - 3 * DAY);
    const runs = await runToEnd(service, id);
    expect(runs.length).toBeLessThanOrEqual(8);
    await expectEachMinuteOnce(id, tsOf(history));
    expect(await metadata.listPending(id, 10)).toEqual([]);
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
      // The new minute and the half window before it, which now sees what came after it.
      expect(r.written).toBeGreaterThan(APPLIANCES);
      expect(await timeseries.latestEstimateTs(id)).toBe(reading.ts);
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
    const inGap = [...estimated].filter((t) => t >= end - 10 * DAY + 5 * MIN && t < end - 3 * DAY);
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
    const dying: TimeSeriesStore = Object.create(timeseries, {
      writeEstimates: {
        value: async (...args: Parameters<TimeSeriesStore['writeEstimates']>) => {
          if (++writes === 2) throw new Error('killed');
          return timeseries.writeEstimates(...args);
        },
      },
    });
    // Two stretches in one run: the newest day, and (after a gap) the day before.
    await ingest(id, minutes(end + 2 * DAY, end + 2 * DAY + 2 * 60 * MIN));
    const doomed = new DisaggregationService({ timeseries: dying, metadata, engine });
    await expect(doomed.run(id)).rejects.toThrow('killed');
    expect((await metadata.backlogSummary(id)).ranges).toBeGreaterThan(0);

    const fresh = new DisaggregationService({ timeseries, metadata, engine });
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
    const racing: TimeSeriesStore = Object.create(timeseries, {
      readReadings: {
        value: async (...args: Parameters<TimeSeriesStore['readReadings']>) => {
          const rows = await timeseries.readReadings(...args);
          // After the worker has read, the meter's next reading lands in the same hour.
          if (!injected) {
            injected = true;
            await storeReadings(parts, id, [late]);
          }
          return rows;
        },
      },
    });
    const service = new DisaggregationService({ timeseries: racing, metadata, engine });
    expect((await service.run(id)).more).toBe(true);
    expect(await timeseries.latestEstimateTs(id)).toBe(t + 29 * MIN);
    expect((await service.run(id)).more).toBe(false);
    await expectEachMinuteOnce(id, [...tsOf(minutes(t, t + 30 * MIN)), late.ts]);
  });

  it('history from before the backlog: an audit range estimates only the minutes without estimates', async () => {
    // A database from before the backlog (schema version 5) with one building, upgraded.
    const client = await createPgliteSqlClient();
    try {
      await runMigrations(client, METADATA_MIGRATIONS.slice(0, 5));
      await client.query(
        `INSERT INTO buildings (id, name, timezone, created_at) VALUES ('old-home', 'Old', 'UTC', 1)`,
      );
      const oldMetadata = createSqlMetadataStore({ kind: 'pglite', client });
      await oldMetadata.migrate();
      const id = 'old-home';
      const end = Date.UTC(2024, 9, 1);
      // Six days of readings; the old worker estimated the last day and the first two, and
      // left the three days between them without estimates.
      const readings = minutes(end - 6 * DAY, end);
      await timeseries.writeReadings(id, readings);
      const fill = new DisaggregationService({ timeseries, metadata: parts.metadata, engine });
      await parts.metadata.createBuilding({
        id: 'old-home-copy',
        name: 'copy',
        timezone: 'UTC',
        isDemo: false,
        modelRef: null,
      });
      const estimatedBefore = [
        ...minutes(end - 6 * DAY, end - 4 * DAY),
        ...minutes(end - DAY, end),
      ];
      await storeReadings(parts, 'old-home-copy', estimatedBefore);
      await runToEnd(fill, 'old-home-copy');
      const copied = await timeseries.readEstimates('old-home-copy', 0, end + DAY);
      await timeseries.writeEstimates(id, 'tiny@1', copied);
      const kept = await timeseries.readEstimates(id, end - DAY, end);

      const service = new DisaggregationService({ timeseries, metadata: oldMetadata, engine });
      const runs = await runToEnd(service, id);
      expect(runs.length).toBeLessThanOrEqual(4);
      // The holes are filled: three days, plus at most the minutes a short gap fill adds.
      const written = runs.reduce((s, r) => s + r.written, 0);
      expect(written).toBeGreaterThanOrEqual(3 * 1440 * APPLIANCES);
      expect(written).toBeLessThan(3.01 * 1440 * APPLIANCES);
      await expectEachMinuteOnce(id, tsOf(readings));
      // Minutes that had estimates keep them as they were.
      expect(await timeseries.readEstimates(id, end - DAY + 10 * MIN, end)).toEqual(
        kept.filter((p) => p.ts >= end - DAY + 10 * MIN),
      );
      expect(await oldMetadata.listPending(id, 10)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('writes nothing for a building without readings, and refuses an unknown building', async () => {
    const id = 'empty';
    const service = await newBuilding(id);
    expect(await service.run(id)).toEqual({ written: 0, more: false });
    await expect(service.run('no-such-building')).rejects.toThrow(/does not exist/);
  });
});
