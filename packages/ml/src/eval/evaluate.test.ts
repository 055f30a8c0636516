// Proves evaluation end to end: a perfect method scores perfectly, a real baseline on the real
// excerpt gives sane numbers, appliances the model lacks are listed as unscored (and skipped),
// and the run-level and whole-house fields match a small fixture worked out by hand.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../data/dataset.js';
import type { Series } from '../data/series.js';
import type { Disaggregation, Disaggregator } from '../models/disaggregator.js';
import { resolveModel } from '../models/model.spec.js';
import { evaluate } from './evaluate.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

/** A method that returns the sub-meter itself (an oracle), for kettle only. */
class Oracle implements Disaggregator {
  readonly kind = 'oracle';
  readonly appliances = ['kettle'];
  readonly periodS = 60;
  async fit(): Promise<void> {}
  async save(): Promise<void> {}
  async disaggregate(s: Series): Promise<Disaggregation> {
    return {
      startMs: s.startMs,
      periodS: s.periodS,
      appliances: { kettle: { power: Float32Array.from(s.appliances.kettle!) } },
    };
  }
}

/** Ten minutes of one house, chosen so that every new field can be worked out by hand. */
function handSeries(source = 'hand'): Series {
  const f = (v: number[]): Float32Array => Float32Array.from(v);
  return {
    startMs: 0,
    periodS: 60,
    mains: f([100, 2100, 2100, 2100, 100, 1100, 100, 900, NaN, 900]),
    appliances: {
      kettle: f([0, 2000, 2000, 2000, 0, 0, 0, 0, 0, 0]),
      toaster: f([0, 0, 0, 0, 0, 1000, 0, 800, 800, 800]),
      fridge: f([50, 50, 50, 50, 50, 50, 50, 50, 50, 50]),
    },
    source,
  };
}

