/**
 * A scorecard on one home's own data (issue 13.5): per appliance, how a model's estimate
 * compares with the home's sub-meter (or labels turned into power) on held-out minutes: F1 of
 * on/off, MAE in W, and energy true against estimated. A model without a head for an appliance
 * estimates nothing for it (0 W, never on), which is what the household sees today, so a base
 * model and its fine-tuned successor are compared on the same footing.
 */
import { applianceSpec, onOffStates } from '../data/appliances.js';
import type { Series } from '../data/series.js';
import type { OnOffRule } from '../data/window.cache.format.js';
import * as m from '../metrics/metrics.js';
import type { Disaggregator } from '../models/disaggregator.js';

export interface HomeScore {
  f1: number | null;
  mae_w: number | null;
  energy_true_kwh: number;
  energy_pred_kwh: number;
  /** (estimated - true) / true energy; null when the appliance used none. */
  energy_error: number | null;
  /** Minutes scored (mains, sub-meter and estimate all known). */
  minutes: number;
}

/**
 * Score `model` on `series` for `appliances` (series without an appliance's column skip it).
 * `rules` gives the on/off rule of an appliance outside the vocabulary (a device the owner
 * named); every other appliance is scored by the vocabulary's rule.
 */
export async function scoreOnHome(
  model: Disaggregator,
  series: readonly Series[],
  appliances: readonly string[],
  rules: Readonly<Record<string, OnOffRule>> = {},
): Promise<Record<string, HomeScore>> {
  const totals = Object.fromEntries(appliances.map((a) => [a, m.emptyTotals()]));
  const minutes: Record<string, number> = Object.fromEntries(appliances.map((a) => [a, 0]));
  for (const s of series) {
    const out = await model.disaggregate(s);
    for (const a of appliances) {
      const truth = s.appliances[a];
      if (!truth) continue;
      const est = out.appliances[a];
      const power = est?.power ?? new Float32Array(truth.length);
      const mask = new Uint8Array(truth.length);
      for (let i = 0; i < mask.length; i++)
        mask[i] =
          Number.isFinite(s.mains[i]) && Number.isFinite(truth[i]) && Number.isFinite(power[i])
            ? 1
            : 0;
      const rule = rules[a] ?? applianceSpec(a);
      const onTrue = onOffStates(truth, s.periodS, rule);
      const threshold = est?.onThreshold ?? 0.5;
      const onPred = est?.onProb
        ? Uint8Array.from(est.onProb, (p) => (p >= threshold ? 1 : 0))
        : onOffStates(power, s.periodS, rule);
      m.accumulate(totals[a]!, truth, power, onTrue, onPred, mask);
      for (const k of mask) minutes[a]! += k;
    }
  }
  return Object.fromEntries(
    appliances.map((a) => {
      const t = totals[a]!;
      const trueKwh = m.energyKwh(t.sumTrue, model.periodS);
      const predKwh = m.energyKwh(t.sumPred, model.periodS);
      return [
        a,
        {
          f1: m.f1(t),
          mae_w: m.mae(t),
          energy_true_kwh: trueKwh,
          energy_pred_kwh: predKwh,
          energy_error: trueKwh > 0 ? (predKwh - trueKwh) / trueKwh : null,
          minutes: minutes[a]!,
        },
      ];
    }),
  );
}
