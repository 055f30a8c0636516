/**
 * Load events in the power a model does not explain (issue 13.1, the first half of device
 * discovery; `device.clusters.ts` groups the runs found here into devices).
 *
 * 1. Residual: mains minus the sum of the model's per-appliance estimates, minute by minute (a
 *    minute without a mains reading is a gap; a missing estimate counts as 0 W). The always-on
 *    baseload is the residual's 5th percentile; it is reported, and it cancels out of every
 *    step, so it never becomes a device of its own.
 * 2. Edges: the minute-to-minute differences, grouped while they keep their sign and stay above
 *    a third of the step threshold (a load switched on mid-minute shows as two partial steps
 *    at 60 s), kept when the group's total reaches the threshold: the larger of `minStepW` and
 *    four times the robust noise of the differences (1.4826 x their median absolute value).
 * 3. Runs: each falling edge closes the most recent open rising edge of about its size (within
 *    `pairTolerance` of the larger, and no longer ago than `maxRunMinutes`), so a load switched
 *    on and off while another runs (a kettle during a fridge cycle) pairs with its own edges. A
 *    gap in the readings closes nothing: rising edges still open there are dropped.
 *
 * Pure and deterministic: the same input gives the same runs in the same order.
 */
import { NilmError } from '../errors.js';

/** A building's mains and what the model explains of it over one span, on a regular grid. */
export interface DiscoveryInput {
  /** Epoch ms of sample 0. */
  startMs: number;
  /** Seconds between samples (the product stores 60 s minutes). */
  periodS: number;
  /** Whole-house power, W; NaN where there is no reading. */
  mains: ArrayLike<number>;
  /**
   * Sum of the model's per-appliance estimates at each sample, W (same length as `mains`);
   * absent or NaN: nothing explained there.
   */
  explained?: ArrayLike<number>;
}

/** Settings of event detection; every field has a default (`EVENT_DEFAULTS`). */
export interface EventOptions {
  /** Smallest step, W, that can start or end a run (raised above the noise when it is higher). */
  minStepW: number;
  /** Rising and falling step of one run differ by at most this share of the larger. */
  pairTolerance: number;
  /** A rising edge older than this (minutes) is no longer open for a falling one. */
  maxRunMinutes: number;
}

export const EVENT_DEFAULTS: Readonly<EventOptions> = {
  minStepW: 30,
  pairTolerance: 0.3,
  maxRunMinutes: 360,
};

/** One on-off run of some load: samples [start, end) of the input, and its power step. */
export interface LoadRun {
  /** Index of the first sample with the load on. */
  start: number;
  /** Index of the first sample with it off again (exclusive end). */
  end: number;
  /** Size of the step, W: the mean of its rising and falling edge. */
  stepW: number;
  /** Mean residual over the run above the residual just before it, W (never below 0). */
  meanW: number;
}

/** The residual and the runs found in it. */
export interface LoadEvents {
  residual: Float64Array;
  /** 5th percentile of the residual over the samples with readings, W (0 when none). */
  baseloadW: number;
  /** Step threshold used, W. */
  thresholdW: number;
  /** Samples with a mains reading. */
  validSamples: number;
  /** Runs, ordered by start, then end. */
  runs: LoadRun[];
}

interface Edge {
  /** Rising: first sample at the new level; falling: first sample back down. */
  at: number;
  deltaW: number;
}

/** Mains minus what the model explains; NaN where mains has no reading. */
export function residualPower(input: DiscoveryInput): Float64Array {
  const { mains, explained } = input;
  if (!(input.periodS > 0) || !Number.isFinite(input.startMs)) {
    throw new NilmError(
      'CONFIG_INVALID',
      `discovery needs a positive sample period and a finite start (got periodS=${input.periodS}, startMs=${input.startMs})`,
    );
  }
  if (explained && explained.length !== mains.length) {
    throw new NilmError(
      'DATA_MISMATCH',
      `the estimates have ${explained.length} samples but mains has ${mains.length}; pass them on the same grid`,
    );
  }
  const out = new Float64Array(mains.length);
  for (let i = 0; i < mains.length; i++) {
    const m = mains[i];
    const e = explained ? explained[i] : 0;
    out[i] = Number.isFinite(m) ? m - (Number.isFinite(e) ? e : 0) : NaN;
  }
  return out;
}

