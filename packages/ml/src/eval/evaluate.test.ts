// Proves evaluation end to end: a perfect method scores perfectly, a real baseline on the real
// excerpt gives sane numbers, and appliances the model lacks are listed as skipped.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../data/dataset.js';
import type { Series } from '../data/series.js';
import type { Disaggregation, Disaggregator } from '../models/disaggregator.js';
import { resolveModel } from '../models/model-spec.js';
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
    expect(r.skipped).toEqual(['dishwasher', 'microwave', 'washing_machine']);
    expect(r.mean.f1).toBe(1);
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
