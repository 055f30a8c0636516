/**
 * Whole-house scores: how much of the home's energy does the method explain, correctly, by
 * appliance? The household's question is not "how good is the kettle head" but "what share of
 * my bill can you name".
 *
 * explained energy = sum over samples and scored appliances of min(estimate, truth), each term
 * floored at 0: energy attributed to a named appliance that its sub-meter confirms. Over-estimates
 * earn nothing and under-estimates earn what they cover, so the sum is never more than the
 * sub-metered energy. explained share = explained energy / mains energy over the same samples.
 * (Definition of issue 10. A per-sample, mains-relative cousin of NILMTK's
 * `fraction_energy_assigned_correctly`, which compares each appliance's share of the total
 * estimated and true energy, Batra et al. 2014, "NILMTK: an open source toolkit for
 * non-intrusive load monitoring", e-Energy.)
 */

/** Sufficient statistics of the whole-house scores, summable over series. */
export interface HouseTotals {
  /** Samples counted (mains and every scored appliance's truth and estimate present). */
  n: number;
  /** Sum of mains power over those samples, W. */
  sumMains: number;
  /** Sum over samples and scored appliances of max(0, min(estimate, truth)), W. */
  sumExplained: number;
  /** Sum over samples and scored appliances of max(0, truth), W: the most that can be explained. */
  sumSubmetered: number;
}

export function emptyHouseTotals(): HouseTotals {
  return { n: 0, sumMains: 0, sumExplained: 0, sumSubmetered: 0 };
}

/**
 * Add one series to `totals`. `truths[a]` and `estimates[a]` are appliance a's sub-meter and
 * estimate in W; a sample counts only when the mains and every truth and estimate are finite,
 * so that the numerator and the denominator cover the same time.
 */
export function accumulateHouse(
  totals: HouseTotals,
  mains: ArrayLike<number>,
  truths: ReadonlyArray<ArrayLike<number>>,
  estimates: ReadonlyArray<ArrayLike<number>>,
): HouseTotals {
  if (truths.length !== estimates.length)
    throw new Error(`accumulateHouse: ${truths.length} truths but ${estimates.length} estimates`);
  for (let i = 0; i < mains.length; i++) {
    const m = mains[i]!;
    if (!Number.isFinite(m)) continue;
    let ok = true;
    for (let a = 0; ok && a < truths.length; a++)
      ok = Number.isFinite(truths[a]![i]) && Number.isFinite(estimates[a]![i]);
    if (!ok) continue;
    totals.n++;
    totals.sumMains += m;
    for (let a = 0; a < truths.length; a++) {
      const t = truths[a]![i]!;
      const p = estimates[a]![i]!;
      totals.sumExplained += Math.max(0, Math.min(t, p));
      totals.sumSubmetered += Math.max(0, t);
    }
  }
  return totals;
}

/** explained / mains energy; null when no mains energy was counted. */
export const explainedShare = (t: HouseTotals): number | null =>
  t.sumMains > 0 ? t.sumExplained / t.sumMains : null;
