/**
 * Scoring a disaggregation method on real data, the way NILM papers do: run the method on the
 * mains of each series, compare with the sub-meters on the samples where both exist, and
 * report per-appliance and mean metrics, run-level (event) scores, and how much of the whole
 * house's energy the method explains.
 */
import { applianceSpec } from '../data/appliances.js';
import { onOffStates } from '../data/appliances.js';
import { groupAppliances } from '../data/appliance.groups.js';
import { resampleSeries } from '../data/resample.js';
import type { Series } from '../data/series.js';
import type { Disaggregator } from '../models/disaggregator.js';
import * as ev from '../metrics/events.metrics.js';
import * as h from '../metrics/house.metrics.js';
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
  /** The same over the samples where the appliance is on by its sub-meter. */
  band_coverage_on: number | null;
  /**
   * Reliability of on_prob (null: the method gives none): per tenth of on_prob, the samples, mean
   * on_prob and the share truly on; and the expected calibration error (sample-weighted mean of
   * |mean on_prob - share on| over the tenths).
   */
  reliability: { n: number[]; p: number[]; on: number[]; ece: number } | null;
  /** Run-level scores (events.metrics.ts): predicted runs that overlap a true run, one-to-one. */
  event_precision: number | null;
  event_recall: number | null;
  event_f1: number | null;
  /** Runs of the sub-meter's on/off states, and of the method's, over the scored samples. */
  runs_true: number;
  runs_pred: number;
}

/** Whole-house energy of one series (one house), over the samples every scored channel has. */
export interface HouseScores {
  source: string;
  samples: number;
  mains_kwh: number;
  explained_kwh: number;
  explained_share: number | null;
  submetered_kwh: number;
  /** Per scored appliance this house meters: F1 and MAE on this house alone. */
  appliances?: Record<string, { f1: number | null; mae_w: number | null; energy_true_kwh: number }>;
}

/** The contract of `nilm eval --json`. */
export interface EvalReport {
  model: string;
  period_s: number;
  samples: number;
  appliances: Record<string, ApplianceScores>;
  mean: { mae_w: number | null; f1: number | null; sae: number | null; nde: number | null };
  /**
   * Whole house, over all series: mains energy, energy of the scored appliances that their
   * sub-meters confirm (sum over samples and appliances of min(estimate, truth)), their ratio,
   * and the sub-metered energy of the scored appliances (the most that can be explained).
   */
  mains_kwh: number;
  explained_kwh: number;
  explained_share: number | null;
  submetered_kwh: number;
  /** The same per series (house), in input order. */
  houses: HouseScores[];
  /** Appliances the data has but the model does not estimate: listed, not an error. */
  unscored: string[];
  /** The same list as `unscored`, under the name of the first contract (issue 2). */
  skipped: string[];
  /** Appliances the model estimates but the data has no sub-meter for. */
  unmetered: string[];
  seconds: number;
}

