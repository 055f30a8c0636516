// Proves device discovery on a synthetic home: the compressor and the 2 kW load become Device A
// and B with exact power, run length, runs per day, energy per month, period, time of day and
// examples; the output is the same every time; and empty, too short and gappy spans behave.
import { describe, expect, it } from 'vitest';
import { NilmError } from '../errors.js';
import { DAY, START_MS, syntheticHome } from './discovery.fixture.js';
import { deviceLetters, discoverDevices, sameDevice } from './device.clusters.js';

const home = syntheticHome(2);
const input = { startMs: START_MS, periodS: 60, mains: home.mains };

describe('discoverDevices', () => {
  it('finds the compressor (periodic) and the 2 kW load with their numbers', () => {
    const r = discoverDevices(input);
    expect(r.insufficient).toBeNull();
    expect(r.coveredDays).toBe(2);
    expect(r.devices.map((d) => d.label)).toEqual(['Device A', 'Device B']);
    const [fridge, kettle] = r.devices;
    expect(Math.abs(fridge.signature.powerW - 100)).toBeLessThan(5);
    expect(fridge.signature.runMinutes).toBe(20);
    expect(fridge.signature.periodMinutes).toBe(60);
    expect([fridge.runs, fridge.runsPerDay]).toEqual([48, 24]);
    // 100 W x 20 min x 24 a day = 0.8 kWh a day, 24 kWh in 30 days.
    expect(Math.abs(fridge.energyPerMonthKWh - 24)).toBeLessThan(1);
    expect(fridge.hourProfile.every((h) => Math.abs(h - 1 / 24) < 1e-3)).toBe(true);

    expect(Math.abs(kettle.signature.powerW - 2000)).toBeLessThan(20);
    expect(kettle.signature.runMinutes).toBe(3);
    expect(kettle.signature.periodMinutes).toBeNull();
    expect([kettle.runs, kettle.runsPerDay]).toEqual([8, 4]);
    // 2 kW x 3 min x 4 a day = 0.4 kWh a day, 12 kWh in 30 days.
    expect(Math.abs(kettle.energyPerMonthKWh - 12)).toBeLessThan(0.5);
    const hours = kettle.hourProfile.flatMap((h, i) => (h > 0 ? [[i, h]] : []));
    expect(hours).toEqual([
      [7, 0.25],
      [12, 0.25],
      [18, 0.25],
      [21, 0.25],
    ]);
    expect(kettle.examples).toHaveLength(3);
    for (const e of kettle.examples) {
      expect(e.endMs - e.startMs).toBe(3 * 60_000);
      expect(Math.abs(e.meanW - 2000)).toBeLessThan(30);
    }
    expect(kettle.runTimes[0].startMs).toBe(START_MS + (7 * 60 + 15) * 60_000);
  });

  it('gives the same devices in the same order every time', () => {
    expect(JSON.stringify(discoverDevices(input))).toBe(JSON.stringify(discoverDevices(input)));
  });

  it('leaves out what the model explains, loads with too few runs and loads using too little', () => {
    const r = discoverDevices({ ...input, explained: home.fridge });
    expect(r.devices.map((d) => [d.label, d.runs])).toEqual([['Device A', 8]]);
    expect(discoverDevices(input, { minRuns: 9 }).devices.map((d) => d.runs)).toEqual([48]);
    // 4 runs a day is under 5; 12 kWh a month is under 15.
    expect(discoverDevices(input, { minRunsPerDay: 5 }).devices.map((d) => d.runs)).toEqual([48]);
    expect(discoverDevices(input, { minKWhPerMonth: 15 }).devices.map((d) => d.runs)).toEqual([48]);
  });

  it('reports nothing, and says why, for an empty or too short span', () => {
    const empty = discoverDevices({ ...input, mains: new Float64Array(0) });
    expect(empty.devices).toEqual([]);
    expect(empty.insufficient).toMatch(/at least 12 hours of readings in the span; it has 0/);
    const short = discoverDevices({ ...input, mains: home.mains.subarray(0, 6 * 60) });
    expect(short.devices).toEqual([]);
    expect(short.insufficient).toMatch(/it has 6$/);
  });

  it('counts only minutes with readings, and measures no period across a gap', () => {
    const mains = Float64Array.from(home.mains);
    mains.fill(NaN, DAY - 200, DAY + 200);
    const r = discoverDevices({ ...input, mains });
    expect(r.coveredDays).toBeCloseTo((2 * DAY - 400) / DAY, 3);
    const fridge = r.devices[0];
    expect(fridge.signature.periodMinutes).toBe(60);
    expect(fridge.runs).toBeLessThan(48);
    expect(fridge.runsPerDay).toBeCloseTo(fridge.runs / r.coveredDays, 1);
  });

  it('refuses a minimum of runs that cannot make a device', () => {
    expect(() => discoverDevices(input, { minRuns: 1 })).toThrow(NilmError);
  });
});

describe('device identity', () => {
  it('letters devices A..Z, then AA', () => {
    expect([0, 1, 25, 26, 27, 701, 702].map(deviceLetters)).toEqual([
      'A',
      'B',
      'Z',
      'AA',
      'AB',
      'ZZ',
      'AAA',
    ]);
  });

  it('matches signatures within 25 % power and a factor 2 in run length', () => {
    const a = { powerW: 100, runMinutes: 20, periodMinutes: 60 };
    expect(sameDevice(a, { powerW: 120, runMinutes: 35, periodMinutes: null })).toBe(true);
    expect(sameDevice(a, { powerW: 140, runMinutes: 20, periodMinutes: 60 })).toBe(false);
    expect(sameDevice(a, { powerW: 100, runMinutes: 45, periodMinutes: 60 })).toBe(false);
  });
});
