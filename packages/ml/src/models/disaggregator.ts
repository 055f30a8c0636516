/**
 * The contract every disaggregation method implements (NILMTK's fit / disaggregate / save /
 * load): the classic baselines here, and the transformer. A method sees only the mains of the
 * series it disaggregates; sub-metered channels are for fitting and scoring.
 */
import type { Series } from '../data/series.js';

/** Estimates for one appliance on the input's time grid. */
export interface ApplianceEstimate {
  /** Estimated power in W; NaN where the mains was missing. */
  power: Float32Array;
  /** Probability that the appliance is on, 0..1, when the method gives one. */
  onProb?: Float32Array;
  /** The appliance counts as on where onProb >= this (default 0.5). */
  onThreshold?: number;
  /** A band around `power` (W) meant to hold the true power 90 % of the time, when calibrated. */
  lower?: Float32Array;
  upper?: Float32Array;
}

/** A method's output for one mains series. */
export interface Disaggregation {
  startMs: number;
  periodS: number;
  appliances: Record<string, ApplianceEstimate>;
}

export interface FitOptions {
  /** Canonical names of the appliances to learn; default: those present in the data. */
  appliances?: readonly string[];
  /** Progress messages for people (stderr in the CLI). */
  log?: (message: string) => void;
}

/** A trainable, persistable disaggregation method. */
export interface Disaggregator {
  /** Short identifier of the method, e.g. `baseline:mean`. */
  readonly kind: string;
  /** Appliances the method estimates, canonical names. */
  readonly appliances: readonly string[];
  /** Grid period, in seconds, that the method works at. */
  readonly periodS: number;
  /**
   * Heads that estimate several sub-metered appliances together (head -> members), so that
   * scoring sums the members' sub-meters the same way (`appliance.groups.ts`).
   */
  readonly groups?: Readonly<Record<string, readonly string[]>>;
  /** Learn from series that carry mains and sub-metered appliances. */
  fit(train: readonly Series[], opts?: FitOptions): Promise<void>;
  /** Estimate every appliance from the mains of `series` (resampled to `periodS` by the caller). */
  disaggregate(series: Series): Promise<Disaggregation>;
  /** Write the fitted method to a directory (created when missing). */
  save(dir: string): Promise<void>;
}
