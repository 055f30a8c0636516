// Proves the parametric load generators are seeded (same seed, same output; another seed,
// another output), fit the grid, and obey their physics: EV sessions at the charger's powers,
// lengths and start hours; heat-pump cycling that follows the cold and defrosts only when
// heating; a water heater's energy balance; storage heaters charging only off-peak.
import { describe, expect, it } from 'vitest';
import {
  generateAirConditioner,
  generateEvCharger,
  generateHeatPump,
  generateStorageHeaters,
  generateWaterHeater,
  gridOf,
  type Grid,
} from './load.generators.js';

const DAY = 1440;
const week: Grid = { startMs: Date.UTC(2015, 0, 5), periodS: 60, length: 7 * DAY };
const kwh = (p: ArrayLike<number>, periodS = 60): number => {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]!;
  return (s * periodS) / 3.6e6;
};
const hourOf = (ms: number): number => (((ms / 3.6e6) % 24) + 24) % 24;

describe('generateEvCharger', () => {
  const { power, sessions } = generateEvCharger(week, 7, { sessionsPerDay: 1 });

  it('is seeded and fits the grid', () => {
    expect(power).toHaveLength(week.length);
    expect(generateEvCharger(week, 7, { sessionsPerDay: 1 }).power).toEqual(power);
    expect(generateEvCharger(week, 8, { sessionsPerDay: 1 }).power).not.toEqual(power);
  });

  it('charges at 3.7, 7.4 or 11 kW for 30 min to 8 h, starting in the evening or at night', () => {
    expect(sessions.length).toBeGreaterThanOrEqual(4);
    for (const s of sessions) {
      expect([3700, 7400, 11000]).toContain(s.levelW);
      const minutes = (s.toMs - s.fromMs) / 60_000;
      expect(minutes).toBeGreaterThanOrEqual(30);
      expect(minutes).toBeLessThanOrEqual(480);
      const h = hourOf(s.fromMs);
      expect(h >= 15 || h <= 1.5).toBe(true);
    }
    // Never above the highest session power, and every session's energy is on the grid.
    expect(Math.max(...power)).toBeLessThanOrEqual(11000 + 1e-3);
    expect(kwh(power)).toBeCloseTo(
      sessions.reduce((a, s) => a + s.energyKwh, 0),
      2,
    );
  });

  it('tapers at the end: the last minutes of a whole session fall towards 10 %', () => {
    const s = sessions.find((x) => x.fromMs >= 0 && x.toMs <= week.length * 60_000)!;
    const first = Math.ceil(s.fromMs / 60_000) + 1;
    const last = Math.floor(s.toMs / 60_000) - 1;
    expect(power[first]).toBeCloseTo(s.levelW, 0);
    expect(power[last]!).toBeLessThan(0.3 * s.levelW);
    expect(power[last]!).toBeGreaterThan(0);
    // Constant part: many minutes at exactly the level.
    expect(
      Array.from(power.subarray(first, last)).filter((p) => p === s.levelW).length,
    ).toBeGreaterThan(10);
  });

  it('puts the part of a minute a session covers into that minute', () => {
    // One session at 3.7 kW: with the start drawn within a minute, that minute holds a fraction.
    const one = generateEvCharger({ startMs: 0, periodS: 60, length: DAY }, 3, {
      sessionsPerDay: 1,
      timerShare: 0,
      levelsW: [3700],
      levelWeights: [1],
    });
    const s = one.sessions.find((x) => x.fromMs >= 0)!;
    const i = Math.floor(s.fromMs / 60_000);
    const covered = ((i + 1) * 60_000 - s.fromMs) / 60_000;
    expect(one.power[i]).toBeCloseTo(3700 * covered, 0);
  });
});

