/**
 * The live scorecard (issue 13.5): while a sub-meter stays attached to an appliance, how the
 * estimate the building's model stored compares with what the plug measured, over the last 7
 * and the last 30 days, and whether the model has drifted.
 *
 * Per minute: the stored estimate (1-minute buckets of the estimates series: mean power and
 * on-probability) against the sub-meter's mean power in the same minute, over the minutes that
 * have both. On/off truth is the appliance's rule (`onOffStates` with its threshold and minimum
 * durations) on the sub-meter's minutes; the estimate is on where its on-probability reaches the
 * model card's `on_prob_threshold`, as the product shows runs. The metrics are @nilm/ml's
 * (`accumulate`, `f1`, `mae`, `energyKwh`), summed as sufficient statistics, so the 30 days are
 * exactly the 23 days before the week plus the week.
 *
 * Drift compares the last 7 days with the 23 days before them (the 30-day window without the
 * week, so the week is not measured against itself), and the week's energy with the sub-meter's;
 * the rules and their floors are the DRIFT constants below (docs/api.md says them in words).
 */
import {
  accumulate,
  emptyTotals,
  energyKwh,
  f1,
  findAppliance,
  mae,
  mergeTotals,
  onOffStates,
  type InferenceEngine,
  type MetricTotals,
} from '@nilm/ml';
import type { Building, MetadataStore, TimeSeriesStore } from '@nilm/stores';
import { buildingAppliances } from './appliances.service.js';
import { periodEdges } from './readings.service.js';

const MIN = 60_000;
const DAY = 86_400_000;
/** The scorecard's grid: the estimates' and the model's step. */
const PERIOD_S = 60;

/** The drift rules' thresholds and the least data each needs. */
export const DRIFT = {
  /** The week needs this many compared minutes (a day's worth) before any rule judges it. */
  minWeekMinutes: 1440,
  /** The 23 days before need this many (two days) before the week is compared with them. */
  minBeforeMinutes: 2880,
  /** F1 is compared only when the sub-meter saw the appliance on this long in each span. */
  minOnMinutes: 30,
  /** F1 dropped by more than this. */
  f1Drop: 0.15,
  /** MAE rose by more than this share... */
  maeRise: 0.5,
  /** ...and by at least this many W (0.2 W -> 0.4 W is no drift). */
  maeMinRiseW: 5,
  /** The week's estimated energy is off the metered one by more than this share... */
  energyOff: 0.3,
  /** ...when the appliance used at least this much (a share of almost nothing means little). */
  minEnergyKwh: 0.5,
} as const;

/** One span's comparison. */
export interface ScoreSpan {
  startMs: number;
  endMs: number;
  /** F1 of on/off; null when neither the sub-meter nor the estimate was ever on, or no rule. */
  f1: number | null;
  /** Mean absolute error in W; null without compared minutes. */
  maeW: number | null;
  energyTrueKwh: number;
  energyEstimatedKwh: number;
  /** (estimated - true) / true energy; null when the appliance used none. */
  energyError: number | null;
  /** Minutes with both an estimate and a sub-meter reading. */
  minutes: number;
  /** `minutes` over the span's minutes. */
  coverage: number;
}

/** One reason the estimate counts as drifted: the figure before (or metered) and now. */
export interface DriftReason {
  kind: 'f1' | 'mae' | 'energy';
  /** F1 or MAE (W) of the 23 days before the week; the metered kWh for `energy`. */
  before: number;
  /** The week's F1, MAE (W) or estimated kWh. */
  now: number;
}

export interface DriftVerdict {
  /** drifted: a rule fired; ok: judged and fine; too_little_data: not enough to judge. */
  status: 'ok' | 'drifted' | 'too_little_data';
  /** The 23 days before the week, what the week is compared with. */
  before: { f1: number | null; maeW: number | null; minutes: number };
  reasons: DriftReason[];
  /** A sentence for people when drifted, else null. */
  message: string | null;
}

