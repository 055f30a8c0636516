/**
 * A synthetic home for fine-tune and head-training tests: 1-minute mains of a 150 W base with
 * ±10 W of seeded noise, plus one appliance that cycles on a fixed period (a fridge compressor,
 * a pond pump), sub-metered under its name. Deterministic for its arguments.
 */
import type { Series } from '../data/series.js';

/** The cycling appliance: its name, power when on, period and on-time in minutes, phase per seed. */
export interface CyclingLoad {
  name: string;
  watts: number;
  everyMin: number;
  onMin: number;
  /** Minutes the cycle shifts per unit of seed, so homes of different seeds are out of step. */
  phasePerSeed: number;
}

/** The default load: a 120 W fridge compressor, on 15 of every 40 minutes. */
export const FRIDGE: CyclingLoad = {
  name: 'fridge',
  watts: 120,
  everyMin: 40,
  onMin: 15,
  phasePerSeed: 1,
};

/** `days` of a home starting 2026-01-01 UTC, labelled `source`. */
export function syntheticHome(
  days: number,
  seed: number,
  source: string,
  load: CyclingLoad = FRIDGE,
): Series {
  const n = days * 1440;
  const mains = new Float32Array(n);
  const power = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    power[i] = (i + seed * load.phasePerSeed) % load.everyMin < load.onMin ? load.watts : 0;
    mains[i] = 150 + ((x / 2 ** 31) * 20 - 10) + power[i]!;
  }
  return {
    startMs: Date.UTC(2026, 0, 1),
    periodS: 60,
    mains,
    appliances: { [load.name]: power },
    source,
  };
}
