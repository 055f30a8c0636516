// Proves the tumble dryer generator is seeded and obeys its model: each run's energy is the sum of
// its phases (element on through the steady phase and part of the cycling one, drum throughout),
// its power stays between the drum's and the element plus drum's, it starts heating, cycles, and
// ends on the drum alone; its parameters stay in their ranges; bad counts are refused.
import { describe, expect, it } from 'vitest';
import { generateTumbleDryerRuns } from './dryer.generator.js';

const kwh = (p: ArrayLike<number>, periodS: number): number => {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]!;
  return (s * periodS) / 3.6e6;
};

describe('generateTumbleDryerRuns', () => {
  const runs = generateTumbleDryerRuns(30, 60, 11);

  it('is seeded', () => {
    expect(runs).toHaveLength(30);
    const again = generateTumbleDryerRuns(30, 60, 11);
    expect(again.map((r) => Array.from(r.power))).toEqual(runs.map((r) => Array.from(r.power)));
    expect(generateTumbleDryerRuns(1, 60, 12)[0]!.power).not.toEqual(runs[0]!.power);
  });

  it('keeps its parameters in range and labels runs as tumble dryer activations', () => {
    for (const r of runs) {
      expect(r).toMatchObject({ appliance: 'tumble_dryer', periodS: 60 });
      expect(r.heaterW).toBeGreaterThanOrEqual(1800);
      expect(r.heaterW).toBeLessThanOrEqual(3400);
      expect(r.drumW).toBeGreaterThanOrEqual(120);
      expect(r.drumW).toBeLessThanOrEqual(300);
      const [steady, cycling, cool] = r.phasesS;
      expect(steady).toBeGreaterThanOrEqual(600);
      expect(steady).toBeLessThanOrEqual(3600);
      expect(cycling).toBeGreaterThanOrEqual(600);
      expect(cycling).toBeLessThanOrEqual(3000);
      expect(cool).toBeGreaterThanOrEqual(300);
      expect(cool).toBeLessThanOrEqual(900);
      // The run fits its samples: whole phases plus a start offset under one sample.
      const total = steady + cycling + cool;
      expect(r.power.length).toBeGreaterThanOrEqual(Math.ceil(total / 60));
      expect(r.power.length).toBeLessThanOrEqual(Math.ceil(total / 60) + 1);
    }
  });

  it('draws between the drum alone and element plus drum, in its phases, with its energy', () => {
    for (const r of runs) {
      const [steady, cycling, cool] = r.phasesS;
      const full = r.heaterW + r.drumW;
      for (const w of r.power) expect(w).toBeLessThanOrEqual(full + 1e-3);
      // Whole samples inside the steady phase draw element plus drum; the last whole sample of
      // the cool-down the drum alone.
      expect(r.power[1]).toBeCloseTo(full, 1);
      expect(r.power[Math.floor(steady / 60) - 1]).toBeCloseTo(full, 1);
      expect(r.power[r.power.length - 2]).toBeCloseTo(r.drumW, 1);
      // Energy: drum throughout, element through the steady phase and 25-95 % of the cycling
      // one (on 1-4 min, off 0.5-3 min).
      const drum = (r.drumW * (steady + cycling + cool)) / 3.6e6;
      const element = kwh(r.power, 60) - drum;
      expect(element).toBeGreaterThanOrEqual((r.heaterW * (steady + 0.25 * cycling)) / 3.6e6);
      expect(element).toBeLessThanOrEqual((r.heaterW * (steady + 0.95 * cycling)) / 3.6e6 + 1e-6);
      // The thermostat cycles: the element goes off and on again in the cycling phase.
      const inCycling = Array.from(
        r.power.subarray(Math.ceil(steady / 60) + 1, Math.floor((steady + cycling) / 60)),
      );
      if (inCycling.length >= 6) expect(Math.min(...inCycling)).toBeLessThan(full - 100);
    }
  });

  it('puts the run on any period as per-sample means', () => {
    const at6 = generateTumbleDryerRuns(5, 6, 3);
    const at60 = generateTumbleDryerRuns(5, 60, 3);
    for (let k = 0; k < 5; k++) {
      const a = at6[k]!;
      expect(a.phasesS).toEqual(at60[k]!.phasesS);
      const drum = (a.drumW * a.phasesS.reduce((x, y) => x + y, 0)) / 3.6e6;
      expect(kwh(a.power, 6)).toBeGreaterThan(drum);
    }
  });

  it('refuses a bad count or period', () => {
    expect(() => generateTumbleDryerRuns(-1, 60, 1)).toThrow(/count must be/);
    expect(() => generateTumbleDryerRuns(1.5, 60, 1)).toThrow(/count must be/);
    expect(() => generateTumbleDryerRuns(1, 0, 1)).toThrow(/periodS must be/);
  });
});