describe('generateHeatPump and generateAirConditioner', () => {
  const duty = (on: Uint8Array): number => on.reduce((a, b) => a + b, 0) / on.length;

  it('is seeded, fits the grid and draws standby when idle, rated power when running', () => {
    const hp = generateHeatPump(week, 1);
    expect(hp.power).toHaveLength(week.length);
    expect(generateHeatPump(week, 1).power).toEqual(hp.power);
    expect(generateHeatPump(week, 2).power).not.toEqual(hp.power);
    for (let i = 0; i < week.length; i++) {
      if (!hp.compressorOn[i]) expect(hp.power[i]).toBe(30);
      else expect(hp.power[i]).toBeGreaterThan(30 + 0.3 * 2000);
    }
  });

  it('cycles more when it is colder, and keeps the house near the set point', () => {
    const mild = generateHeatPump(week, 1, { outdoorMeanC: 10 });
    const cold = generateHeatPump(week, 1, { outdoorMeanC: 0 });
    expect(duty(cold.compressorOn)).toBeGreaterThan(duty(mild.compressorOn) + 0.15);
    expect(kwh(cold.power)).toBeGreaterThan(kwh(mild.power));
    // Cycles, not one long run: at 10 degC many starts a day.
    let starts = 0;
    for (let i = 1; i < week.length; i++)
      if (mild.compressorOn[i] && !mild.compressorOn[i - 1]) starts++;
    expect(starts / 7).toBeGreaterThan(10);
    expect(Math.min(...mild.indoorC)).toBeGreaterThan(18.5);
    expect(Math.max(...mild.indoorC)).toBeLessThan(21);
  });

  it('defrosts when heating below 5 degC, never when it is warm or cooling', () => {
    const cold = generateHeatPump(week, 1, { outdoorMeanC: 0 });
    expect(cold.defrosts.length).toBeGreaterThan(7);
    for (const i of cold.defrosts) expect(cold.outdoorC[i]).toBeLessThan(5);
    // A defrost's first minute dips (the 4-way valve switches) below the running power.
    const i = cold.defrosts[0]!;
    expect(cold.power[i]).toBeLessThan(0.5 * 2000 + 30);
    const warm = generateHeatPump(week, 1, { outdoorMeanC: 15, outdoorSwingK: 3 });
    expect(warm.defrosts).toEqual([]);
    const ac = generateAirConditioner(week, 1);
    expect(ac.defrosts).toEqual([]);
    expect(duty(ac.compressorOn)).toBeGreaterThan(0.05);
  });

  it('runs the air conditioner in the afternoon more than at night', () => {
    const ac = generateAirConditioner(week, 4);
    let day = 0;
    let night = 0;
    for (let i = 0; i < week.length; i++) {
      const h = (i % DAY) / 60;
      if (h >= 12 && h < 18) day += ac.compressorOn[i]!;
      if (h >= 0 && h < 6) night += ac.compressorOn[i]!;
    }
    expect(day).toBeGreaterThan(2 * night);
  });
});

describe('generateWaterHeater', () => {
  it('is seeded, heats at the element power and balances its energy', () => {
    const w = generateWaterHeater(week, 5);
    expect(w.power).toHaveLength(week.length);
    expect(generateWaterHeater(week, 5).power).toEqual(w.power);
    expect(generateWaterHeater(week, 6).power).not.toEqual(w.power);
    // Only 0 W, 3 kW, or part of 3 kW in the minute the tank reaches its set point.
    const full = Array.from(w.power).filter((p) => p === 3000).length;
    const partial = Array.from(w.power).filter((p) => p > 0 && p < 3000).length;
    expect(full).toBeGreaterThan(100);
    expect(partial).toBeLessThanOrEqual(full);
    expect(Math.max(...w.power)).toBe(3000);
    // Element energy = hot water drawn + standing losses + change of stored heat.
    const e = w.energy;
    expect(kwh(w.power)).toBeCloseTo(e.elementKwh, 6);
    expect(e.elementKwh).toBeCloseTo(e.drawKwh + e.lossKwh + e.storedKwh, 6);
    // About 120 L a day heated by ~50 K is 6-7 kWh, plus ~1.5 kWh of losses.
    expect(e.elementKwh / 7).toBeGreaterThan(3);
    expect(e.elementKwh / 7).toBeLessThan(12);
    expect(Math.max(...w.tankC)).toBeLessThanOrEqual(60 + 1e-6);
  });

  it('heats only inside an off-peak window when given one', () => {
    const w = generateWaterHeater(week, 5, { offPeak: { startH: 0.5, hours: 7 } });
    for (let i = 0; i < week.length; i++) {
      const h = (i % DAY) / 60;
      if (w.power[i]! > 0) expect(h >= 0.5 && h < 7.5).toBe(true);
    }
    expect(w.energy.elementKwh).toBeGreaterThan(0);
  });
});

describe('generateStorageHeaters', () => {
  it('charges only in the off-peak window, at the heaters’ rating, with the energy it reports', () => {
    const { power, charges } = generateStorageHeaters(week, 9);
    expect(power).toHaveLength(week.length);
    expect(generateStorageHeaters(week, 9).power).toEqual(power);
    expect(generateStorageHeaters(week, 10).power).not.toEqual(power);
    for (let i = 0; i < week.length; i++) {
      const h = (i % DAY) / 60;
      if (power[i]! > 0) expect(h >= 0.5 && h < 7.5).toBe(true);
      expect(power[i]).toBeLessThanOrEqual(2 * 2550 + 1e-3);
    }
    expect(kwh(power)).toBeCloseTo(
      charges.reduce((a, c) => a + c.energyKwh, 0),
      3,
    );
    // Two heaters x 7 nights, each taking 40-100 % of 7 h x 2.55 kW.
    expect(charges).toHaveLength(14);
    for (const c of charges) {
      expect(c.energyKwh).toBeGreaterThanOrEqual(0.4 * 7 * 2.55 - 1e-6);
      expect(c.energyKwh).toBeLessThanOrEqual(7 * 2.55 + 1e-6);
    }
  });

  it('takes its grid from a series', () => {
    const s = { startMs: 5, periodS: 6, mains: new Float32Array(3), appliances: {}, source: 'x' };
    expect(gridOf(s)).toEqual({ startMs: 5, periodS: 6, length: 3 });
  });
});
