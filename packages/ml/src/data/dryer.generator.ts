/**
 * Tumble dryer runs from a small physical model, as activations that join recorded ones in a
 * training mix pool (`data.mix.activations[].generated`). The shared data holds one recorded
 * dryer for training (tracebase B7E43D, a 2.0-2.5 kW heater cycling on its thermostat) and one
 * REFIT run: too narrow a picture of dryers for a head meant for the next home.
 *
 * A vented or condenser dryer (Deans 2001, "The modelling of a domestic tumble dryer", Applied
 * Thermal Engineering 21, 977-990) runs its drum motor and fan throughout and heats the air with
 * a resistive element rated about 1.8-3.4 kW:
 * - warm-up and constant-rate drying: while the load is wet, evaporation holds the exhaust below
 *   the thermostat's cut-out, so the element stays on;
 * - falling-rate drying: as the load dries the air heats up and the thermostat cycles the
 *   element (on 1-4 min, off 0.5-3 min), the drum still turning;
 * - cool-down: the element off, the drum turning 5-15 min so the load cools.
 * Each interval of constant power is put on the grid as its mean over each sample, starting at a
 * random second of the first sample (a meter averaging over a minute sees a partial first minute).
 */
import { NilmError } from '../errors.js';
import type { Activation } from './activations.extractor.js';
import { SeededRandom } from './window.sampler.js';

export interface DryerOptions {
  /** Heating element, W (uniform). Default 1800..3400. */
  heaterW?: readonly [number, number];
  /** Drum motor and fan, W (uniform). Default 120..300. */
  drumW?: readonly [number, number];
  /** Minutes of the steady (wet load) phase, of thermostat cycling, and of cool-down. */
  steadyMin?: readonly [number, number];
  cyclingMin?: readonly [number, number];
  coolMin?: readonly [number, number];
}

/** One generated run and the parameters it was drawn with. */
export interface DryerRun extends Activation {
  heaterW: number;
  drumW: number;
  /** Seconds of each phase: steady heating, thermostat cycling, cool-down. */
  phasesS: [number, number, number];
}

/**
 * `count` seeded tumble dryer runs at `periodS` (see the file comment). The same seed gives the
 * same runs.
 */
export function generateTumbleDryerRuns(
  count: number,
  periodS: number,
  seed: number,
  opts: DryerOptions = {},
): DryerRun[] {
  if (!Number.isInteger(count) || count < 0)
    throw new NilmError('CONFIG_INVALID', `count must be a whole number >= 0, got ${count}`);
  if (!(periodS > 0)) throw new NilmError('CONFIG_INVALID', `periodS must be > 0, got ${periodS}`);
  const r = new SeededRandom(seed);
  const uniform = ([lo, hi]: readonly [number, number]): number => lo + (hi - lo) * r.next();
  const runs: DryerRun[] = [];
  for (let k = 0; k < count; k++) {
    const heaterW = uniform(opts.heaterW ?? [1800, 3400]);
    const drumW = uniform(opts.drumW ?? [120, 300]);
    const steadyS = Math.round(uniform(opts.steadyMin ?? [10, 60]) * 60);
    const cyclingS = Math.round(uniform(opts.cyclingMin ?? [10, 50]) * 60);
    const coolS = Math.round(uniform(opts.coolMin ?? [5, 15]) * 60);
    // Intervals [from s, to s, W] from the run's start.
    const parts: Array<[number, number, number]> = [[0, steadyS, heaterW + drumW]];
    let t = steadyS;
    const endCycling = steadyS + cyclingS;
    while (t < endCycling) {
      const on = Math.min(endCycling - t, Math.round(uniform([60, 240])));
      parts.push([t, t + on, heaterW + drumW]);
      t += on;
      const off = Math.min(endCycling - t, Math.round(uniform([30, 180])));
      if (off > 0) parts.push([t, t + off, drumW]);
      t += off;
    }
    parts.push([t, t + coolS, drumW]);
    const offsetS = Math.floor(r.next() * periodS);
    const totalS = offsetS + t + coolS;
    const power = new Float32Array(Math.ceil(totalS / periodS));
    for (const [a, b, w] of parts) {
      const from = a + offsetS;
      const to = b + offsetS;
      for (let i = Math.floor(from / periodS); i * periodS < to; i++) {
        const lo = Math.max(from, i * periodS);
        const hi = Math.min(to, (i + 1) * periodS);
        power[i] = power[i]! + (w * (hi - lo)) / periodS;
      }
    }
    runs.push({
      appliance: 'tumble_dryer',
      periodS,
      power,
      source: `generated tumble dryer ${k + 1}, seed ${seed}`,
      startMs: 0,
      heaterW,
      drumW,
      phasesS: [steadyS, cyclingS, coolS],
    });
  }
  return runs;
}
