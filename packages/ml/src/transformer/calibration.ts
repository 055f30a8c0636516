/**
 * Post-training calibration on validation data, so that what the model reports is honest:
 * - Platt scaling (Platt 1999) of each head's on/off logit: the positively weighted training
 *   loss pushes raw probabilities up, p = sigmoid(a * logit + b) undoes that;
 * - the decision threshold on the calibrated probability that maximises F1 on validation;
 * - an uncertainty band: per bin of on-probability, the 90th percentile of the absolute power
 *   error. Its coverage on a held-out house is measured by `nilm eval` (band_coverage).
 */

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Fit p = sigmoid(a x + b) to labels y by damped Newton steps on the log-loss, with a weak
 * prior pulling (a, b) towards (1, 0). When validation data is (nearly) separable the maximum
 * likelihood slope is infinite; the prior, a step cap and a bounded slope keep the result a
 * usable probability instead of a step function.
 */
export function plattFit(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  iterations = 100,
): { scale: number; offset: number } {
  let a = 1;
  let b = 0;
  const n = x.length;
  if (n === 0) return { scale: 1, offset: 0 };
  const l2 = 1e-3 * n;
  for (let it = 0; it < iterations; it++) {
    let ga = l2 * (a - 1);
    let gb = l2 * b;
    let haa = l2;
    let hab = 0;
    let hbb = l2;
    for (let i = 0; i < n; i++) {
      const p = sigmoid(a * x[i]! + b);
      const r = p - y[i]!;
      const w = Math.max(p * (1 - p), 1e-12);
      ga += r * x[i]!;
      gb += r;
      haa += w * x[i]! * x[i]!;
      hab += w * x[i]!;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-12)) break;
    let da = (hbb * ga - hab * gb) / det;
    let db = (haa * gb - hab * ga) / det;
    const step = Math.max(Math.abs(da), Math.abs(db));
    if (step > 1) {
      da /= step;
      db /= step;
    }
    a = Math.min(MAX_SCALE, Math.max(MIN_SCALE, a - da));
    b -= db;
    if (Math.abs(da) < 1e-7 && Math.abs(db) < 1e-7) break;
  }
  return { scale: a, offset: b };
}

const MIN_SCALE = 0.05;
const MAX_SCALE = 10;

/** The threshold on p (0.05 .. 0.95, step 0.01) with the best F1 against y; 0.5 when y has no positive. */
export function bestF1Threshold(
  p: ArrayLike<number>,
  y: ArrayLike<number>,
): { threshold: number; f1: number } {
  let best = { threshold: 0.5, f1: -1 };
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i]! ? 1 : 0;
  if (positives === 0) return { threshold: 0.5, f1: 0 };
  // Histogram the probabilities once; every threshold's counts are then prefix sums.
  const bins = 100;
  const pos = new Float64Array(bins + 1);
  const all = new Float64Array(bins + 1);
  for (let i = 0; i < p.length; i++) {
    const k = Math.min(bins, Math.max(0, Math.floor(p[i]! * bins)));
    all[k]++;
    if (y[i]) pos[k]++;
  }
  for (let t = 5; t <= 95; t++) {
    let tp = 0;
    let predicted = 0;
    for (let k = t; k <= bins; k++) {
      tp += pos[k]!;
      predicted += all[k]!;
    }
    const f1 = (2 * tp) / (predicted + positives);
    if (f1 > best.f1) best = { threshold: t / bins, f1 };
  }
  return best;
}

/** 90th percentile of |error| per bin of p (bins given by ascending edges starting at 0). */
export function residualBand(
  p: ArrayLike<number>,
  absErr: ArrayLike<number>,
  edges: readonly number[],
): number[] {
  const groups: number[][] = edges.map(() => []);
  for (let i = 0; i < p.length; i++) {
    let bin = 0;
    while (bin < edges.length - 1 && p[i]! >= edges[bin + 1]!) bin++;
    groups[bin]!.push(absErr[i]!);
  }
  let last = 0;
  return groups.map((g) => {
    if (g.length === 0) return last;
    g.sort((u, v) => u - v);
    last = Math.round(g[Math.min(g.length - 1, Math.floor(0.9 * g.length))]! * 10) / 10;
    return last;
  });
}

export const BAND_EDGES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** A monotone map of probabilities: piecewise linear through (x, y) knots, x ascending. */
export interface IsotonicMap {
  x: number[];
  y: number[];
}

/**
 * Isotonic regression (pool adjacent violators; Zadrozny & Elkan 2002, "Transforming classifier
 * scores into accurate multiclass probability estimates") of labels y on probabilities p,
 * on `bins` equal-width bins of p (weighted by their counts), returned as knots at the bins'
 * mean p. Fewer than `minCount` samples give the identity map.
 */
