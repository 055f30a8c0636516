// Proves the calibration helpers: Platt scaling recovers a known slope and offset, stays finite
// on separable data, the F1 threshold is the best one on a grid, and the residual band takes
// the 90th percentile per bin.
import { describe, expect, it } from 'vitest';
import {
  applyIsotonic,
  bestF1Threshold,
  isotonicFit,
  levelOf,
  plattFit,
  residualBand,
  residualBandOn,
} from './calibration.js';

describe('plattFit', () => {
  it('recovers the slope and offset that generated the labels', () => {
    // Deterministic labels: y = 1 for a fixed share sigmoid(2x - 1) of points at each x.
    const x: number[] = [];
    const y: number[] = [];
    for (let v = -4; v <= 4; v += 0.25) {
      const p = 1 / (1 + Math.exp(-(2 * v - 1)));
      for (let k = 0; k < 200; k++) {
        x.push(v);
        y.push(k < Math.round(p * 200) ? 1 : 0);
      }
    }
    const { scale, offset } = plattFit(x, y);
    expect(scale).toBeCloseTo(2, 1);
    expect(offset).toBeCloseTo(-1, 1);
  });

  it('stays a finite, bounded slope on separable data', () => {
    const x = [-3, -2, -1, 1, 2, 3];
    const y = [0, 0, 0, 1, 1, 1];
    const { scale, offset } = plattFit(x, y);
    expect(scale).toBeLessThanOrEqual(10);
    expect(Number.isFinite(offset)).toBe(true);
  });
});

describe('bestF1Threshold', () => {
  it('picks the threshold with the best F1', () => {
    const p = [0.1, 0.2, 0.35, 0.4, 0.8, 0.9];
    const y = [0, 0, 1, 1, 1, 1];
    const r = bestF1Threshold(p, y);
    expect(r.f1).toBe(1);
    expect(r.threshold).toBeGreaterThan(0.2);
    expect(r.threshold).toBeLessThanOrEqual(0.35);
    expect(bestF1Threshold([0.3], [0])).toEqual({ threshold: 0.5, f1: 0 });
  });
});

describe('residualBand', () => {
  it('takes the 90th percentile of the error in each probability bin', () => {
    const p = [...Array(10).fill(0.05), ...Array(10).fill(0.95)];
    const err = [
      ...Array.from({ length: 10 }, (_, i) => i),
      ...Array.from({ length: 10 }, (_, i) => 100 * i),
    ];
    expect(residualBand(p, err, [0, 0.5])).toEqual([9, 900]);
  });
});

describe('isotonicFit', () => {
  it('maps over-confident probabilities to the observed frequency, monotone', () => {
    // p = 0.9 is on only 60 % of the time, p = 0.3 on 30 %, p = 0.1 on 10 %.
    const p: number[] = [];
    const y: number[] = [];
    for (const [prob, share] of [
      [0.1, 0.1],
      [0.3, 0.3],
      [0.9, 0.6],
    ] as const)
      for (let i = 0; i < 100; i++) {
        p.push(prob);
        y.push(i < share * 100 ? 1 : 0);
      }
    const m = isotonicFit(p, y);
    expect(applyIsotonic(m, 0.1)).toBeCloseTo(0.1, 6);
    expect(applyIsotonic(m, 0.3)).toBeCloseTo(0.3, 6);
    expect(applyIsotonic(m, 0.9)).toBeCloseTo(0.6, 6);
    expect(applyIsotonic(m, 0.6)).toBeCloseTo(0.45, 6); // linear between knots
    expect(applyIsotonic(m, 0)).toBeCloseTo(0.1, 6);
    // A violation (0.5 on more often than 0.7) is pooled into one level.
    const v = isotonicFit(
      [...Array(60).fill(0.5), ...Array(60).fill(0.7)],
      [
        ...Array(60)
          .fill(0)
          .map((_, i) => (i < 40 ? 1 : 0)),
        ...Array(60)
          .fill(0)
          .map((_, i) => (i < 20 ? 1 : 0)),
      ],
    );
    expect(v.y).toEqual([0.5, 0.5]);
    // Too few samples: the identity.
    expect(isotonicFit([0.2], [1])).toEqual({ x: [0, 1], y: [0, 1] });
  });

  it('finds the level of a power', () => {
    expect(levelOf([0, 100, 500], 50)).toBe(0);
    expect(levelOf([0, 100, 500], 100)).toBe(1);
    expect(levelOf([0, 100, 500], 5000)).toBe(2);
  });
});

describe('residualBandOn', () => {
  it("widens a bin to its on-samples' errors when enough of them are on", () => {
    // One bin [0, 1): 80 off samples with error 10 W, 20 on samples with error 500 W.
    const p = Array(100).fill(0.5);
    const err = [...Array(80).fill(10), ...Array(20).fill(500)];
    const on = [...Array(80).fill(0), ...Array(20).fill(1)];
    expect(residualBand(p, err, [0])).toEqual([500]);
    const few = [...Array(99).fill(10), 500];
    expect(residualBand(p, few, [0])).toEqual([10]);
    // Widened where the bin has at least minOn on-samples, whatever their share.
    expect(residualBandOn(p, few, [...Array(99).fill(0), 1], [0], { minOn: 2 })).toEqual([10]);
    expect(residualBandOn(p, few, [...Array(99).fill(0), 1], [0], { minOn: 1 })).toEqual([500]);
    expect(residualBandOn(p, err, on, [0])).toEqual([500]);
  });

  it('widens the bins below the decision threshold to the head power scale (missed on-minutes)', () => {
    // Bins [0, 0.5) and [0.5, 1): errors 10 W everywhere.
    const p = [...Array(50).fill(0.2), ...Array(50).fill(0.7)];
    const err = Array(100).fill(10);
    const on = Array(100).fill(0);
    expect(residualBandOn(p, err, on, [0, 0.5])).toEqual([10, 10]);
    expect(residualBandOn(p, err, on, [0, 0.5], { threshold: 0.5, missW: 2000 })).toEqual([
      2000, 10,
    ]);
    // A bin that straddles the threshold is not wholly "off" and keeps its own percentile.
    expect(residualBandOn(p, err, on, [0, 0.5], { threshold: 0.4, missW: 2000 })).toEqual([10, 10]);
  });
});
