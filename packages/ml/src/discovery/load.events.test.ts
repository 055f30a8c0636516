// Proves load-event detection on a synthetic home: every compressor cycle and every 2 kW run is
// found with its exact minutes and step, a run nested in another pairs with its own edges, the
// model's estimates are taken out first, gaps close nothing, and bad input stops with a clear error.
import { describe, expect, it } from 'vitest';
import { NilmError } from '../errors.js';
import { DAY, KETTLE_MINUTES, START_MS, syntheticHome } from './discovery.fixture.js';
import { detectLoadEvents, quantile, residualPower } from './load.events.js';

const home = syntheticHome(2);

describe('detectLoadEvents', () => {
  it('finds every compressor cycle and every 2 kW run with its exact start, end and step', () => {
    const ev = detectLoadEvents({ startMs: START_MS, periodS: 60, mains: home.mains });
    const cycles = ev.runs.filter((r) => r.stepW < 500);
    const steps = ev.runs.filter((r) => r.stepW >= 500);
    expect(cycles).toHaveLength(48);
    expect(cycles.map((r) => [r.start, r.end])).toEqual(
      Array.from({ length: 48 }, (_, k) => [10 + 60 * k, 30 + 60 * k]),
    );
    // Within 10 W: each edge is one minute-to-minute difference of the 3 W (sd) noise.
    for (const r of cycles) expect(Math.abs(r.stepW - 100)).toBeLessThan(10);
    const expected = [0, 1].flatMap((d) =>
      KETTLE_MINUTES.map((k) => [d * DAY + k, d * DAY + k + 3]),
    );
    expect(steps.map((r) => [r.start, r.end])).toEqual(expected);
    for (const r of steps) expect(Math.abs(r.stepW - 2000)).toBeLessThan(20);
    expect(ev.runs).toHaveLength(56);
    // Baseload: the 150 W under everything, within the noise (sd 3 W).
    expect(Math.abs(ev.baseloadW - 150)).toBeLessThan(10);
    expect(ev.thresholdW).toBe(30);
    expect(ev.validSamples).toBe(2 * DAY);
  });

  it('takes out what the model explains: with the 2 kW load estimated, only the cycles remain', () => {
    const ev = detectLoadEvents({
      startMs: START_MS,
      periodS: 60,
      mains: home.mains,
      explained: home.kettle,
    });
    expect(ev.runs).toHaveLength(48);
    expect(ev.runs.every((r) => r.stepW < 150)).toBe(true);
  });

  it('closes no run across a gap in the readings', () => {
    const mains = Float64Array.from(home.mains);
    // No readings from minute 15 to 24: the cycle 10..30 has its rise before the gap, its fall after.
    mains.fill(NaN, 15, 25);
    const ev = detectLoadEvents({ startMs: START_MS, periodS: 60, mains });
    expect(ev.runs.some((r) => r.start < 25)).toBe(false);
    expect(ev.runs.filter((r) => r.stepW < 500)).toHaveLength(47);
    expect(ev.validSamples).toBe(2 * DAY - 10);
  });

  it('returns nothing for an empty or all-missing span', () => {
    for (const mains of [new Float64Array(0), new Float64Array(100).fill(NaN)]) {
      const ev = detectLoadEvents({ startMs: START_MS, periodS: 60, mains });
      expect([ev.runs.length, ev.validSamples, ev.baseloadW]).toEqual([0, 0, 0]);
    }
  });

  it('refuses estimates on another grid and a bad period, naming what to fix', () => {
    expect(() =>
      residualPower({ startMs: 0, periodS: 60, mains: [1, 2, 3], explained: [1, 2] }),
    ).toThrow(/the estimates have 2 samples but mains has 3/);
    expect(() => residualPower({ startMs: 0, periodS: 0, mains: [1] })).toThrow(NilmError);
  });

  it('counts a missing estimate as nothing explained', () => {
    expect([
      ...residualPower({ startMs: 0, periodS: 60, mains: [100, NaN, 90], explained: [40, 5, NaN] }),
    ]).toEqual([60, NaN, 90]);
    expect(quantile([5, NaN, 1, 3], 0.5)).toBe(3);
  });
});
