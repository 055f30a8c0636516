// Proves how a fine-tune's data is read from a building's stores (embedded PGlite and DuckDB):
// a sub-meter's minutes carry their power; a "nothing here" label's minutes 0 W; a "this was
// the <appliance>" label's minutes are marked on with their power unknown (NaN), unless a
// sub-meter reads them; the split keeps the marks with their minutes; and a building whose
// only knowledge of an appliance is "nothing here" is refused with a reason in words.
import { createPgliteMetadataStore, DuckDbTimeSeriesStore } from '@nilm/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHomeData, readHomeSeries } from './finetune.data.js';

const MIN = 60_000;
const H = 3_600_000;
const D = 86_400_000;
const NOW = Date.UTC(2026, 10, 10);

let metadata: Awaited<ReturnType<typeof createPgliteMetadataStore>>;
let timeseries: DuckDbTimeSeriesStore;

beforeAll(async () => {
  metadata = await createPgliteMetadataStore();
  await metadata.migrate();
  timeseries = await DuckDbTimeSeriesStore.open();
  for (const id of ['home', 'off-only'])
    await metadata.createBuilding({
      id,
      name: id,
      timezone: 'Europe/London',
      isDemo: false,
      modelRef: null,
    });
  for (const id of ['home', 'off-only']) {
    const readings = [];
    for (let ts = NOW - 4 * D; ts < NOW; ts += MIN) readings.push({ ts, powerW: 300 });
    await timeseries.writeReadings(id, readings);
  }
  const label = (buildingId: string, kind: 'on' | 'off', from: number, to: number) =>
    metadata.addLabel({
      buildingId,
      appliance: 'kettle',
      kind,
      startMs: from,
      endMs: to,
      note: null,
      createdBy: null,
    });
  // Home: 4 days labelled off, but for a run labelled on each day at 07:00-07:05 (the last one
  // also read by a plug at 2 kW).
  for (let d = 4; d >= 1; d--) {
    const day = NOW - d * D;
    await label('home', 'off', day, day + 7 * H);
    await label('home', 'on', day + 7 * H, day + 7 * H + 5 * MIN);
    await label('home', 'off', day + 7 * H + 5 * MIN, day + D);
  }
  const plug = [];
  for (let ts = NOW - D + 7 * H; ts < NOW - D + 7 * H + 5 * MIN; ts += MIN)
    plug.push({ ts, powerW: 2000 });
  await timeseries.writeSubmeter('home', 'kettle', plug);
  await label('off-only', 'off', NOW - 4 * D, NOW);
}, 120_000);

afterAll(async () => {
  await metadata?.close();
  await timeseries?.close();
});

describe('fine-tune data', () => {
  it('marks labelled runs on with their power unknown, unless a sub-meter reads them', async () => {
    const s = await readHomeSeries({ timeseries, metadata }, 'home', ['kettle'], NOW - 4 * D, NOW);
    const ch = s.appliances.kettle!;
    const on = s.onLabelled!.kettle!;
    const at = (ms: number): number => (ms - s.startMs) / MIN;
    const run = at(NOW - 4 * D + 7 * H);
    expect(Array.from(on.subarray(run, run + 5))).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(ch.subarray(run, run + 5)).every(Number.isNaN)).toBe(true);
    expect(on[run - 1]).toBe(0);
    expect(ch[run - 1]).toBe(0);
    expect(ch[run + 5]).toBe(0);
    // The plug's run is its power, not an on-only mark.
    const read = at(NOW - D + 7 * H);
    expect(Array.from(ch.subarray(read, read + 5))).toEqual([2000, 2000, 2000, 2000, 2000]);
    expect(Array.from(on.subarray(read, read + 5))).toEqual([0, 0, 0, 0, 0]);
    expect(on.reduce((n, v) => n + v, 0)).toBe(15);
  });

  it('keeps the on marks with their minutes when splitting, and counts them as known', async () => {
    const data = await readHomeData({ timeseries, metadata }, 'home', ['kettle'], NOW);
    const total = data.parts.train.minutes + data.parts.val.minutes + data.parts.held_out.minutes;
    expect(total).toBe(4 * 1440);
    for (const part of [data.train, data.val, data.heldOut])
      for (const s of part) expect(s.onLabelled!.kettle!.length).toBe(s.mains.length);
    expect(data.train[0]!.onLabelled!.kettle!.reduce((n, v) => n + v, 0)).toBeGreaterThan(0);
  });

  it('refuses a building whose only labels say "nothing here"', async () => {
    await expect(
      readHomeData({ timeseries, metadata }, 'off-only', ['kettle'], NOW),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'never_on', appliance: 'kettle' },
      message: expect.stringMatching(/label some of its runs \("this was the kettle"\)/),
    });
  });
});
