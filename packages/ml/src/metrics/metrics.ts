/**
 * Disaggregation metrics as small pure functions, each with the paper it comes from. All take
 * ground truth `y` and estimate `yHat` in W on the same grid and ignore samples where the mask
 * is 0 (missing data is never scored). A metric whose denominator is zero returns null: it is
 * undefined, not 0 or 1.
 */

/** Sufficient statistics of one appliance over any number of series: metrics are computed from these. */
export interface MetricTotals {
  /** Scored samples. */
  n: number;
  sumAbsErr: number;
  sumSqErr: number;
  sumTrue: number;
  sumPred: number;
  sumTrueSq: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export function emptyTotals(): MetricTotals {
  return {
    n: 0,
    sumAbsErr: 0,
    sumSqErr: 0,
    sumTrue: 0,
    sumPred: 0,
    sumTrueSq: 0,
    tp: 0,
    fp: 0,
    fn: 0,
    tn: 0,
  };
}

/**
 * Add one series' samples to `totals`. `onTrue` / `onPred` are on/off states (1 = on) for the
 * classification metrics; `mask` marks scored samples.
 */
export function accumulate(
  totals: MetricTotals,
  y: ArrayLike<number>,
  yHat: ArrayLike<number>,
  onTrue: ArrayLike<number>,
  onPred: ArrayLike<number>,
  mask: ArrayLike<number>,
): MetricTotals {
  for (let i = 0; i < y.length; i++) {
    if (!mask[i]) continue;
    const t = y[i]!;
    const p = yHat[i]!;
    const e = p - t;
    totals.n++;
    totals.sumAbsErr += Math.abs(e);
    totals.sumSqErr += e * e;
    totals.sumTrue += t;
    totals.sumPred += p;
    totals.sumTrueSq += t * t;
    const a = onTrue[i] ? 1 : 0;
    const b = onPred[i] ? 1 : 0;
    if (a && b) totals.tp++;
    else if (b) totals.fp++;
    else if (a) totals.fn++;
    else totals.tn++;
  }
  return totals;
}

/** Merge b into a (for summing over houses). */
export function mergeTotals(a: MetricTotals, b: MetricTotals): MetricTotals {
  for (const k of Object.keys(a) as Array<keyof MetricTotals>) a[k] += b[k];
  return a;
}

const div = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** Mean absolute error in W (Kolter & Johnson 2011; NILMTK `mean_absolute_error`). */
export const mae = (t: MetricTotals): number | null => div(t.sumAbsErr, t.n);

/** Root mean squared error in W (NILMTK `rms_error_power`). */
export const rmse = (t: MetricTotals): number | null =>
  t.n === 0 ? null : Math.sqrt(t.sumSqErr / t.n);

/**
 * Signal aggregate error |sum(yHat) - sum(y)| / sum(y): relative error of the total energy
 * (Zhang et al. 2018, "Sequence-to-point learning with neural networks for NILM", eq. 10).
 */
export const sae = (t: MetricTotals): number | null => {
  const r = div(Math.abs(t.sumPred - t.sumTrue), t.sumTrue);
  return r;
};

/**
 * Normalised disaggregation error sum((y - yHat)^2) / sum(y^2) (Kolter & Jaakkola 2012;
 * Zhang et al. 2018, eq. 9). 1.0 is what predicting zero scores.
 */
export const nde = (t: MetricTotals): number | null => div(t.sumSqErr, t.sumTrueSq);

/**
 * Energy accuracy 1 - sum|yHat - y| / (2 sum(y)) (Kolter & Johnson 2011, REDD paper, "total
 * disaggregation accuracy" applied per appliance). 1 is perfect; it can go below 0.
 */
export const energyAccuracy = (t: MetricTotals): number | null => {
  const r = div(t.sumAbsErr, 2 * t.sumTrue);
  return r === null ? null : 1 - r;
};

/** Precision of on/off states, tp / (tp + fp) (Makonin & Popowich 2015, "Nonintrusive load monitoring performance evaluation"). */
export const precision = (t: MetricTotals): number | null => div(t.tp, t.tp + t.fp);

/** Recall of on/off states, tp / (tp + fn) (Makonin & Popowich 2015). */
export const recall = (t: MetricTotals): number | null => div(t.tp, t.tp + t.fn);

/**
 * F1 of on/off states, 2tp / (2tp + fp + fn) (Makonin & Popowich 2015). Written without
 * precision and recall so that it is defined (0) when the method never predicts on but the
 * appliance was on; null only when neither truth nor estimate is ever on.
 */
export const f1 = (t: MetricTotals): number | null => div(2 * t.tp, 2 * t.tp + t.fp + t.fn);

/** Energy in kWh of a sum of W samples at `periodS` seconds each. */
export const energyKwh = (sumW: number, periodS: number): number => (sumW * periodS) / 3_600_000;

/** Mean of the non-null values, or null when all are null. */
export function meanOf(values: ReadonlyArray<number | null>): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}