/** A method whose estimates are fixed: the kettle's run found in two pieces plus a false run. */
class Scripted implements Disaggregator {
  readonly kind = 'scripted';
  readonly appliances = ['kettle', 'toaster', 'microwave'];
  readonly periodS = 60;
  async fit(): Promise<void> {}
  async save(): Promise<void> {}
  async disaggregate(s: Series): Promise<Disaggregation> {
    const f = (v: number[]): Float32Array => Float32Array.from(v);
    return {
      startMs: s.startMs,
      periodS: s.periodS,
      appliances: {
        kettle: { power: f([0, 1500, 0, 2500, 0, 1200, 0, 0, 0, 0]) },
        toaster: { power: f([0, 0, 0, 0, 0, 0, 0, 600, 600, 900]) },
        microwave: { power: f([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) },
      },
    };
  }
}

describe('evaluate', () => {
  it('gives an oracle zero error and F1 of 1, and lists what it skipped', async () => {
    const data = await loadDataset(resolve(ROOT, 'data'));
    const r = await evaluate(new Oracle(), data, 'oracle');
    expect(r.samples).toBe(20160);
    expect(r.appliances.kettle).toMatchObject({
      mae_w: 0,
      rmse_w: 0,
      sae: 0,
      nde: 0,
      f1: 1,
      precision: 1,
      recall: 1,
      energy_accuracy: 1,
      on_threshold_w: 1000,
    });
    expect(r.appliances.kettle!.energy_true_kwh).toBeCloseTo(
      r.appliances.kettle!.energy_pred_kwh,
      6,
    );
    expect(r.unscored).toEqual(['dishwasher', 'microwave', 'washing_machine']);
    expect(r.skipped).toEqual(r.unscored);
    expect(r.unmetered).toEqual([]);
    expect(r.mean.f1).toBe(1);
    // The oracle explains all of the kettle's energy and nothing else.
    expect(r.explained_kwh).toBeCloseTo(r.appliances.kettle!.energy_true_kwh, 6);
    expect(r.submetered_kwh).toBeCloseTo(r.explained_kwh, 6);
    expect(r.explained_share).toBeCloseTo(r.explained_kwh / r.mains_kwh, 12);
    expect(r.appliances.kettle).toMatchObject({ event_precision: 1, event_recall: 1, event_f1: 1 });
  });

  it('scores runs and whole-house energy as worked out by hand', async () => {
    const r = await evaluate(new Scripted(), [handSeries()], 'scripted');
    expect(r.samples).toBe(9); // sample 8 has no mains
    // Kettle (on at >= 1000 W, runs of >= 1 min, no bridging): true on at 1-3 -> 1 run; predicted
    // on at 1, 3 and 5 -> 3 runs; one-to-one, the true run takes one of them: 1 match.
    // Samples: tp 2 (1, 3), fp 1 (5), fn 1 (2) -> F1 4 / 6.
    expect(r.appliances.kettle).toMatchObject({ runs_true: 1, runs_pred: 3 });
    expect(r.appliances.kettle!.event_precision).toBeCloseTo(1 / 3, 12);
    expect(r.appliances.kettle!.event_recall).toBe(1);
    expect(r.appliances.kettle!.event_f1).toBeCloseTo(2 / 4, 12);
    expect(r.appliances.kettle!.f1).toBeCloseTo(4 / 6, 12);
    // Toaster (>= 200 W): true on at 5, 7, 9; sample 8 is unscored, so 7 and 9 are two runs and
    // 5 a third. Predicted on at 7 and 9: 2 runs, both matched.
    expect(r.appliances.toaster).toMatchObject({ runs_true: 3, runs_pred: 2, event_precision: 1 });
    expect(r.appliances.toaster!.event_recall).toBeCloseTo(2 / 3, 12);
    expect(r.appliances.toaster!.event_f1).toBeCloseTo(4 / 5, 12);
    // Whole house over the 9 scored samples (W, one minute each):
    // mains 100 + 3 x 2100 + 100 + 1100 + 100 + 900 + 900 = 9500;
    // explained kettle min(2000,1500) + min(2000,0) + min(2000,2500) + min(0,1200) = 3500,
    //           toaster min(1000,0) + min(800,600) + min(800,900) = 1400; total 4900;
    // sub-metered kettle 3 x 2000 + toaster 1000 + 800 + 800 = 8600 (the fridge is not scored).
    const kwh = (w: number): number => (w * 60) / 3_600_000;
    expect(r.mains_kwh).toBeCloseTo(kwh(9500), 12);
    expect(r.explained_kwh).toBeCloseTo(kwh(4900), 12);
    expect(r.submetered_kwh).toBeCloseTo(kwh(8600), 12);
    expect(r.explained_share).toBeCloseTo(4900 / 9500, 12);
    expect(r.houses).toEqual([
      {
        source: 'hand',
        samples: 9,
        mains_kwh: r.mains_kwh,
        explained_kwh: r.explained_kwh,
        explained_share: r.explained_share,
        submetered_kwh: r.submetered_kwh,
        // The same house alone: kettle F1 4/6 (above), MAE (500 + 2000 + 500 + 1200) / 9;
        // toaster tp 2 (7, 9) fn 1 (5) -> F1 4/5, MAE (1000 + 200 + 100) / 9.
        appliances: {
          kettle: { f1: r.appliances.kettle!.f1, mae_w: 4200 / 9, energy_true_kwh: kwh(6000) },
          toaster: { f1: r.appliances.toaster!.f1, mae_w: 1300 / 9, energy_true_kwh: kwh(2600) },
        },
      },
    ]);
    expect(r.houses[0]!.appliances!.toaster!.f1).toBeCloseTo(4 / 5, 12);
    // The fridge is in the data but not the model; the microwave the other way round.
    expect(r.unscored).toEqual(['fridge']);
    expect(r.skipped).toEqual(['fridge']);
    expect(r.unmetered).toEqual(['microwave']);
  });

  it('measures band coverage on on-minutes and the reliability of on_prob by hand', async () => {
    class Banded extends Scripted {
      override async disaggregate(s: Series): Promise<Disaggregation> {
        const f = (v: number[]): Float32Array => Float32Array.from(v);
        const out = await super.disaggregate(s);
        // Kettle band: holds the truth at samples 0, 1, 2 (on), 4, 6, 7, 9; misses 3 (on) and 5.
        out.appliances.kettle!.lower = f([0, 1000, 1900, 2100, 0, 1100, 0, 0, 0, 0]);
        out.appliances.kettle!.upper = f([10, 2500, 2100, 2900, 10, 1300, 10, 10, 10, 10]);
        out.appliances.kettle!.onProb = f([
          0.05, 0.95, 0.15, 0.95, 0.05, 0.55, 0.05, 0.05, 0, 0.05,
        ]);
        return out;
      }
    }
    const r = await evaluate(new Banded(), [handSeries()], 'banded');
    const k = r.appliances.kettle!;
    expect(k.band_coverage).toBeCloseTo(7 / 9, 12);
    expect(k.band_coverage_on).toBeCloseTo(2 / 3, 12);
    // Tenths of on_prob over the 9 scored samples: [0, 0.1) 5, none on; [0.1, 0.2) one, on;
    // [0.5, 0.6) one, off; [0.9, 1] two, both on. ECE = (5 * 0.05 + 0.85 + 0.55 + 2 * 0.05) / 9.
    expect(k.reliability!.n).toEqual([5, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(k.reliability!.on[1]).toBe(1);
    expect(k.reliability!.on[9]).toBe(1);
    expect(k.reliability!.ece).toBeCloseTo((5 * 0.05 + 0.85 + 0.55 + 2 * 0.05) / 9, 3);
    expect(r.appliances.toaster!.reliability).toBeNull();
  });

  it('scores a group head against the sum of its members', async () => {
    class Cold implements Disaggregator {
      readonly kind = 'cold';
      readonly appliances = ['fridge_freezer'];
      readonly groups = { fridge_freezer: ['fridge_freezer', 'fridge', 'freezer'] };
      readonly periodS = 60;
      async fit(): Promise<void> {}
      async save(): Promise<void> {}
      async disaggregate(s: Series): Promise<Disaggregation> {
        return {
          startMs: s.startMs,
          periodS: s.periodS,
          appliances: { fridge_freezer: { power: new Float32Array(s.mains.length).fill(150) } },
        };
      }
    }
    const s = handSeries();
    s.appliances.freezer = new Float32Array(10).fill(100);
    const r = await evaluate(new Cold(), [s], 'cold');
    // Truth: fridge 50 + freezer 100 = 150 W at every scored minute.
    expect(r.appliances.fridge_freezer!.mae_w).toBe(0);
    expect(r.unscored).toEqual(['kettle', 'toaster']);
  });

  it('sums energy over houses and reports each', async () => {
    const r = await evaluate(new Scripted(), [handSeries(), handSeries('hand 2')], 'scripted');
    expect(r.houses.map((x) => x.source)).toEqual(['hand', 'hand 2']);
    expect(r.explained_share).toBeCloseTo(4900 / 9500, 12);
    expect(r.mains_kwh).toBeCloseTo(2 * r.houses[0]!.mains_kwh, 12);
    expect(r.appliances.kettle).toMatchObject({ runs_true: 2, runs_pred: 6 });
  });

  it('scores the shipped CO baseline on the real excerpt', async () => {
    const data = await loadDataset(resolve(ROOT, 'data'));
    const co = await resolveModel('baseline:co', { modelsDir: resolve(ROOT, 'models') });
    const r = await evaluate(co, data, 'baseline:co');
    expect(Object.keys(r.appliances).sort()).toEqual([
      'dishwasher',
      'kettle',
      'microwave',
      'washing_machine',
    ]);
    // The kettle's 14-day energy in the excerpt, computed from the file: sum(W) * 60 s / 3.6e6.
    expect(r.appliances.kettle!.energy_true_kwh).toBeCloseTo(5.3225, 3);
    for (const a of Object.values(r.appliances)) {
      expect(a.mae_w).toBeGreaterThan(0);
      expect(a.f1).toBeGreaterThanOrEqual(0);
      expect(a.f1).toBeLessThan(1);
    }
  });
});
