// Proves the dryer signature on built mains: generated dryer runs (dryer.generator.ts) laid on a
// home's base load with a fridge cycling are found with their bounds and energy; loads that heat
// as long but end without a drum turning alone (a water heater, a dishwasher whose pump runs on,
// a kettle, a short heat) are not; a fridge stopping inside a cool-down does not hide the drum;
// missing mains and other sample periods are handled.
import { describe, expect, it } from 'vitest';
import { generateTumbleDryerRuns } from '../data/dryer.generator.js';
import { dryerPower, findDryerRuns } from './dryer.signature.js';

/** A day of base load (150 W) with a fridge (90 W) on 20 min of every 50. */
function home(n: number, periodS = 60): Float32Array {
  const perMin = 60 / periodS;
  return Float32Array.from({ length: n }, (_, t) => 150 + ((t / perMin) % 50 < 20 ? 90 : 0));
}

function add(mains: Float32Array, at: number, load: ArrayLike<number>): void {
  for (let i = 0; i < load.length && at + i < mains.length; i++)
    mains[at + i] = mains[at + i]! + load[i]!;
}

const sum = (x: ArrayLike<number>, from = 0, to = x.length): number => {
  let s = 0;
  for (let t = from; t < to; t++) s += x[t]!;
  return s;
};

describe('findDryerRuns', () => {
  it('finds generated dryer runs on a home with a fridge cycling, with their bounds and energy', () => {
    const runs = generateTumbleDryerRuns(12, 60, 5);
    let found = 0;
    for (const [k, run] of runs.entries()) {
      const mains = home(400);
      const at = 60 + 7 * k;
      add(mains, at, run.power);
      const got = findDryerRuns(mains, 60);
      expect(got.length).toBeLessThanOrEqual(1);
      if (!got.length) continue;
      found++;
      const r = got[0]!;
      // Bounds within a minute of the run's own (its first and last minutes may be partial).
      expect(Math.abs(r.start - at)).toBeLessThanOrEqual(1);
      expect(Math.abs(r.end - (at + run.power.length))).toBeLessThanOrEqual(1);
      expect(Math.abs(r.drumW - run.drumW)).toBeLessThan(100);
      // Its energy: the run's own within 15 % (the fridge's steps inside the run are not the dryer's).
      const p = dryerPower(mains, got);
      expect(Math.abs(sum(p) - sum(run.power)) / sum(run.power)).toBeLessThan(0.15);
    }
    // Every run whose steady heating and cool-down are long enough; a fridge step at the very end
    // of a cool-down can hide one.
    expect(found).toBeGreaterThanOrEqual(10);
  });

  it("reads the drum's power at the cool-down's end when a fridge stops inside it", () => {
    // 1.5 kW heating for 30 min, then a 130 W drum for 10 min; a 90 W fridge on from before the
    // cool-down stops 3 minutes into it.
    const mains = new Float32Array(200).fill(250);
    for (let t = 50; t < 80; t++) mains[t] = 250 + 1500 + 130;
    for (let t = 80; t < 90; t++) mains[t] = 250 + 130;
    for (let t = 70; t < 83; t++) mains[t] = mains[t]! + 90;
    const got = findDryerRuns(mains, 60);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ start: 50, tailStart: 80, end: 90 });
    expect(got[0]!.drumW).toBeCloseTo(130, 0);
    expect(got[0]!.heaterW).toBeCloseTo(1500, -1);
  });

  it('finds nothing where heating ends without the drum turning alone', () => {
    const mains = home(1440);
    // A water heater: 3 kW for 40 min, then off.
    add(mains, 100, new Float32Array(40).fill(3000));
    // A dishwasher: 2.2 kW heating with its 70 W pump for 20 min, the pump on for 40 min more.
    add(
      mains,
      300,
      Float32Array.from({ length: 60 }, (_, i) => (i < 20 ? 2270 : 70)),
    );
    // A kettle followed by a 200 W television for 10 min.
    add(
      mains,
      500,
      Float32Array.from({ length: 13 }, (_, i) => (i < 3 ? 2900 : 200)),
    );
    // 10 min of a 2.5 kW heat and a 200 W drum for 10 min: too short a heat for a dryer.
    add(
      mains,
      700,
      Float32Array.from({ length: 20 }, (_, i) => (i < 10 ? 2700 : 200)),
    );
    // An EV charging at 7.4 kW for 2 h (over the element's range).
    add(
      mains,
      900,
      Float32Array.from({ length: 130 }, (_, i) => (i < 120 ? 7400 : 200)),
    );
    expect(findDryerRuns(mains, 60)).toEqual([]);
  });

  it('stops at missing mains and works at other sample periods', () => {
    const run = Float32Array.from({ length: 50 }, (_, i) => (i < 40 ? 2700 : 200));
    const mains = home(300);
    add(mains, 100, run);
    expect(findDryerRuns(mains, 60)).toHaveLength(1);
    // A gap inside the heating: the run found (if any) does not reach over it.
    const gappy = Float32Array.from(mains);
    gappy[110] = NaN;
    for (const r of findDryerRuns(gappy, 60)) expect(r.start).toBeGreaterThan(110);
    // The same run at 30 s.
    const fine = home(600, 30);
    add(
      fine,
      200,
      Float32Array.from({ length: 100 }, (_, i) => (i < 80 ? 2700 : 200)),
    );
    const got = findDryerRuns(fine, 30);
    expect(got).toHaveLength(1);
    expect(got[0]!.start).toBe(200);
    expect(got[0]!.end).toBe(300);
  });
});