/** The q-quantile (0..1) of finite values, by the nearest-rank rule; 0 when there are none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const xs: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) xs.push(values[i]);
  if (xs.length === 0) return 0;
  xs.sort((a, b) => a - b);
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))];
}

function detectEdges(r: Float64Array, thresholdW: number): Edge[] {
  const edges: Edge[] = [];
  const part = thresholdW / 3;
  let first = -1;
  let last = -1;
  let sum = 0;
  const close = (): void => {
    if (first >= 0 && Math.abs(sum) >= thresholdW)
      edges.push({ at: sum > 0 ? first : last, deltaW: sum });
    first = -1;
    sum = 0;
  };
  for (let i = 1; i < r.length; i++) {
    const d = r[i] - r[i - 1];
    if (!Number.isFinite(d) || Math.abs(d) < part) {
      close();
      continue;
    }
    if (first >= 0 && Math.sign(d) !== Math.sign(sum)) close();
    if (first < 0) first = i;
    last = i;
    sum += d;
  }
  close();
  return edges;
}

function pairEdges(
  r: Float64Array,
  edges: readonly Edge[],
  o: EventOptions,
  periodS: number,
): LoadRun[] {
  const maxSamples = (o.maxRunMinutes * 60) / periodS;
  const runs: LoadRun[] = [];
  let open: Edge[] = [];
  let lastGapBefore = 0;
  let gapScan = 0;
  for (const e of edges) {
    // A gap in the readings since the previous edge closes nothing: drop what is open.
    for (; gapScan < e.at; gapScan++) if (!Number.isFinite(r[gapScan])) lastGapBefore = gapScan;
    if (open.length > 0 && open[open.length - 1].at <= lastGapBefore)
      open = open.filter((x) => x.at > lastGapBefore);
    open = open.filter((x) => e.at - x.at <= maxSamples);
    if (e.deltaW > 0) {
      open.push(e);
      continue;
    }
    const fall = -e.deltaW;
    for (let k = open.length - 1; k >= 0; k--) {
      const rise = open[k].deltaW;
      if (Math.abs(rise - fall) > o.pairTolerance * Math.max(rise, fall)) continue;
      const start = open[k].at;
      open.splice(k, 1);
      const before = start > 0 && Number.isFinite(r[start - 1]) ? r[start - 1] : r[start] - rise;
      let sum = 0;
      for (let i = start; i < e.at; i++) sum += r[i];
      runs.push({
        start,
        end: e.at,
        stepW: (rise + fall) / 2,
        meanW: Math.max(0, sum / (e.at - start) - before),
      });
      break;
    }
  }
  return runs.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Residual, baseload and on-off runs of the loads the model does not explain (see the file's comment). */
export function detectLoadEvents(
  input: DiscoveryInput,
  options: Partial<EventOptions> = {},
): LoadEvents {
  const o: EventOptions = { ...EVENT_DEFAULTS, ...options };
  const residual = residualPower(input);
  let validSamples = 0;
  for (const v of residual) if (Number.isFinite(v)) validSamples++;
  const diffs: number[] = [];
  for (let i = 1; i < residual.length; i++) {
    const d = residual[i] - residual[i - 1];
    if (Number.isFinite(d)) diffs.push(Math.abs(d));
  }
  const noise = 1.4826 * quantile(diffs, 0.5);
  const thresholdW = Math.max(o.minStepW, 4 * noise);
  const runs = pairEdges(residual, detectEdges(residual, thresholdW), o, input.periodS);
  return {
    residual,
    baseloadW: quantile(residual, 0.05),
    thresholdW,
    validSamples,
    runs,
  };
}
