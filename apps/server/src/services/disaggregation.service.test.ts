// Proves the disaggregation service on embedded stores (PGlite, DuckDB) and a tiny random model:
// a new building's first run covers its recent readings, live data keeps priority, then its
// whole history is backfilled backwards (60 days end up covered), readings imported older than
// every estimate are disaggregated later without touching existing estimates, gaps longer than
// a chunk are crossed in both directions, and a run on a covered building writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '@nilm/ml';
import type { DuckDbTimeSeriesStore, MetadataStore, Reading } from '@nilm/stores';
import { openEmbeddedParts, type EmbeddedParts } from '../services.fixture.js';
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
});

afterAll(async () => {
  await parts?.close();
});

/** A mains power per minute with a 90 W base, a fridge cycle and a daily kettle. */
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

async function newBuilding(id: string): Promise<DisaggregationService> {
  await metadata.createBuilding({
    id,
    name: id,
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
  return new DisaggregationService({ timeseries, metadata, engine });
}

/** Run until nothing is left; returns every run's result. */
async function runToEnd(service: DisaggregationService, id: string): Promise<RunResult[]> {
  const runs: RunResult[] = [];
  for (let i = 0; i < 200; i++) {
    const r = await service.run(id);
    runs.push(r);
    if (!r.more) return runs;
  }
  throw new Error(`building ${id} still has work after 200 runs`);
}

/** How many distinct minutes of [fromMs, toMs) have estimates, and how many estimates in all. */
async function coverage(id: string, fromMs: number, toMs: number): Promise<[number, number]> {
  const points = await timeseries.readEstimates(id, fromMs, toMs);
  return [new Set(points.map((p) => p.ts)).size, points.length];
}

describe('disaggregation: live first, then history backwards', () => {
  it('covers a new building with 60 days of readings, recent data first', async () => {
    const id = 'sixty-days';
    const service = await newBuilding(id);
    const end = Date.UTC(2024, 2, 1);
    const start = end - 60 * DAY;
    // The reading at `end` opens the newest minute, which is still incomplete: [start, end) is
    // what must end up covered.
    await timeseries.writeReadings(id, [...minutes(start, end), { ts: end, powerW: 100 }]);
    const historyStart = end - service.historyS * 1000;

    // The first run starts at the last `historyS`, not at the oldest reading.
    const first = await service.run(id);
    expect(first).toEqual({ written: (service.maxCatchUpS / 60) * APPLIANCES, more: true });
    expect(await timeseries.earliestEstimateTs(id)).toBe(historyStart);
    expect(await timeseries.latestEstimateTs(id)).toBe(
      historyStart + service.maxCatchUpS * 1000 - MIN,
    );

    // Forward until the newest complete minute, before anything older than `historyStart`.
    let runs = 1;
    for (;;) {
      const r = await service.run(id);
      runs++;
      expect(r.more).toBe(true);
      if ((await timeseries.latestEstimateTs(id)) === end - MIN) break;
      expect(await timeseries.earliestEstimateTs(id)).toBe(historyStart);
    }
    expect(runs).toBe(Math.ceil(service.historyS / service.maxCatchUpS));
    expect(await coverage(id, historyStart, end)).toEqual([
      service.historyS / 60,
      (service.historyS / 60) * APPLIANCES,
    ]);
    // The run that reached the newest minute went on one chunk into history.
    expect(await timeseries.earliestEstimateTs(id)).toBe(historyStart - service.maxCatchUpS * 1000);

    // New live readings during the backfill get their estimates in the very next run, which
    // then goes one more chunk back.
    await timeseries.writeReadings(id, minutes(end + MIN, end + 11 * MIN));
    expect((await service.run(id)).more).toBe(true);
    expect(await timeseries.latestEstimateTs(id)).toBe(end + 9 * MIN);
    expect(await timeseries.earliestEstimateTs(id)).toBe(
      historyStart - 2 * service.maxCatchUpS * 1000,
    );

    // The rest of the history, until the oldest reading is covered.
    const rest = await runToEnd(service, id);
    expect(rest.slice(0, -1).every((r) => r.more && r.written > 0)).toBe(true);
    expect(rest.at(-1)!.more).toBe(false);
    expect(await timeseries.earliestEstimateTs(id)).toBe(start);
    const covered = (end + 10 * MIN - start) / MIN;
    expect(await coverage(id, start - DAY, end + DAY)).toEqual([covered, covered * APPLIANCES]);
    for (const p of await timeseries.readEstimates(id, start, start + DAY)) {
      expect(Number.isFinite(p.powerW) && p.powerW >= 0).toBe(true);
      expect(p.onProb).toBeGreaterThanOrEqual(0);
      expect(p.onProb).toBeLessThanOrEqual(1);
    }

    // Covered: another run writes nothing and asks for no more.
    expect(await service.run(id)).toEqual({ written: 0, more: false });
  });

  it('disaggregates readings imported later that are older than every estimate', async () => {
    const id = 'late-import';
    const service = await newBuilding(id);
    const end = Date.UTC(2024, 5, 10);
    await timeseries.writeReadings(id, [...minutes(end - 3 * DAY, end), { ts: end, powerW: 1 }]);
    await runToEnd(service, id);
    expect(await coverage(id, 0, end)).toEqual([3 * 1440, 3 * 1440 * APPLIANCES]);
    const before = await timeseries.readEstimates(id, end - 3 * DAY, end);
    expect(await service.run(id)).toEqual({ written: 0, more: false });

    // A year-old export arrives: five days, then a gap of four days (longer than a chunk)
    // before the stretch that is already covered.
    const oldStart = end - 12 * DAY;
    await timeseries.writeReadings(id, minutes(oldStart, oldStart + 5 * DAY));
    const runs = await runToEnd(service, id);
    expect(runs.length).toBeLessThanOrEqual(5);
    expect(await timeseries.earliestEstimateTs(id)).toBe(oldStart);
    expect(await coverage(id, oldStart, end - 3 * DAY)).toEqual([5 * 1440, 5 * 1440 * APPLIANCES]);
    // Estimates that already existed are left as they were.
    expect(await timeseries.readEstimates(id, end - 3 * DAY, end)).toEqual(before);
    expect(await service.run(id)).toEqual({ written: 0, more: false });
  });

  it('crosses a gap longer than a chunk going forward', async () => {
    const id = 'forward-gap';
    const service = await newBuilding(id);
    const end = Date.UTC(2024, 7, 1);
    // Within `historyS`: one day, three days without readings, two days and the open minute.
    await timeseries.writeReadings(id, [
      ...minutes(end - 6 * DAY, end - 5 * DAY),
      ...minutes(end - 2 * DAY, end),
      { ts: end, powerW: 1 },
    ]);
    const runs = await runToEnd(service, id);
    expect(runs.length).toBeLessThanOrEqual(4);
    expect(await timeseries.latestEstimateTs(id)).toBe(end - MIN);
    expect(await coverage(id, 0, end)).toEqual([3 * 1440, 3 * 1440 * APPLIANCES]);
  });

  it('starts at the newest complete readings when all of them are older than historyS', async () => {
    const id = 'all-old';
    const service = await newBuilding(id);
    service.maxCatchUpS = 86_400;
    service.historyS = 3600;
    const end = Date.UTC(2024, 8, 1);
    // Three days up to `end`, then a meter back after three days without readings: its one
    // reading opens the newest (incomplete) minute, and the last hour holds nothing else.
    await timeseries.writeReadings(id, [
      ...minutes(end - 3 * DAY, end),
      { ts: end, powerW: 1 },
      { ts: end + 3 * DAY, powerW: 1 },
    ]);
    const first = await service.run(id);
    expect(first.more).toBe(true);
    // The newest stretch first, ending with the minute of the reading at `end`.
    expect(await timeseries.latestEstimateTs(id)).toBe(end);
    expect(await timeseries.earliestEstimateTs(id)).toBe(end);
    expect((await runToEnd(service, id)).length).toBeLessThanOrEqual(4);
    expect(await timeseries.earliestEstimateTs(id)).toBe(end - 3 * DAY);
    expect((await coverage(id, 0, end + 4 * DAY))[0]).toBe(3 * 1440 + 1);
  });

  it('writes nothing for a building without readings or with only an incomplete minute', async () => {
    const id = 'empty';
    const service = await newBuilding(id);
    expect(await service.run(id)).toEqual({ written: 0, more: false });
    await timeseries.writeReadings(id, [{ ts: Date.UTC(2024, 0, 1, 0, 0, 10), powerW: 50 }]);
    expect(await service.run(id)).toEqual({ written: 0, more: false });
    await expect(service.run('no-such-building')).rejects.toThrow(/does not exist/);
  });
});
