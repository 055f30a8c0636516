// Proves each metric against values computed by hand, including the undefined (null) cases.
import { describe, expect, it } from 'vitest';
import * as m from './metrics.js';

const y = [0, 100, 200, 0];
const yHat = [10, 80, 260, 0];
const onT = [0, 1, 1, 0];
const onP = [1, 1, 0, 0];
const all = [1, 1, 1, 1];

describe('metrics', () => {
  const t = m.accumulate(m.emptyTotals(), y, yHat, onT, onP, all);

  it('MAE and RMSE', () => {
    // errors 10, -20, 60, 0
    expect(m.mae(t)).toBeCloseTo(90 / 4, 10);
    expect(m.rmse(t)).toBeCloseTo(Math.sqrt((100 + 400 + 3600) / 4), 10);
  });

  it('SAE, NDE and energy accuracy', () => {
    expect(m.sae(t)).toBeCloseTo(Math.abs(350 - 300) / 300, 10);
    expect(m.nde(t)).toBeCloseTo(4100 / (100 * 100 + 200 * 200), 10);
    expect(m.energyAccuracy(t)).toBeCloseTo(1 - 90 / 600, 10);
  });

  it('precision, recall, F1 of on/off states', () => {
    // tp 1 (i=1), fp 1 (i=0), fn 1 (i=2), tn 1
    expect([t.tp, t.fp, t.fn, t.tn]).toEqual([1, 1, 1, 1]);
    expect(m.precision(t)).toBe(0.5);
    expect(m.recall(t)).toBe(0.5);
    expect(m.f1(t)).toBe(0.5);
  });

  it('skips masked samples', () => {
    const u = m.accumulate(m.emptyTotals(), y, yHat, onT, onP, [0, 1, 0, 1]);
    expect(u.n).toBe(2);
    expect(m.mae(u)).toBe(10);
  });

  it('returns null where a metric is undefined, 0 where it is just bad', () => {
    const zero = m.accumulate(m.emptyTotals(), [0, 0], [5, 0], [0, 0], [0, 0], [1, 1]);
    expect(m.sae(zero)).toBeNull();
    expect(m.nde(zero)).toBeNull();
    expect(m.f1(zero)).toBeNull();
    expect(m.precision(zero)).toBeNull();
    const missed = m.accumulate(m.emptyTotals(), [100], [0], [1], [0], [1]);
    expect(m.f1(missed)).toBe(0);
    expect(m.precision(missed)).toBeNull();
    expect(m.recall(missed)).toBe(0);
    expect(m.mae(m.emptyTotals())).toBeNull();
  });

  it('merges totals over several series like one long series', () => {
    const a = m.accumulate(
      m.emptyTotals(),
      y.slice(0, 2),
      yHat.slice(0, 2),
      onT.slice(0, 2),
      onP.slice(0, 2),
      all,
    );
    const b = m.accumulate(
      m.emptyTotals(),
      y.slice(2),
      yHat.slice(2),
      onT.slice(2),
      onP.slice(2),
      all,
    );
    expect(m.mergeTotals(a, b)).toEqual(t);
  });

  it('energy and means', () => {
    expect(m.energyKwh(60_000, 60)).toBe(1); // 1000 W for 60 minutes
    expect(m.meanOf([1, null, 3])).toBe(2);
    expect(m.meanOf([null])).toBeNull();
  });
});
