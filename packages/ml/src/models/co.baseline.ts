/**
 * Combinatorial optimisation (Hart 1992, "Nonintrusive appliance load monitoring"; as in
 * NILMTK's `CombinatorialOptimisation`). Each appliance is reduced to a few power states by
 * k-means over its training power; at every sample the combination of states whose sum plus
 * the house's baseload is closest to the mains is chosen.
 *
 * As in NILMTK: at most 3 states per appliance chosen by silhouette score, an off state (0 W)
 * always present, and a baseload ("vampire power") equal to the minimum mains, which we take
 * per day rather than per chunk so that it follows the house over a long series.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NilmError } from '../errors.js';
import type { Series } from '../data/series.js';
import type { Disaggregation, Disaggregator, FitOptions } from './disaggregator.js';
import { fitAppliances } from './appliances.fit.js';

export interface CoModelFile {
  kind: 'baseline:co';
  version: 1;
  periodS: number;
  /** Power states in W per appliance, ascending, first is 0 (off). */
  states: Record<string, number[]>;
  /** What the states were learned from. */
  trainedOn?: string[];
}

const MAX_STATES = 3;
const MAX_POINTS = 20_000;
const SILHOUETTE_POINTS = 1_500;

/**
 * Deterministic 1-D k-means (Lloyd) with farthest-first initialisation (quantiles would put
 * every centroid on 0 W for an appliance that is off most of the time); sorted centroids.
 */
export function kmeans1d(values: Float64Array, k: number, iterations = 50): number[] {
  const sorted = Float64Array.from(values).sort();
  let c = [sorted[0]!];
  while (c.length < k) {
    let far = sorted[0]!;
    let farD = -1;
    for (const v of sorted) {
      const d = Math.min(...c.map((x) => Math.abs(v - x)));
      if (d > farD) {
        farD = d;
        far = v;
      }
    }
    c.push(far);
  }
  for (let it = 0; it < iterations; it++) {
    const sums = new Float64Array(k);
    const counts = new Float64Array(k);
    for (const v of sorted) {
      let best = 0;
      for (let j = 1; j < k; j++) if (Math.abs(v - c[j]!) < Math.abs(v - c[best]!)) best = j;
      sums[best] += v;
      counts[best]++;
    }
    const next = c.map((old, j) => (counts[j]! > 0 ? sums[j]! / counts[j]! : old));
    if (next.every((v, j) => Math.abs(v - c[j]!) < 1e-6)) break;
    c = next;
  }
  return [...c].sort((a, b) => a - b);
}

/** Mean silhouette score (Rousseeuw 1987) of a 1-D clustering; -1 when degenerate. */
export function silhouette(values: Float64Array, centroids: number[]): number {
  const label = (v: number): number => {
    let best = 0;
    for (let j = 1; j < centroids.length; j++)
      if (Math.abs(v - centroids[j]!) < Math.abs(v - centroids[best]!)) best = j;
    return best;
  };
  const labels = Array.from(values, label);
  const k = centroids.length;
  if (new Set(labels).size < 2) return -1;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const sum = new Float64Array(k);
    const cnt = new Float64Array(k);
    for (let j = 0; j < values.length; j++) {
      if (i === j) continue;
      sum[labels[j]!] += Math.abs(values[i]! - values[j]!);
      cnt[labels[j]!]++;
    }
    const own = labels[i]!;
    if (cnt[own] === 0) continue;
    const a = sum[own]! / cnt[own]!;
    let b = Infinity;
    for (let j = 0; j < k; j++) if (j !== own && cnt[j]! > 0) b = Math.min(b, sum[j]! / cnt[j]!);
    total += (b - a) / Math.max(a, b);
  }
  return total / values.length;
}

/** Evenly strided subsample (deterministic). */
function subsample(values: Float64Array, max: number): Float64Array {
  if (values.length <= max) return values;
  const out = new Float64Array(max);
  const step = values.length / max;
  for (let i = 0; i < max; i++) out[i] = values[Math.floor(i * step)]!;
  return out;
}

