/**
 * Scoring a disaggregation method on real data, the way NILM papers do: run the method on the
 * mains of each series, compare with the sub-meters on the samples where both exist, and
 * report per-appliance and mean metrics.
 */
import { applianceSpec } from '../data/appliances.js';
import { onOffStates } from '../data/appliances.js';
import { resampleSeries } from '../data/resample.js';
import type { Series } from '../data/series.js';
import type { Disaggregator } from '../models/disaggregator.js';
import * as m from '../metrics/metrics.js';

export interface ApplianceScores {
  mae_w: number | null;
  rmse_w: number | null;
  sae: number | null;
  nde: number | null;
  f1: number | null;
  precision: number | null;
  recall: number | null;
  energy_accuracy: number | null;
  on_threshold_w: number;
  energy_true_kwh: number;
  energy_pred_kwh: number;
  /** Share of scored samples whose true power lies inside the method's band (null: no band). */
  band_coverage: number | null;
}

/** The contract of `nilm eval --json`. */
export interface EvalReport {
  model: string;
  period_s: number;
  samples: number;
  appliances: Record<string, ApplianceScores>;
  mean: { mae_w: number | null; f1: number | null; sae: number | null; nde: number | null };
  /** Appliances the data has but the model does not estimate. */
  skipped: string[];
  /** Appliances the model estimates but the data has no sub-meter for. */
  unscored: string[];
  seconds: number;
}

/** Score `model` on `data`; series are resampled to the model's period first. */
export async function evaluate(
  model: Disaggregator,
  data: readonly Series[],
  modelName: string,
): Promise<EvalReport> {
  const t0 = performance.now();
  const inData = new Set(data.flatMap((s) => Object.keys(s.appliances)));
  const scored = model.appliances.filter((a) => inData.has(a));
  const totals: Record<string, m.MetricTotals> = Object.fromEntries(
    scored.map((a) => [a, m.emptyTotals()]),
  );
  const inBand: Record<string, { hit: number; n: number }> = {};
  let samples = 0;
  for (const raw of data) {
    const s = resampleSeries(raw, model.periodS);
    const out = await model.disaggregate(s);
    for (let i = 0; i < s.mains.length; i++) if (Number.isFinite(s.mains[i])) samples++;
    for (const name of scored) {
      const truth = s.appliances[name];
      const est = out.appliances[name];
      if (!truth || !est) continue;
      const rule = applianceSpec(name);
      const mask = new Uint8Array(truth.length);
      for (let i = 0; i < mask.length; i++) {
        mask[i] =
          Number.isFinite(s.mains[i]) && Number.isFinite(truth[i]) && Number.isFinite(est.power[i])
            ? 1
            : 0;
      }
      const onTrue = onOffStates(truth, s.periodS, rule);
      const threshold = est.onThreshold ?? 0.5;
      const onPred = est.onProb
        ? Uint8Array.from(est.onProb, (p) => (p >= threshold ? 1 : 0))
        : onOffStates(est.power, s.periodS, rule);
      m.accumulate(totals[name]!, truth, est.power, onTrue, onPred, mask);
      if (est.lower && est.upper) {
        const b = (inBand[name] ??= { hit: 0, n: 0 });
        for (let i = 0; i < mask.length; i++) {
          if (!mask[i]) continue;
          b.n++;
          if (truth[i]! >= est.lower[i]! && truth[i]! <= est.upper[i]!) b.hit++;
        }
      }
    }
  }
  const appliances: Record<string, ApplianceScores> = {};
  for (const name of scored) {
    const t = totals[name]!;
    appliances[name] = {
      mae_w: m.mae(t),
      rmse_w: m.rmse(t),
      sae: m.sae(t),
      nde: m.nde(t),
      f1: m.f1(t),
      precision: m.precision(t),
      recall: m.recall(t),
      energy_accuracy: m.energyAccuracy(t),
      on_threshold_w: applianceSpec(name).onPowerW,
      energy_true_kwh: m.energyKwh(t.sumTrue, model.periodS),
      energy_pred_kwh: m.energyKwh(t.sumPred, model.periodS),
      band_coverage: inBand[name] && inBand[name].n > 0 ? inBand[name].hit / inBand[name].n : null,
    };
  }
  const list = Object.values(appliances);
  return {
    model: modelName,
    period_s: model.periodS,
    samples,
    appliances,
    mean: {
      mae_w: m.meanOf(list.map((a) => a.mae_w)),
      f1: m.meanOf(list.map((a) => a.f1)),
      sae: m.meanOf(list.map((a) => a.sae)),
      nde: m.meanOf(list.map((a) => a.nde)),
    },
    skipped: [...inData].filter((a) => !model.appliances.includes(a)).sort(),
    unscored: model.appliances.filter((a) => !inData.has(a)),
    seconds: (performance.now() - t0) / 1000,
  };
}
