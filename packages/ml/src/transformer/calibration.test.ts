// Proves the calibration helpers: Platt scaling recovers a known slope and offset, stays finite
// on separable data, the F1 threshold is the best one on a grid, and the residual band takes
// the 90th percentile per bin.
import { describe, expect, it } from 'vitest';
import { bestF1Threshold, plattFit, residualBand } from './calibration.js';

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