export interface ApplianceScorecard {
  appliance: string;
  label: string;
  /** The model card's threshold on the on-probability (0.5 when the model has no such head). */
  onProbThreshold: number;
  last7Days: ScoreSpan;
  last30Days: ScoreSpan;
  drift: DriftVerdict;
}

export interface BuildingScorecard {
  /** `id@version` of the building's model, or null when it could not be loaded. */
  model: string | null;
  /** The end of both spans (now, to the minute). */
  endMs: number;
  appliances: ApplianceScorecard[];
}

/** The same local time of day `days` local days before `now` (so a DST change moves no hour). */
function daysBefore(now: number, days: number, timeZone: string): number {
  const edges = periodEdges(now - (days + 2) * DAY, now + 1, 'day', timeZone);
  const today = edges.findLastIndex((e) => e <= now);
  return edges[today - days]! + (now - edges[today]!);
}

function span(t: MetricTotals, startMs: number, endMs: number, hasRule: boolean): ScoreSpan {
  const trueKwh = energyKwh(t.sumTrue, PERIOD_S);
  const estKwh = energyKwh(t.sumPred, PERIOD_S);
  return {
    startMs,
    endMs,
    f1: hasRule ? f1(t) : null,
    maeW: mae(t),
    energyTrueKwh: trueKwh,
    energyEstimatedKwh: estKwh,
    energyError: trueKwh > 0 ? (estKwh - trueKwh) / trueKwh : null,
    minutes: t.n,
    coverage: t.n / Math.max(1, Math.round((endMs - startMs) / MIN)),
  };
}

