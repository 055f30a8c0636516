// Proves the whole-house explained energy against sums worked out by hand, including floors at
// zero and samples left out because a channel is missing.
import { describe, expect, it } from 'vitest';
import * as h from './house.metrics.js';

describe('explained energy', () => {
  it('sums min(estimate, truth) over samples and appliances, over the same samples as mains', () => {
    const mains = [1000, 3000, NaN, 500];
    const a = { truth: [0, 2000, 2000, 100], est: [300, 1500, 1000, 150] };
    const b = { truth: [500, 500, 500, NaN], est: [600, -20, 500, 0] };
    const t = h.accumulateHouse(h.emptyHouseTotals(), mains, [a.truth, b.truth], [a.est, b.est]);
    // Sample 2: mains missing; sample 3: b's truth missing. Samples 0 and 1 count:
    // mains 1000 + 3000; explained a: min(0,300)=0 + min(2000,1500)=1500; b: min(500,600)=500 +
    // max(0, min(500,-20))=0; sub-metered a: 0 + 2000, b: 500 + 500.
    expect(t).toEqual({ n: 2, sumMains: 4000, sumExplained: 2000, sumSubmetered: 3000 });
    expect(h.explainedShare(t)).toBe(0.5);
  });

  it('has no share without mains energy, and refuses mismatched channels', () => {
    expect(h.explainedShare(h.emptyHouseTotals())).toBeNull();
    expect(() => h.accumulateHouse(h.emptyHouseTotals(), [1], [[1]], [])).toThrow(/1 truths/);
  });
});
