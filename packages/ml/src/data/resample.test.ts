// Proves grid binning (mean per cell), holding over short reporting gaps, explicit NaN over
// long gaps, and resampling of regular series to coarser, finer and odd periods.
import { describe, expect, it } from 'vitest';
import { markZeroMainsMissing, medianIntervalS, resampleSeries, toGrid } from './resample.js';
import type { Series } from './series.js';

const arr = (a: Float32Array): number[] =>
  Array.from(a, (v) => (Number.isNaN(v) ? NaN : Math.round(v * 1000) / 1000));

describe('toGrid', () => {
  it('bins samples by mean onto cells aligned to the period', () => {
    // Samples at 3 s intervals starting at t=61 s; 10 s cells start at 60 s.
    const timesMs = [61, 64, 67, 70, 73, 76, 79].map((s) => s * 1000);
    const values = [10, 20, 30, 40, 50, 60, 70];
    const g = toGrid({ mains: { timesMs, values } }, { periodS: 10 });
    expect(g.startMs).toBe(60_000);
    expect(g.length).toBe(2);
    expect(arr(g.channels.mains!)).toEqual([20, 55]);
  });

  it('holds the last value across a short gap and leaves a long gap missing', () => {
    const timesMs = [0, 10, 20, 50, 60, 200, 210].map((s) => s * 1000);
    const values = [1, 2, 3, 4, 5, 6, 7];
    const g = toGrid({ mains: { timesMs, values } }, { periodS: 10, fillLimitS: 25 });
    // cells 3 and 4 are empty: cell 3 starts 10 s after sample 20 s (held), cell 4: 20 s (held).
    // cells 7..19 are empty; cell 7 starts 10 s after 60 s (held), cell 9 starts 30 s after (missing).
    const out = arr(g.channels.mains!);
    expect(out.slice(0, 10)).toEqual([1, 2, 3, 3, 3, 4, 5, 5, 5, NaN]);
    expect(out.slice(19)).toEqual([NaN, 6, 7]);
  });

  it('aligns channels with their own timestamps; appliance is NaN outside its span', () => {
    const g = toGrid(
      {
        mains: { timesMs: [0, 60_000, 120_000, 180_000], values: [100, 200, 300, 400] },
        kettle: { timesMs: [61_000, 121_000], values: [5, 6] },
      },
      { periodS: 60, fillLimitS: 60 },
    );
    expect(arr(g.channels.mains!)).toEqual([100, 200, 300, 400]);
    expect(arr(g.channels.kettle!)).toEqual([NaN, 5, 6, 6]);
  });

  it('ignores non-finite samples and computes median intervals', () => {
    const g = toGrid({ m: { timesMs: [0, 1000, 2000], values: [1, NaN, 3] } }, { periodS: 3 });
    expect(arr(g.channels.m!)).toEqual([2]);
    expect(medianIntervalS([0, 6000, 12000, 30000])).toBe(6);
  });
});

const regular = (mains: number[], periodS: number, startMs = 0): Series => ({
  startMs,
  periodS,
  mains: Float32Array.from(mains),
  appliances: { kettle: Float32Array.from(mains.map((v) => v / 10)) },
  source: 'test',
});

describe('resampleSeries', () => {
  it('averages to a coarser period and needs half the samples of a cell', () => {
    const s = regular([1, 2, 3, 4, NaN, NaN, NaN, 8, 9, NaN, 11, 12], 10);
    const r = resampleSeries(s, 30);
    expect(r.periodS).toBe(30);
    expect(arr(r.mains)).toEqual([2, NaN, 8.5, 11.5]);
    expect(arr(r.appliances.kettle!)).toEqual([0.2, NaN, 0.85, 1.15]);
  });

  it('aligns the coarse grid to multiples of its period', () => {
    // Samples at 20, 30, 40, 50 s: the cell [0, 30) holds one of its three samples (missing),
    // the cell [30, 60) holds all three.
    const r = resampleSeries(regular([1, 2, 3, 4], 10, 20_000), 30);
    expect(r.startMs).toBe(0);
    expect(arr(r.mains)).toEqual([NaN, 3]);
  });

  it('holds values to a finer period', () => {
    const r = resampleSeries(regular([1, 2], 60), 20);
    expect(arr(r.mains)).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('handles non-integer ratios through grid binning', () => {
    const r = resampleSeries(regular([0, 6, 12, 18, 24, 30], 6), 9);
    expect(r.periodS).toBe(9);
    expect(arr(r.mains)).toEqual([3, 12, 21, 30]);
  });
});

describe('markZeroMainsMissing', () => {
  it('turns exact zeros of mains into gaps', () => {
    expect(arr(markZeroMainsMissing(regular([0, 5, 0], 60)).mains)).toEqual([NaN, 5, NaN]);
  });
});
