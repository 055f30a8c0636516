/**
 * The baselines a model card compares against, fitted and scored one way for both callers:
 * `nilm train` (the card's `test.baselines`) and `nilm eval --model baseline:* --config <file>`.
 * Both fit on the config's training split (the data the model trained on, without what was kept
 * back for validation) and only for the model's heads, so the card and the CLI print the same
 * numbers. `nilm eval --train <glob>` fits on whatever the glob holds (for example a whole house,
 * validation part included) and so may differ: docs/model.md, "Baselines on the card".
 */
import type { Series } from '../data/series.js';
import { CoBaseline } from '../models/co.baseline.js';
import type { Disaggregator } from '../models/disaggregator.js';
import { MeanBaseline } from '../models/mean.baseline.js';
import { evaluate, type HouseScores } from './evaluate.js';

/** The baselines every card is scored against, in the card's order. */
export const CARD_BASELINES = ['baseline:mean', 'baseline:co'] as const;
export type BaselineKind = (typeof CARD_BASELINES)[number];

/**
 * A baseline of `kind` fitted on `train` for the model's `heads` (those the training data
 * meters; a head with no sub-meter anywhere in `train` is left out, as it cannot be fitted).
 */
export async function fitBaselineForHeads(
  kind: BaselineKind,
  train: readonly Series[],
  heads: readonly string[],
  log?: (message: string) => void,
): Promise<Disaggregator> {
  const present = new Set(train.flatMap((s) => Object.keys(s.appliances)));
  const model = kind === 'baseline:co' ? new CoBaseline() : new MeanBaseline();
  await model.fit(train, { appliances: heads.filter((a) => present.has(a)), log });
  return model;
}

/** What a card keeps of the baselines: per kind its mean scores, per kind and appliance F1 / MAE. */
export interface BaselineScores {
  /** `baseline:co` -> mean mae_w, f1, sae, nde; `baseline:co:kettle` -> mae_w, f1. */
  baselines: Record<string, Record<string, number | null>>;
  /** Per test series (in input order), per kind: that house's per-appliance scores. */
  houses: Array<Record<BaselineKind, HouseScores['appliances']>>;
}

/** Fit each card baseline on `train` for `heads` and score it on `test` (the card's numbers). */
export async function scoreBaselines(
  train: readonly Series[],
  test: readonly Series[],
  heads: readonly string[],
  log?: (message: string) => void,
): Promise<BaselineScores> {
  const baselines: BaselineScores['baselines'] = {};
  const houses: BaselineScores['houses'] = test.map(
    () => ({}) as Record<BaselineKind, HouseScores['appliances']>,
  );
  for (const kind of CARD_BASELINES) {
    const model = await fitBaselineForHeads(kind, train, heads, log);
    const r = await evaluate(model, test, kind);
    r.houses.forEach((h, i) => (houses[i]![kind] = h.appliances));
    baselines[kind] = { mae_w: r.mean.mae_w, f1: r.mean.f1, sae: r.mean.sae, nde: r.mean.nde };
    for (const [a, s] of Object.entries(r.appliances))
      baselines[`${kind}:${a}`] = { mae_w: s.mae_w, f1: s.f1 };
  }
  return { baselines, houses };
}
