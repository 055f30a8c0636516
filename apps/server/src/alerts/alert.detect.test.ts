// Proves the pure pieces the alert rules stand on: runs from per-minute on-probabilities (pauses shorter than the bridge kept inside a run), the median, energy and coverage over a span, a day's baseload (null with too few readings), and the words used in messages.
import { expect, it } from 'vitest';
import type { Bucket } from '@nilm/stores';
import {
  applianceLabel,
  applianceRuns,
  baseloadOf,
  durationText,
  energyOver,
  median,
} from './alert.detect.js';

const MIN = 60_000;
const minute = (i: number, onProb: number | null, powerW: number | null = 100): Bucket => ({
  ts: i * MIN,
  powerW,
  appliances: onProb === null ? {} : { oven: { powerW: 1000 * onProb, onProb } },
});

it('finds runs, bridging pauses up to the bridge and not longer', () => {
  const on = new Set([2, 3, 4, 8, 9, 30, 31]);
  const buckets = Array.from({ length: 40 }, (_, i) => minute(i, on.has(i) ? 0.9 : 0.1));
  expect(applianceRuns(buckets, 'oven', 5 * MIN)).toEqual([
    { startMs: 2 * MIN, endMs: 10 * MIN },
    { startMs: 30 * MIN, endMs: 32 * MIN },
  ]);
  expect(applianceRuns(buckets, 'oven', 2 * MIN)).toHaveLength(3);
  expect(applianceRuns(buckets, 'kettle', 5 * MIN)).toEqual([]);
  // Exactly at the threshold counts as on; a minute without the appliance does not.
  expect(applianceRuns([minute(0, 0.5), minute(1, null)], 'oven', 0)).toEqual([
    { startMs: 0, endMs: MIN },
  ]);
});

it('takes the median of odd and even counts, NaN of none', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([])).toBeNaN();
});

it('sums energy over a span and says how much of it had readings', () => {
  const q = 15 * MIN;
  const buckets: Bucket[] = [0, 1, 2, 3].map((i) => ({
    ts: i * q,
    powerW: i === 2 ? null : 400,
    appliances: {},
  }));
  const e = energyOver(buckets, 0, 4 * q, q);
  expect(e.kwh).toBeCloseTo(0.3, 10); // three quarter hours at 400 W
  expect(e.coverage).toBeCloseTo(0.75, 10);
  expect(energyOver(buckets, q, q, q)).toEqual({ kwh: 0, coverage: 0 });
});

it("takes a day's lowest bucket as its baseload, or null when less than half has readings", () => {
  const q = 15 * MIN;
  const day = 96 * q;
  const full: Bucket[] = Array.from({ length: 96 }, (_, i) => ({
    ts: i * q,
    powerW: i === 40 ? 85 : 120 + (i % 5),
    appliances: {},
  }));
  expect(baseloadOf(full, 0, day, q)).toBe(85);
  expect(baseloadOf(full.slice(0, 47), 0, day, q)).toBeNull();
  expect(baseloadOf(full.slice(0, 48), 0, day, q)).toBe(85);
});

it('words appliances and durations as people say them', () => {
  expect(applianceLabel('washing_machine')).toBe('Washing machine');
  expect(applianceLabel('ev-charger')).toBe('Ev charger');
  expect(durationText(52 * MIN)).toBe('52 min');
  expect(durationText(3 * 60 * MIN)).toBe('3 h');
  expect(durationText(185 * MIN)).toBe('3 h 5 min');
});
