// Proves the warm-up/cosine schedule's shape: linear ramp, peak after warm-up, cosine midpoint,
// floor at and after the last step.
import { describe, expect, it } from 'vitest';
import { warmupCosine } from './lr.schedule.js';

describe('warmupCosine', () => {
  const lr = warmupCosine({ peakLr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 1e-5 });

  it('ramps linearly during warm-up, reaching the peak on the last warm-up step', () => {
    expect(lr(0)).toBeCloseTo(1e-4, 12);
    expect(lr(4)).toBeCloseTo(5e-4, 12);
    expect(lr(9)).toBeCloseTo(1e-3, 12);
  });

  it('decays along a half cosine to the floor', () => {
    expect(lr(10)).toBeCloseTo(1e-3, 12);
    expect(lr(60)).toBeCloseTo((1e-3 + 1e-5) / 2, 12);
    expect(lr(110)).toBeCloseTo(1e-5, 12);
    expect(lr(1000)).toBeCloseTo(1e-5, 12);
    for (let s = 10; s < 110; s++) expect(lr(s + 1)).toBeLessThanOrEqual(lr(s));
  });

  it('rejects inconsistent settings', () => {
    expect(() => warmupCosine({ peakLr: 1, warmupSteps: 20, totalSteps: 10 })).toThrow();
  });
});