export function isotonicFit(
  p: ArrayLike<number>,
  y: ArrayLike<number>,
  bins = 20,
  minCount = 50,
): IsotonicMap {
  if (p.length < minCount) return { x: [0, 1], y: [0, 1] };
  const n = new Float64Array(bins);
  const sp = new Float64Array(bins);
  const sy = new Float64Array(bins);
  for (let i = 0; i < p.length; i++) {
    const k = Math.min(bins - 1, Math.max(0, Math.floor(p[i]! * bins)));
    n[k]++;
    sp[k] += p[i]!;
    sy[k] += y[i] ? 1 : 0;
  }
  // Blocks of (weight, mean p, mean y), merged while a block's y is below its predecessor's.
  const blocks: Array<{ w: number; p: number; y: number }> = [];
  for (let k = 0; k < bins; k++) {
    if (n[k] === 0) continue;
    blocks.push({ w: n[k]!, p: sp[k]! / n[k]!, y: sy[k]! / n[k]! });
    while (blocks.length > 1 && blocks[blocks.length - 2]!.y >= blocks[blocks.length - 1]!.y) {
      const b = blocks.pop()!;
      const a = blocks.pop()!;
      const w = a.w + b.w;
      blocks.push({ w, p: (a.p * a.w + b.p * b.w) / w, y: (a.y * a.w + b.y * b.w) / w });
    }
  }
  const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;
  if (blocks.length === 1) return { x: [0, 1], y: [r4(blocks[0]!.y), r4(blocks[0]!.y)] };
  return { x: blocks.map((b) => r4(b.p)), y: blocks.map((b) => r4(b.y)) };
}

/** Apply an {@link IsotonicMap}: linear between knots, the end values beyond them. */
export function applyIsotonic(m: IsotonicMap, p: number): number {
  const { x, y } = m;
  if (!(p > x[0]!)) return y[0]!;
  const last = x.length - 1;
  if (p >= x[last]!) return y[last]!;
  let k = 1;
  while (x[k]! < p) k++;
  const t = (p - x[k - 1]!) / (x[k]! - x[k - 1]! || 1);
  return y[k - 1]! + t * (y[k]! - y[k - 1]!);
}

/**
 * Power levels for conditional calibration, as fractions of a head's power scale: the estimated
 * power decides the level (a kettle-sized step and a 300 W blip are different questions).
 */
export const LEVEL_FRACTIONS = [0, 0.05, 0.25, 0.6];

/** Index of the level of `powerW` given ascending level edges in W. */
export function levelOf(edgesW: readonly number[], powerW: number): number {
  let k = 0;
  while (k < edgesW.length - 1 && powerW >= edgesW[k + 1]!) k++;
  return k;
}

/**
 * The band half-width per bin of p, meant to hold the truth on on-minutes too (what a household
 * asks about), conditionally per bin:
 * - the 90th percentile of |error| over all samples of the bin;
 * - widened to the 90th percentile over the bin's on-samples where it has at least `minOn` of
 *   them (however small their share: a percentile over all samples undercounts the on-minutes);
 * - in a bin wholly below the decision `threshold` (the method says off there) widened to
 *   `missW`, the head's power scale: the on-minutes the method misses are off by the
 *   appliance's own power, which validation houses may draw less of than the next house.
 * The inference code caps the band at the mains, so a wide band stays within what was drawn.
 */
export function residualBandOn(
  p: ArrayLike<number>,
  absErr: ArrayLike<number>,
  on: ArrayLike<number>,
  edges: readonly number[],
  opts: { minOn?: number; threshold?: number; missW?: number } = {},
): number[] {
  const minOn = opts.minOn ?? 30;
  const all = residualBand(p, absErr, edges);
  const onP: number[] = [];
  const onE: number[] = [];
  const onCount = new Float64Array(edges.length);
  for (let i = 0; i < p.length; i++) {
    if (!on[i]) continue;
    onCount[levelOf(edges, p[i]!)]++;
    onP.push(p[i]!);
    onE.push(absErr[i]!);
  }
  const onBand = residualBand(onP, onE, edges);
  return all.map((q, k) => {
    let w = onCount[k]! >= minOn ? Math.max(q, onBand[k]!) : q;
    const below = k < edges.length - 1 && edges[k + 1]! <= (opts.threshold ?? -Infinity);
    if (below && opts.missW !== undefined) w = Math.max(w, opts.missW);
    return w;
  });
}
