// Proves discovery on real data: in REFIT House 17's day (2015-01-08, ../shared/data/refit-day),
// from the mains alone, it finds the freezer as a periodic device and the kettle as a repeated
// 2-3 kW device, checked against the house's own sub-meters (power, period, runs matched).
//
// Thresholds are set from what the algorithm achieved when it was written (printed below, and in
// docs/devices.md), with some room, not from what one would wish: freezer power and period within
// 30 % of the sub-meter's, at least 60 % of its runs matched (achieved 16 of 22), 90 % of the
// device's runs on a freezer run (achieved all); kettle at least 4 of 5 runs matched.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applianceSpec, onOffStates } from '../data/appliances.js';
import { readDatasetCsvLenient } from '../data/csv.reader.js';
import type { Series } from '../data/series.js';
import { discoverDevices, type FoundDevice } from './device.clusters.js';

// The shared data sits beside the repository (../shared/data from its root) on developer
// machines and in CI; it is not shipped, so no user-facing code reads it.
const FILE = resolve(
  import.meta.dirname,
  '../../../../../shared/data/refit-day/REFIT_House17_2015-01-08.csv.gz',
);

interface Span {
  start: number;
  end: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The sub-meter's runs by the appliance's own on/off rule, and its steady power and period. */
function truth(s: Series, appliance: string): { runs: Span[]; powerW: number; periodMin: number } {
  const p = s.appliances[appliance];
  const on = onOffStates(p, s.periodS, applianceSpec(appliance));
  const runs: Span[] = [];
  for (let i = 0; i < on.length; i++) {
    if (!on[i] || (i > 0 && on[i - 1])) continue;
    let j = i;
    while (j < on.length && on[j]) j++;
    runs.push({ start: i, end: j });
  }
  // Steady power: a run's inner minutes (its first and last are partly off at 60 s), or its
  // highest minute when it is too short to have inner ones.
  const powerW = median(
    runs.map((r) => {
      const xs = Array.from(p.subarray(r.start, r.end));
      return xs.length > 2 ? median(xs.slice(1, -1)) : Math.max(...xs);
    }),
  );
  const starts = runs.map((r) => r.start);
  const periodMin = median(starts.slice(1).map((x, k) => x - starts[k]));
  return { runs, powerW, periodMin };
}

/** A device run matches a sub-meter run when they overlap by half the longer of the two. */
function matched(a: readonly Span[], b: readonly Span[]): number {
  const hit = (x: Span, y: Span): boolean =>
    Math.min(x.end, y.end) - Math.max(x.start, y.start) >=
    0.5 * Math.max(x.end - x.start, y.end - y.start);
  return a.filter((x) => b.some((y) => hit(x, y))).length;
}

function spans(s: Series, d: FoundDevice): Span[] {
  const min = (ms: number): number => (ms - s.startMs) / (s.periodS * 1000);
  return d.runTimes.map((r) => ({ start: min(r.startMs), end: min(r.endMs) }));
}

/** The device whose runs match the most sub-meter runs, among those `fits` allows. */
function best(s: Series, devices: FoundDevice[], runs: Span[], fits: (d: FoundDevice) => boolean) {
  const scored = devices
    .filter(fits)
    .map((d) => ({ d, found: matched(runs, spans(s, d)), right: matched(spans(s, d), runs) }))
    .sort((a, b) => b.found - a.found);
  return scored[0];
}

describe('discovery on REFIT House 17 (one day, mains only, no estimates)', () => {
  it('finds the periodic freezer and the 2-3 kW kettle, checked against their sub-meters', async () => {
    const { series: s } = await readDatasetCsvLenient(FILE);
    const result = discoverDevices({ startMs: s.startMs, periodS: s.periodS, mains: s.mains });
    const freezer = truth(s, 'freezer');
    const kettle = truth(s, 'kettle');

    const cold = best(s, result.devices, freezer.runs, (d) => d.signature.periodMinutes !== null);
    const hot = best(
      s,
      result.devices,
      kettle.runs,
      (d) => d.signature.powerW >= 2000 && d.signature.powerW <= 3500,
    );
    console.log(
      [
        `REFIT House 17, 2015-01-08: ${result.devices.length} devices, ${result.runsFound} runs, step threshold ${result.thresholdW} W, baseload ${result.baseloadW} W`,
        ...result.devices.map(
          (d) =>
            `  ${d.label}: ${d.signature.powerW} W for ${d.signature.runMinutes} min, ${d.runsPerDay} runs a day, ${d.energyPerMonthKWh} kWh a month, period ${d.signature.periodMinutes ?? '-'} min`,
        ),
        `freezer sub-meter: ${freezer.runs.length} runs, ${freezer.powerW.toFixed(1)} W, every ${freezer.periodMin} min -> ${cold.d.label}: ${cold.d.signature.powerW} W, every ${cold.d.signature.periodMinutes} min, ${cold.found}/${freezer.runs.length} sub-meter runs matched, ${cold.right}/${cold.d.runs} device runs on a freezer run`,
        `kettle sub-meter: ${kettle.runs.length} runs, ${kettle.powerW.toFixed(1)} W -> ${hot.d.label}: ${hot.d.signature.powerW} W, ${hot.found}/${kettle.runs.length} sub-meter runs matched, ${hot.right}/${hot.d.runs} device runs on a kettle run`,
      ].join('\n'),
    );

    const within = (x: number, ref: number, share: number): boolean =>
      Math.abs(x - ref) <= share * ref;
    expect(within(cold.d.signature.powerW, freezer.powerW, 0.3)).toBe(true);
    expect(within(cold.d.signature.periodMinutes!, freezer.periodMin, 0.3)).toBe(true);
    expect(cold.found).toBeGreaterThanOrEqual(0.6 * freezer.runs.length);
    expect(cold.right).toBeGreaterThanOrEqual(0.9 * cold.d.runs);

    expect(within(hot.d.signature.powerW, kettle.powerW, 0.3)).toBe(true);
    expect(hot.found).toBeGreaterThanOrEqual(0.8 * kettle.runs.length);
    expect(hot.right).toBeGreaterThanOrEqual(0.75 * hot.d.runs);
  });
});