/** Score `model` on `data`; series are resampled to the model's period first. */
export async function evaluate(
  model: Disaggregator,
  input: readonly Series[],
  modelName: string,
): Promise<EvalReport> {
  const t0 = performance.now();
  // A group head is scored against the sum of its members' sub-meters.
  const data = model.groups ? input.map((s) => groupAppliances(s, model.groups!)) : input;
  const inData = new Set(data.flatMap((s) => Object.keys(s.appliances)));
  const scored = model.appliances.filter((a) => inData.has(a));
  const totals: Record<string, m.MetricTotals> = Object.fromEntries(
    scored.map((a) => [a, m.emptyTotals()]),
  );
  const events: Record<string, ev.EventTotals> = Object.fromEntries(
    scored.map((a) => [a, ev.emptyEventTotals()]),
  );
  const inBand: Record<string, { hit: number; n: number; hitOn: number; nOn: number }> = {};
  const rel: Record<string, { n: Float64Array; p: Float64Array; on: Float64Array }> = {};
  const house = h.emptyHouseTotals();
  const houses: HouseScores[] = [];
  let samples = 0;
  for (const raw of data) {
    const s = resampleSeries(raw, model.periodS);
    const out = await model.disaggregate(s);
    for (let i = 0; i < s.mains.length; i++) if (Number.isFinite(s.mains[i])) samples++;
    const here = scored.filter((a) => s.appliances[a] && out.appliances[a]);
    const one = h.accumulateHouse(
      h.emptyHouseTotals(),
      s.mains,
      here.map((a) => s.appliances[a]!),
      here.map((a) => out.appliances[a]!.power),
    );
    for (const k of Object.keys(house) as Array<keyof h.HouseTotals>) house[k] += one[k];
    const perHouse: NonNullable<HouseScores['appliances']> = {};
    houses.push({
      source: raw.source,
      samples: one.n,
      ...houseEnergy(one, model.periodS),
      appliances: perHouse,
    });
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
      const mine = m.emptyTotals();
      m.accumulate(mine, truth, est.power, onTrue, onPred, mask);
      perHouse[name] = {
        f1: m.f1(mine),
        mae_w: m.mae(mine),
        energy_true_kwh: m.energyKwh(mine.sumTrue, model.periodS),
      };
      if (est.onProb) {
        const r = (rel[name] ??= {
          n: new Float64Array(10),
          p: new Float64Array(10),
          on: new Float64Array(10),
        });
        for (let i = 0; i < mask.length; i++) {
          if (!mask[i] || !Number.isFinite(est.onProb[i]!)) continue;
          const k = Math.min(9, Math.max(0, Math.floor(est.onProb[i]! * 10)));
          r.n[k]++;
          r.p[k] += est.onProb[i]!;
          r.on[k] += onTrue[i]!;
        }
      }
      ev.accumulateEvents(events[name]!, onTrue, onPred, mask);
      if (est.lower && est.upper) {
        const b = (inBand[name] ??= { hit: 0, n: 0, hitOn: 0, nOn: 0 });
        for (let i = 0; i < mask.length; i++) {
          if (!mask[i]) continue;
          const inside = truth[i]! >= est.lower[i]! && truth[i]! <= est.upper[i]! ? 1 : 0;
          b.n++;
          b.hit += inside;
          if (onTrue[i]) {
            b.nOn++;
            b.hitOn += inside;
          }
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
      band_coverage_on:
        inBand[name] && inBand[name].nOn > 0 ? inBand[name].hitOn / inBand[name].nOn : null,
      reliability: reliabilityOf(rel[name]),
      event_precision: ev.eventPrecision(events[name]!),
      event_recall: ev.eventRecall(events[name]!),
      event_f1: ev.eventF1(events[name]!),
      runs_true: events[name]!.runsTrue,
      runs_pred: events[name]!.runsPred,
    };
  }
  const unscored = [...inData].filter((a) => !model.appliances.includes(a)).sort();
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
    ...houseEnergy(house, model.periodS),
    houses,
    unscored,
    skipped: [...unscored],
    unmetered: model.appliances.filter((a) => !inData.has(a)).sort(),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Reliability bins as reported: mean on_prob and share on per tenth, and the ECE. */
function reliabilityOf(
  r: { n: Float64Array; p: Float64Array; on: Float64Array } | undefined,
): ApplianceScores['reliability'] {
  if (!r) return null;
  const total = r.n.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let ece = 0;
  const round = (v: number): number => Math.round(v * 1e4) / 1e4;
  const p: number[] = [];
  const on: number[] = [];
  for (let k = 0; k < 10; k++) {
    const n = r.n[k]!;
    p.push(n ? round(r.p[k]! / n) : NaN);
    on.push(n ? round(r.on[k]! / n) : NaN);
    if (n) ece += (n / total) * Math.abs(r.p[k]! / n - r.on[k]! / n);
  }
  return { n: Array.from(r.n), p, on, ece: round(ece) };
}

/** The energy fields of a report from whole-house totals. */
function houseEnergy(
  t: h.HouseTotals,
  periodS: number,
): Pick<HouseScores, 'mains_kwh' | 'explained_kwh' | 'explained_share' | 'submetered_kwh'> {
  return {
    mains_kwh: m.energyKwh(t.sumMains, periodS),
    explained_kwh: m.energyKwh(t.sumExplained, periodS),
    explained_share: h.explainedShare(t),
    submetered_kwh: m.energyKwh(t.sumSubmetered, periodS),
  };
}