/** Power states of one appliance from its training samples. */
export function learnStates(power: Float64Array): number[] {
  if (power.length === 0) return [0];
  const pts = subsample(power, MAX_POINTS);
  const probe = subsample(pts, SILHOUETTE_POINTS);
  let best: number[] = kmeans1d(pts, 2);
  let bestScore = silhouette(probe, best);
  for (let k = 3; k <= MAX_STATES; k++) {
    const c = kmeans1d(pts, k);
    const score = silhouette(probe, c);
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  // The lowest cluster is the appliance's off/standby state: make it exactly 0 as NILMTK does.
  const states = [0, ...best.slice(1).filter((v) => v > 0)];
  return [...new Set(states.map((v) => Math.round(v * 10) / 10))].sort((a, b) => a - b);
}

export class CoBaseline implements Disaggregator {
  readonly kind = 'baseline:co';
  periodS: number;
  private states: Record<string, number[]>;
  private trainedOn: string[];

  constructor(periodS = 60, states: Record<string, number[]> = {}, trainedOn: string[] = []) {
    this.periodS = periodS;
    this.states = states;
    this.trainedOn = trainedOn;
  }

  get appliances(): readonly string[] {
    return Object.keys(this.states);
  }

  /** The learned states (W) per appliance. */
  get powerStates(): Readonly<Record<string, readonly number[]>> {
    return this.states;
  }

  async fit(train: readonly Series[], opts: FitOptions = {}): Promise<void> {
    const names = fitAppliances(train, opts.appliances);
    this.periodS = train[0]!.periodS;
    const states: Record<string, number[]> = {};
    for (const name of names) {
      const vals: number[] = [];
      for (const s of train) {
        const a = s.appliances[name];
        if (!a) continue;
        for (let i = 0; i < a.length; i++)
          if (Number.isFinite(s.mains[i]) && Number.isFinite(a[i])) vals.push(a[i]!);
      }
      if (vals.length === 0)
        throw new NilmError('DATA_EMPTY', `no valid training samples for "${name}"`, {
          appliance: name,
        });
      states[name] = learnStates(Float64Array.from(vals));
      opts.log?.(`co ${name}: states ${states[name]!.map((v) => v.toFixed(0)).join(' / ')} W`);
    }
    this.states = states;
    this.trainedOn = train.map((s) => s.source);
  }

  async disaggregate(series: Series): Promise<Disaggregation> {
    const names = this.appliances;
    if (names.length === 0)
      throw new NilmError('MODEL_NOT_FITTED', 'the CO baseline has not been fitted or loaded');
    // Every combination of states, with its total, sorted by total for a binary search.
    let combos: number[][] = [[]];
    for (const n of names) combos = combos.flatMap((c) => this.states[n]!.map((_, j) => [...c, j]));
    const totals = combos.map((c) => c.reduce((acc, j, a) => acc + this.states[names[a]!]![j]!, 0));
    const order = totals.map((_, i) => i).sort((a, b) => totals[a]! - totals[b]!);
    const sortedTotals = Float64Array.from(order, (i) => totals[i]!);

    const n = series.mains.length;
    const base = dailyMinimum(series);
    const out = names.map(() => new Float32Array(n));
    for (let i = 0; i < n; i++) {
      const m = series.mains[i]!;
      if (!Number.isFinite(m)) {
        for (const o of out) o[i] = NaN;
        continue;
      }
      const target = m - base[i]!;
      let lo = 0;
      let hi = sortedTotals.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sortedTotals[mid]! < target) lo = mid + 1;
        else hi = mid;
      }
      if (
        lo > 0 &&
        Math.abs(sortedTotals[lo - 1]! - target) <= Math.abs(sortedTotals[lo]! - target)
      )
        lo--;
      const combo = combos[order[lo]!]!;
      for (let a = 0; a < names.length; a++) out[a]![i] = this.states[names[a]!]![combo[a]!]!;
    }
    const appliances: Disaggregation['appliances'] = {};
    names.forEach((name, a) => (appliances[name] = { power: out[a]! }));
    return { startMs: series.startMs, periodS: series.periodS, appliances };
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const file: CoModelFile = {
      kind: 'baseline:co',
      version: 1,
      periodS: this.periodS,
      states: this.states,
      trainedOn: this.trainedOn,
    };
    await writeFile(join(dir, 'model.json'), JSON.stringify(file, null, 2) + '\n');
  }

  static fromFile(file: CoModelFile): CoBaseline {
    return new CoBaseline(file.periodS, file.states, file.trainedOn ?? []);
  }
}

/** The minimum finite mains of each UTC day, spread over that day's samples (the baseload). */
function dailyMinimum(s: Series): Float64Array {
  const n = s.mains.length;
  const out = new Float64Array(n);
  const dayMs = 86_400_000;
  let i = 0;
  while (i < n) {
    const day = Math.floor((s.startMs + i * s.periodS * 1000) / dayMs);
    let j = i;
    let min = Infinity;
    while (j < n && Math.floor((s.startMs + j * s.periodS * 1000) / dayMs) === day) {
      const m = s.mains[j]!;
      if (Number.isFinite(m) && m < min) min = m;
      j++;
    }
    out.fill(Number.isFinite(min) ? min : 0, i, j);
    i = j;
  }
  return out;
}
