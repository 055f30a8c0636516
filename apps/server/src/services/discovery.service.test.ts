// Proves discovery as readings arrive (issue 13.1) on embedded stores (PGlite, DuckDB): after a
// daily pass over 28 days, two more days of readings arrive; the pass after a run merges into
// the devices stored (the fridge-like and the 2 kW load gain their new runs, no duplicate is
// added, their rates stay the daily pass's), adds a load that only began in those days, and
// runs at most once an hour per building.
import { createPgliteMetadataStore, DuckDbTimeSeriesStore } from '@nilm/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoveryService, RECENT_EVERY_MS, RECENT_SPAN_MS } from './discovery.service.js';

const MIN = 60_000;
const H = 3_600_000;
const D = 86_400_000;
const NOW = Date.UTC(2026, 10, 30);
const START = NOW - 30 * D;
/** Where the daily pass looked until: the last 2 days arrive after it. */
const DAILY_TO = NOW - 2 * D;

/** 150 W base, a 100 W fridge 20 minutes an hour, a 2 kW load 4 minutes at 07, 13 and 19 h,
 * and from DAILY_TO on a 1 kW heater for 30 minutes at 02, 10 and 18 h. */
function readings(from: number, to: number): { ts: number; powerW: number }[] {
  const out = [];
  for (let ts = from; ts < to; ts += MIN) {
    const m = (ts - START) / MIN;
    const minuteOfDay = m % 1440;
    const fridge = m % 60 < 20 ? 100 : 0;
    const kettle = [420, 780, 1140].some((s) => minuteOfDay >= s && minuteOfDay < s + 4) ? 2000 : 0;
    const heater =
      ts >= DAILY_TO && [120, 600, 1080].some((s) => minuteOfDay >= s && minuteOfDay < s + 30)
        ? 1000
        : 0;
    out.push({ ts, powerW: 150 + fridge + kettle + heater + (m % 3) });
  }
  return out;
}

let metadata: Awaited<ReturnType<typeof createPgliteMetadataStore>>;
let timeseries: DuckDbTimeSeriesStore;

beforeAll(async () => {
  metadata = await createPgliteMetadataStore();
  await metadata.migrate();
  timeseries = await DuckDbTimeSeriesStore.open();
  await metadata.createBuilding({
    id: 'house',
    name: 'house',
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
  await timeseries.writeReadings('house', readings(START, DAILY_TO));
}, 120_000);

afterAll(async () => {
  await metadata?.close();
  await timeseries?.close();
});

describe('discovery as readings arrive', () => {
  it('merges the recent days into the devices found, adds a new load, and throttles', async () => {
    let now = DAILY_TO;
    const service = new DiscoveryService({ timeseries, metadata, now: () => now });
    const building = (await metadata.getBuilding('house'))!;
    const daily = await service.discover(building, START, DAILY_TO);
    expect(daily.devices).toHaveLength(2);
    const before = new Map(daily.devices.map((d) => [d.id, d]));

    await timeseries.writeReadings('house', readings(DAILY_TO, NOW));
    now = NOW;
    expect(await service.afterEstimates('house')).toBe(true);
    const after = await metadata.listFoundDevices('house');
    // The two stored devices, updated in place, and the heater, new.
    expect(after).toHaveLength(3);
    for (const [id, d] of before) {
      const merged = after.find((x) => x.id === id)!;
      // Two more days of runs, all after the stored ones (at most 48 for the fridge, 6 for the
      // 2 kW load; the heater hides some of the fridge's in those days).
      const added = merged.stats.runList!.slice(d.stats.runList!.length);
      console.log(
        `${d.label} (${Math.round(d.signature.powerW)} W, ${d.stats.runsPerDay.toFixed(1)} runs a day): ${d.stats.runs} runs, ${added.length} added`,
      );
      expect(added.length).toBeGreaterThanOrEqual(Math.floor(1.4 * d.stats.runsPerDay));
      expect(added.length).toBeLessThanOrEqual(Math.ceil(2 * d.stats.runsPerDay) + 1);
      expect(added.every((r) => r.startMs >= DAILY_TO - H)).toBe(true);
      expect(merged.stats.runs).toBe(d.stats.runs + added.length);
      expect(merged.stats.runList).toHaveLength(merged.stats.runs);
      expect(merged.stats.fromMs).toBe(d.stats.fromMs);
      expect(merged.stats.toMs).toBe(NOW);
      expect(merged.stats.runsPerDay).toBe(d.stats.runsPerDay);
      expect(merged.signature).toEqual(d.signature);
    }
    const heater = after.find((x) => !before.has(x.id))!;
    expect(Math.abs(heater.signature.powerW - 1000)).toBeLessThan(100);
    expect(heater.stats.runs).toBe(6);
    expect(heater.stats.fromMs).toBe(NOW - RECENT_SPAN_MS);

    // Within the hour nothing runs again; after it, a pass finds nothing new to add.
    now = NOW + RECENT_EVERY_MS - 1;
    expect(await service.afterEstimates('house')).toBe(false);
    now = NOW + RECENT_EVERY_MS;
    expect(await service.afterEstimates('house')).toBe(true);
    const again = await metadata.listFoundDevices('house');
    expect(again.map((d) => [d.id, d.stats.runs])).toEqual(after.map((d) => [d.id, d.stats.runs]));
    // An unknown building is no error: nothing runs.
    expect(await service.afterEstimates('nowhere')).toBe(false);
  }, 60_000);
});
