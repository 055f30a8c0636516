/**
 * Synthetic mixing: real mains of a house plus loads it does not have, with labels. Rare and big
 * loads (tumble dryer, electric shower, EV charger...) get enough examples this way, in real
 * background noise (Kelly & Knottenbelt 2015, "Neural NILM", trained half of their batches on
 * synthetic aggregates of real activations placed at random; here the background is real mains; Klemenjak et al. 2020, "A synthetic energy dataset for non-intrusive
 * load monitoring in households", Scientific Data 7:108, built whole houses from real
 * single-appliance recordings).
 *
 * The contract: the mixed series' mains is the house's mains plus the added power, sample by
 * sample, and its new appliance channel is exactly the added power (0 elsewhere, NaN where the
 * mains is missing). Nothing is added where the mains is missing.
 *
 * Labels are only right when the house really lacks the appliance: a house without a
 * sub-meter for it may still have one behind the meter (a REFIT house's appliance list is what
 * was metered, not all it owns). Pick houses whose survey says they lack it, or train such
 * houses with that appliance's loss masked. A house with a sub-meter for it is refused.
 */
import { NilmError } from '../errors.js';
import type { Activation } from './activations.extractor.js';
import { applianceSpec } from './appliances.js';
import type { Series } from './series.js';
import { SeededRandom } from './window.sampler.js';

export interface MixOptions {
  /** PRNG seed: the same seed, house and activations give the same result. */
  seed: number;
  /** How many activations to add (drawn from the pool with replacement). */
  count: number;
  /** Samples kept free between two added activations (default 0: they may touch, not overlap). */
  gapSamples?: number;
  /** Random start times tried per activation before giving up on it (default 200). */
  tries?: number;
  /**
   * Amplitude augmentation: each placed activation is multiplied by a factor drawn uniformly
   * from [lo, hi] (default: none, the activation as recorded). Models of one appliance differ
   * in rated power (a domestic tumble dryer's heater, for one, is rated from about 1.5 to 3.5 kW),
   * which a pool of one or two recorded devices does not show.
   */
  scale?: readonly [number, number];
}

/** Where each added activation went. */
export interface Placement {
  /** Index into the activation pool. */
  activation: number;
  /** Sample index of its first sample in the series. */
  start: number;
  /** The amplitude factor it was added with (1 without `scale`). */
  factor: number;
}

export interface MixResult {
  series: Series;
  /** In the order added; fewer than `count` when the house had no room left. */
  placed: Placement[];
}

/**
 * Add `count` activations of one appliance at seeded random times into `base`. Each lands
 * wholly inside a stretch of present mains and does not overlap another added one.
 */
export function mixActivations(
  base: Series,
  activations: readonly Activation[],
  opts: MixOptions,
): MixResult {
  if (activations.length === 0)
    throw new NilmError('CONFIG_INVALID', 'no activations to mix: the pool is empty');
  const appliance = applianceSpec(activations[0]!.appliance).name;
  for (const a of activations) {
    if (applianceSpec(a.appliance).name !== appliance)
      throw new NilmError(
        'CONFIG_INVALID',
        `activations of "${a.appliance}" and "${appliance}" in one pool; mix one appliance at a time`,
      );
    if (a.periodS !== base.periodS)
      throw new NilmError(
        'DATA_MISMATCH',
        `activation from ${a.source} is at ${a.periodS} s, the house at ${base.periodS} s; resample first`,
      );
  }
  refuseMetered(base, appliance);
  const n = base.mains.length;
  // invalid[i] = number of missing mains samples before i, so a stretch is checked in O(1).
  const invalid = new Int32Array(n + 1);
  for (let i = 0; i < n; i++)
    invalid[i + 1] = invalid[i]! + (Number.isFinite(base.mains[i]) ? 0 : 1);
  const taken = new Uint8Array(n);
  const gap = opts.gapSamples ?? 0;
  const tries = opts.tries ?? 200;
  const scale = opts.scale;
  if (scale && !(scale[0] > 0 && scale[1] >= scale[0] && Number.isFinite(scale[1])))
    throw new NilmError(
      'CONFIG_INVALID',
      `scale must be [lo, hi] with 0 < lo <= hi, got [${scale.join(', ')}]`,
    );
  const rng = new SeededRandom(opts.seed);
  const added = new Float32Array(n);
  const placed: Placement[] = [];
  for (let k = 0; k < opts.count; k++) {
    const which = rng.below(activations.length);
    // Drawn only when asked, so that mixes without it stay exactly as they were.
    const factor = scale ? scale[0] + (scale[1] - scale[0]) * rng.next() : 1;
    const p = activations[which]!.power;
    const len = p.length;
    if (len > n) continue;
    for (let t = 0; t < tries; t++) {
      const start = rng.below(n - len + 1);
      if (invalid[start + len]! - invalid[start]! > 0) continue;
      let free = true;
      for (let i = start; free && i < start + len; i++) free = !taken[i];
      if (!free) continue;
      for (let i = 0; i < len; i++) added[start + i] = added[start + i]! + p[i]! * factor;
      taken.fill(1, Math.max(0, start - gap), Math.min(n, start + len + gap));
      placed.push({ activation: which, start, factor });
      break;
    }
  }
  const source = `${base.source} + ${placed.length} ${appliance} activation(s), seed ${opts.seed}`;
  return { series: withLoad(base, appliance, added, source), placed };
}

/**
 * Add a whole generated channel (a parametric generator's output, on the house's grid) to a
 * house that lacks the appliance: mains + power, and the power as the appliance's label.
 */
export function addLoad(
  base: Series,
  appliance: string,
  power: Float32Array,
  source = `${base.source} + synthetic ${appliance}`,
): Series {
  const name = applianceSpec(appliance).name;
  if (power.length !== base.mains.length)
    throw new NilmError(
      'DATA_MISMATCH',
      `generated ${name} has ${power.length} samples, the house ${base.mains.length}`,
    );
  refuseMetered(base, name);
  return withLoad(base, name, power, source);
}

function refuseMetered(base: Series, appliance: string): void {
  if (base.appliances[appliance])
    throw new NilmError(
      'CONFIG_INVALID',
      `${base.source} already has a sub-meter for ${appliance}; mix ${appliance} into houses that lack it`,
    );
}

function withLoad(base: Series, appliance: string, power: Float32Array, source: string): Series {
  const n = base.mains.length;
  const mains = new Float32Array(n);
  const label = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const m = base.mains[i]!;
    if (Number.isFinite(m)) {
      label[i] = power[i]!;
      mains[i] = m + power[i]!;
    } else {
      label[i] = NaN;
      mains[i] = NaN;
    }
  }
  return {
    startMs: base.startMs,
    periodS: base.periodS,
    mains,
    appliances: { ...base.appliances, [appliance]: label },
    source,
  };
}
