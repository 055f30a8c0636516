/**
 * A synthetic home for discovery tests: a 150 W baseload with seeded noise, a 100 W compressor
 * on for 20 min every 60 min (from minute 10), and a 2 kW step load on for 3 min at 07:15
 * (inside a compressor run), 12:00, 18:00 and 21:00 each day. Everything is exact, so tests can assert exact runs.
 */
import { Random } from '../onnx/random.generator.js';

export const DAY = 1440;
export const START_MS = Date.UTC(2026, 0, 5);
/** Minutes of the day the 2 kW load switches on. */
export const KETTLE_MINUTES = [7 * 60 + 15, 12 * 60, 18 * 60, 21 * 60];

export interface SyntheticHome {
  mains: Float64Array;
  fridge: Float64Array;
  kettle: Float64Array;
}

/** `days` days of minutes; `noiseW` is the standard deviation of the baseload's noise. */
export function syntheticHome(days: number, seed = 7, noiseW = 3): SyntheticHome {
  const n = days * DAY;
  const rng = new Random(seed);
  const fridge = new Float64Array(n);
  const kettle = new Float64Array(n);
  const mains = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i >= 10 && (i - 10) % 60 < 20) fridge[i] = 100;
    const m = i % DAY;
    if (KETTLE_MINUTES.some((k) => m >= k && m < k + 3)) kettle[i] = 2000;
    mains[i] = 150 + noiseW * rng.normal() + fridge[i] + kettle[i];
  }
  return { mains, fridge, kettle };
}