/** How an appliance is named in a sentence: the vocabulary's label in lower case, an owner's as given. */
function sentenceName(appliance: string, label: string): string {
  const spec = findAppliance(appliance);
  return spec && spec.label === label ? label.toLowerCase() : label;
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${Math.round(x * 100)} %`;

/** Judge the week against the 23 days before it (DRIFT's rules). */
function judge(
  week: MetricTotals,
  weekSpan: ScoreSpan,
  before: MetricTotals,
  hasRule: boolean,
  name: string,
): DriftVerdict {
  const beforeF1 = hasRule ? f1(before) : null;
  const beforeMae = mae(before);
  const reasons: DriftReason[] = [];
  const clauses: string[] = [];
  const weekOk = week.n >= DRIFT.minWeekMinutes;
  const compared = weekOk && before.n >= DRIFT.minBeforeMinutes;
  const onLongEnough =
    week.tp + week.fn >= DRIFT.minOnMinutes && before.tp + before.fn >= DRIFT.minOnMinutes;
  if (compared && onLongEnough && beforeF1 !== null && weekSpan.f1 !== null) {
    if (beforeF1 - weekSpan.f1 > DRIFT.f1Drop) {
      reasons.push({ kind: 'f1', before: beforeF1, now: weekSpan.f1 });
      clauses.push(`F1 ${beforeF1.toFixed(2)} → ${weekSpan.f1.toFixed(2)} this week`);
    }
  }
  if (compared && beforeMae !== null && weekSpan.maeW !== null) {
    const rise = weekSpan.maeW - beforeMae;
    if (weekSpan.maeW > beforeMae * (1 + DRIFT.maeRise) && rise >= DRIFT.maeMinRiseW) {
      reasons.push({ kind: 'mae', before: beforeMae, now: weekSpan.maeW });
      clauses.push(
        `mean error ${Math.round(beforeMae)} W → ${Math.round(weekSpan.maeW)} W this week`,
      );
    }
  }
  if (
    weekOk &&
    weekSpan.energyTrueKwh >= DRIFT.minEnergyKwh &&
    weekSpan.energyError !== null &&
    Math.abs(weekSpan.energyError) > DRIFT.energyOff
  ) {
    reasons.push({
      kind: 'energy',
      before: weekSpan.energyTrueKwh,
      now: weekSpan.energyEstimatedKwh,
    });
    clauses.push(
      `${weekSpan.energyEstimatedKwh.toFixed(1)} kWh estimated this week against ${weekSpan.energyTrueKwh.toFixed(1)} kWh metered (${signed(weekSpan.energyError)})`,
    );
  }
  const status = reasons.length > 0 ? 'drifted' : compared ? 'ok' : 'too_little_data';
  return {
    status,
    before: { f1: beforeF1, maeW: beforeMae, minutes: before.n },
    reasons,
    message: reasons.length > 0 ? `The ${name} estimate has drifted: ${clauses.join('; ')}.` : null,
  };
}

export class SubmeterScorecardService {
  constructor(
    private readonly deps: {
      timeseries: TimeSeriesStore;
      metadata: MetadataStore;
      engine: InferenceEngine;
      now?: () => number;
    },
  ) {}

  /**
   * The scorecard of every appliance the building has a sub-meter for (in name order), over the
   * last 7 and 30 days of the building's time, ending now (to the minute).
   */
  async scorecard(
    building: Pick<Building, 'id' | 'modelRef' | 'timezone'>,
  ): Promise<BuildingScorecard> {
    const { timeseries, metadata, engine } = this.deps;
    const end = Math.floor((this.deps.now ?? Date.now)() / MIN) * MIN;
    const bound = [
      ...new Set(
        (await metadata.listSources(building.id))
          .filter((s) => s.role === 'submeter' && s.appliance !== null)
          .map((s) => s.appliance!),
      ),
    ].sort();
    const model = await buildingAppliances(engine, metadata, building);
    if (bound.length === 0) return { model: model.model, endMs: end, appliances: [] };
    const start30 = Math.floor(daysBefore(end, 30, building.timezone) / MIN) * MIN;
    const start7 = Math.floor(daysBefore(end, 7, building.timezone) / MIN) * MIN;
    const n = Math.round((end - start30) / MIN);
    const weekFrom = Math.round((start7 - start30) / MIN);
    const buckets = await timeseries.readBuckets(building.id, start30, end, PERIOD_S);
    const heads = new Map(model.appliances.map((a) => [a.name, a]));
    const out: ApplianceScorecard[] = [];
    for (const appliance of bound) {
      const head = heads.get(appliance);
      const spec = findAppliance(appliance);
      const label = head?.label ?? spec?.label ?? appliance;
      const threshold = head?.onProbThreshold ?? 0.5;
      const truth = new Float32Array(n).fill(Number.NaN);
      const estimate = new Float32Array(n).fill(Number.NaN);
      const onPred = new Uint8Array(n);
      for (const r of await timeseries.readSubmeterBuckets(
        building.id,
        appliance,
        start30,
        end,
        PERIOD_S,
      ))
        truth[Math.round((r.ts - start30) / MIN)] = r.powerW;
      for (const b of buckets) {
        const e = b.appliances[appliance];
        if (!e) continue;
        const i = Math.round((b.ts - start30) / MIN);
        estimate[i] = e.powerW;
        onPred[i] = e.onProb >= threshold ? 1 : 0;
      }
      // A name without a rule (an owner's found device) gets MAE and energy, no F1.
      const onTrue = spec ? onOffStates(truth, PERIOD_S, spec) : new Uint8Array(n);
      const inBefore = new Uint8Array(n);
      const inWeek = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const both = Number.isFinite(truth[i]!) && Number.isFinite(estimate[i]!);
        if (both) (i < weekFrom ? inBefore : inWeek)[i] = 1;
      }
      const before = accumulate(emptyTotals(), truth, estimate, onTrue, onPred, inBefore);
      const week = accumulate(emptyTotals(), truth, estimate, onTrue, onPred, inWeek);
      const all = mergeTotals(mergeTotals(emptyTotals(), before), week);
      const last7Days = span(week, start7, end, spec !== undefined);
      out.push({
        appliance,
        label,
        onProbThreshold: threshold,
        last7Days,
        last30Days: span(all, start30, end, spec !== undefined),
        drift: judge(week, last7Days, before, spec !== undefined, sentenceName(appliance, label)),
      });
    }
    return { model: model.model, endMs: end, appliances: out };
  }
}
