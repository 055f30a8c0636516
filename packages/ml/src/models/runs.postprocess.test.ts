// Proves each post-processing rule on hand-made minutes: minimum on and off durations, the
// cycle model (fragments merged, runs shorter than a cycle dropped), kettle and microwave
// never on at one step unless the mains fits both, missing mains never bridged, and how the
// decision is written into power and on_prob; runs-v3 turns a tumble dryer on where the mains
// shows its cool-down, unless a head of a load that runs on after heating explains the heating.
import { describe, expect, it } from 'vitest';
import type { ApplianceEstimate } from './disaggregator.js';
import { postProcessOptionsOf, postProcessRuns } from './runs.postprocess.js';

/** An estimate on at the minutes of `on` (on_prob 0.9 there, 0.1 elsewhere), `w` watts when on. */
function est(on: readonly number[], w: number, threshold = 0.5): ApplianceEstimate {
  return {
    power: Float32Array.from(on, (o) => (o ? w : 0)),
    onProb: Float32Array.from(on, (o) => (o ? 0.9 : 0.1)),
    onThreshold: threshold,
  };
}
const decided = (e: ApplianceEstimate): number[] =>
  Array.from(e.onProb!, (p) => (p >= (e.onThreshold ?? 0.5) ? 1 : 0));
const flat = (n: number, w = 300): Float32Array => new Float32Array(n).fill(w);

