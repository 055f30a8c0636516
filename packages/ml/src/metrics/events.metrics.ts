/**
 * Run-level (event) scores: does the method find each run of an appliance (a kettle boil, a
 * wash cycle) as one run, and does it invent runs? Sample-level F1 cannot tell one long run
 * found in five pieces from five runs found whole; these metrics can.
 *
 * The rule (event-based precision/recall with one-to-one matching, Mesaros, Heittola & Virtanen
 * 2016, "Metrics for polyphonic sound event detection", Applied Sciences 6(6):162, sec. 3.2;
 * with an intersection criterion instead of an onset collar, as in the intersection-based
 * criteria of Bilen et al. 2020, "A framework for the robust evaluation of sound event
 * detection", ICASSP, at its loosest setting):
 * - a run is a maximal stretch of consecutive scored samples whose on/off state is 1; an
 *   unscored (masked) sample ends a run;
 * - a predicted run and a true run can match when they share at least one sample;
 * - each run matches at most one run of the other side, and the number of matched pairs is the
 *   largest possible (a true run cut into three predicted pieces gives one match and two false
 *   runs; three true runs covered by one long predicted run give one match and two misses);
 * - precision = matched / predicted runs, recall = matched / true runs,
 *   F1 = 2 matched / (predicted + true runs).
 */

/** A half-open run of samples [start, end). */
export interface Run {
  start: number;
  end: number;
}

/** Sufficient statistics of run-level scoring, summable over series. */
export interface EventTotals {
  /** True runs. */
  runsTrue: number;
  /** Predicted runs. */
  runsPred: number;
  /** Matched pairs (one-to-one). */
  matched: number;
}

export function emptyEventTotals(): EventTotals {
  return { runsTrue: 0, runsPred: 0, matched: 0 };
}

/** Runs of on samples (`states[i]` truthy) among scored samples (`mask[i]` truthy). */
export function runsOf(states: ArrayLike<number>, mask?: ArrayLike<number>): Run[] {
  const runs: Run[] = [];
  let start = -1;
  for (let i = 0; i < states.length; i++) {
    const on = !!states[i] && (mask === undefined || !!mask[i]);
    if (on && start < 0) start = i;
    else if (!on && start >= 0) {
      runs.push({ start, end: i });
      start = -1;
    }
  }
  if (start >= 0) runs.push({ start, end: states.length });
  return runs;
}

/**
 * The largest number of one-to-one pairs of overlapping runs. Both lists are sorted and
 * disjoint, so each true run overlaps a contiguous, monotonically moving range of predicted
 * runs; greedily giving each true run (in time order) the earliest overlapping predicted run
 * that is still free is then optimal (the matching of a convex bipartite graph, Glover 1967).
 */
export function matchRuns(truth: readonly Run[], pred: readonly Run[]): number {
  let matched = 0;
  let p = 0;
  for (const t of truth) {
    // Predicted runs that end before this true run starts can match no later true run either.
    while (p < pred.length && pred[p]!.end <= t.start) p++;
    if (p < pred.length && pred[p]!.start < t.end) {
      matched++;
      p++;
    }
  }
  return matched;
}

/** Add one series' runs to `totals`; `mask` marks scored samples (others end runs). */
export function accumulateEvents(
  totals: EventTotals,
  onTrue: ArrayLike<number>,
  onPred: ArrayLike<number>,
  mask: ArrayLike<number>,
): EventTotals {
  const truth = runsOf(onTrue, mask);
  const pred = runsOf(onPred, mask);
  totals.runsTrue += truth.length;
  totals.runsPred += pred.length;
  totals.matched += matchRuns(truth, pred);
  return totals;
}

const div = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** Share of predicted runs that match a true run; null when nothing was predicted. */
export const eventPrecision = (t: EventTotals): number | null => div(t.matched, t.runsPred);

/** Share of true runs that a predicted run matches; null when there were none. */
export const eventRecall = (t: EventTotals): number | null => div(t.matched, t.runsTrue);

/** 2 matched / (predicted + true runs); null only when neither side has a run. */
export const eventF1 = (t: EventTotals): number | null =>
  div(2 * t.matched, t.runsPred + t.runsTrue);