describe('postProcessRuns', () => {
  it('bridges off-gaps shorter than the minimum off time and drops runs shorter than the minimum on time', () => {
    // Microwave: min on 1 min, min off 1 min (no bridging at 60 s); fridge_freezer the same.
    // A custom rule: min on 3 min, min off 3 min.
    const on = [0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0];
    const out = postProcessRuns(
      flat(on.length),
      60,
      { toaster: est(on, 800) },
      {
        rules: { toaster: { minOnS: 180, minOffS: 180 } },
      },
    );
    // The 2-minute gap at 3-4 is bridged (run 1-6 of 6 minutes); the lone minute 10 is dropped.
    expect(decided(out.toaster!)).toEqual([0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    // Bridged minutes keep their power estimate and get on_prob at the threshold; the dropped
    // minute gets 0 W and on_prob just below it.
    expect(out.toaster!.onProb![3]).toBe(0.5);
    expect(out.toaster!.power[3]).toBe(0);
    expect(out.toaster!.power[10]).toBe(0);
    expect(out.toaster!.onProb![10]).toBeCloseTo(0.499, 6);
    // Minutes where nothing changed keep their values.
    expect(out.toaster!.onProb![1]).toBeCloseTo(0.9, 6);
    expect(out.toaster!.power[1]).toBe(800);
  });

  it('merges a washing machine cycle found in fragments and drops a fragment shorter than a cycle', () => {
    // 12 min on, 10 min pause, 15 min on (one 37-min cycle); later a lone 8-min fragment.
    const on = [
      ...Array(12).fill(1),
      ...Array(10).fill(0),
      ...Array(15).fill(1),
      ...Array(60).fill(0),
      ...Array(8).fill(1),
      ...Array(20).fill(0),
    ];
    const out = postProcessRuns(flat(on.length), 60, { washing_machine: est(on, 500) });
    const d = decided(out.washing_machine!);
    expect(d.slice(0, 37).every((v) => v === 1)).toBe(true);
    expect(d.slice(37).every((v) => v === 0)).toBe(true);
  });

  it('keeps both fragments of a dishwasher cycle across a 35-minute drying pause, the pause off', () => {
    // 40 min washing, a 35 min drying pause, 35 min rinsing: each fragment alone is shorter than
    // a cycle (45 min); merged they are one, so both stay.
    const on = [
      ...Array(40).fill(1),
      ...Array(35).fill(0),
      ...Array(35).fill(1),
      ...Array(5).fill(0),
    ];
    const out = postProcessRuns(flat(on.length), 60, { dishwasher: est(on, 1200) });
    // runs-v2: the pause is longer than the dishwasher's 30 min minimum off time and stays off,
    // as its sub-meter counts it.
    expect(decided(out.dishwasher!)).toEqual(on);
    // runs-v1 turned the pause on.
    const v1 = postProcessRuns(
      flat(on.length),
      60,
      { dishwasher: est(on, 1200) },
      postProcessOptionsOf('runs-v1'),
    );
    expect(
      decided(v1.dishwasher!)
        .slice(0, 110)
        .every((v) => v === 1),
    ).toBe(true);
    // A lone 30-minute fragment is not a cycle.
    const lone = [...Array(30).fill(1), ...Array(60).fill(0)];
    expect(
      decided(postProcessRuns(flat(90), 60, { dishwasher: est(lone, 1200) }).dishwasher!),
    ).toEqual(Array(90).fill(0));
  });

  it('keeps only the more confident of kettle and microwave when the mains step fits one', () => {
    // Baseload 200 W; a 2.2 kW step at minutes 40-42. Both heads fire at 40-42; the kettle is
    // more confident (0.9 vs 0.7 over thresholds 0.5 and 0.5).
    const n = 80;
    const mains = flat(n, 200);
    mains.fill(2400, 40, 43);
    const kettleOn = Array.from({ length: n }, (_, t) => (t >= 40 && t < 43 ? 1 : 0));
    const kettle = est(kettleOn, 2200);
    const microwave = est(kettleOn, 1200);
    microwave.onProb!.forEach((p, t) => (microwave.onProb![t] = p > 0.5 ? 0.7 : p));
    const out = postProcessRuns(mains, 60, { kettle, microwave });
    expect(decided(out.kettle!).slice(40, 43)).toEqual([1, 1, 1]);
    expect(decided(out.microwave!).slice(40, 43)).toEqual([0, 0, 0]);
    expect(Array.from(out.microwave!.power.subarray(40, 43))).toEqual([0, 0, 0]);
  });

  it('keeps kettle and microwave both on where the mains step fits both', () => {
    const n = 80;
    const mains = flat(n, 200);
    mains.fill(3600, 40, 43); // 2.2 kW + 1.2 kW above the baseload
    const on = Array.from({ length: n }, (_, t) => (t >= 40 && t < 43 ? 1 : 0));
    const out = postProcessRuns(mains, 60, { kettle: est(on, 2200), microwave: est(on, 1200) });
    expect(decided(out.kettle!).slice(40, 43)).toEqual([1, 1, 1]);
    expect(decided(out.microwave!).slice(40, 43)).toEqual([1, 1, 1]);
  });

  it('never bridges across missing mains and leaves the input untouched', () => {
    const on = [1, 1, 0, 0, 1, 1];
    const e = est(on, 800);
    e.power[2] = NaN;
    e.onProb![2] = NaN;
    const before = Array.from(e.onProb!);
    const out = postProcessRuns(
      flat(on.length),
      60,
      { toaster: e },
      {
        rules: { toaster: { minOnS: 0, minOffS: 300 } },
      },
    );
    expect(decided(out.toaster!)).toEqual([1, 1, 0, 0, 1, 1]);
    expect(Array.from(e.onProb!)).toEqual(before);
  });

  describe('runs-v3: the tumble dryer found by its cool-down', () => {
    // A home at 300 W; a dryer: 2.7 kW heating for 40 min, its 200 W drum alone for 10 min.
    const n = 200;
    const mains = flat(n, 300);
    for (let t = 50; t < 90; t++) mains[t] = 300 + 2700;
    for (let t = 90; t < 100; t++) mains[t] = 300 + 200;
    const off = new Array<number>(n).fill(0);
    const heads = (): Record<string, ApplianceEstimate> => ({
      tumble_dryer: { ...est(off, 0, 0.3), lower: new Float32Array(n), upper: new Float32Array(n) },
      water_heater: est(
        Array.from({ length: n }, (_, t) => (t >= 50 && t < 90 ? 1 : 0)),
        2700,
      ),
    });

    it('turns the dryer on over the run with the mains above its base as power, even where a water heater head claims the heating', () => {
      const out = postProcessRuns(mains, 60, heads(), postProcessOptionsOf('runs-v3'));
      const d = decided(out.tumble_dryer!);
      expect(d.indexOf(1)).toBe(50);
      expect(d.lastIndexOf(1)).toBe(99);
      expect(out.tumble_dryer!.power[60]).toBeCloseTo(2700, 0);
      expect(out.tumble_dryer!.power[95]).toBeCloseTo(200, 0);
      expect(out.tumble_dryer!.onProb![60]).toBeCloseTo(0.3, 6);
      // Its band holds the power and never reaches over the mains.
      expect(out.tumble_dryer!.lower![60]).toBeCloseTo(0.8 * 2700, 0);
      expect(out.tumble_dryer!.upper![60]).toBeLessThanOrEqual(mains[60]!);
      // The water heater's own estimate is left as it was.
      expect(decided(out.water_heater!).slice(50, 90)).toEqual(new Array(40).fill(1));
    });

    it('is not in runs-v2, and yields to a head of a load that runs on after heating', () => {
      const v2 = postProcessRuns(mains, 60, heads(), postProcessOptionsOf('runs-v2'));
      expect(decided(v2.tumble_dryer!).every((v) => v === 0)).toBe(true);
      // A heat pump head (grouped into electric_heater) on through the heating explains it.
      const withHeatPump = {
        ...heads(),
        electric_heater: est(
          Array.from({ length: n }, (_, t) => (t >= 50 && t < 90 ? 1 : 0)),
          2000,
        ),
      };
      const v3 = postProcessRuns(mains, 60, withHeatPump, postProcessOptionsOf('runs-v3'));
      expect(decided(v3.tumble_dryer!).every((v) => v === 0)).toBe(true);
    });
  });
});
