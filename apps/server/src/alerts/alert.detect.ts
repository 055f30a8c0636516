/**
 * What the alert rules look for, as pure functions over buckets the stores return: appliance
 * runs from per-minute on-probabilities, a day's baseload, energy over a span, the median. No
 * I/O and no clock, so each is tested with plain numbers.
 */
import type { Bucket } from '@nilm/stores';

const MIN = 60_000;

/** An appliance run: [startMs, endMs), endMs one minute after its last minute on. */
export interface Run {
  startMs: number;
  endMs: number;
}

/** An estimate at or above this on-probability counts as on. */
export const ON_PROB = 0.5;

/**
 * The runs of `appliance` in per-minute buckets (sorted by time). Minutes off shorter than
 * `bridgeMs` inside a run (a washing machine soaking, an oven's thermostat) do not end it.
 */
export function applianceRuns(
  buckets: readonly Bucket[],
  appliance: string,
  bridgeMs: number,
): Run[] {
  const runs: Run[] = [];
  for (const b of buckets) {
    const a = b.appliances[appliance];
    if (!a || a.onProb < ON_PROB) continue;
    const last = runs[runs.length - 1];
    if (last && b.ts - last.endMs <= bridgeMs) last.endMs = b.ts + MIN;
    else runs.push({ startMs: b.ts, endMs: b.ts + MIN });
  }
  return runs;
}

/** The median of the values; NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Energy of the mains over [fromMs, toMs) from buckets of `bucketMs` (kWh), and the share of the
 * span that had readings (0..1), so a day with a gap is not mistaken for a quiet one.
 */
export function energyOver(
  buckets: readonly Bucket[],
  fromMs: number,
  toMs: number,
  bucketMs: number,
): { kwh: number; coverage: number } {
  let kwh = 0;
  let covered = 0;
  for (const b of buckets) {
    if (b.ts < fromMs || b.ts >= toMs || b.powerW === null) continue;
    kwh += (b.powerW * bucketMs) / 3_600_000 / 1000;
    covered += bucketMs;
  }
  return { kwh, coverage: toMs > fromMs ? Math.min(1, covered / (toMs - fromMs)) : 0 };
}

/**
 * A day's always-on load: the lowest mean power of any bucket in [fromMs, toMs), or null when
 * fewer than half its buckets have readings (too little to say).
 */
export function baseloadOf(
  buckets: readonly Bucket[],
  fromMs: number,
  toMs: number,
  bucketMs: number,
): number | null {
  let low = Infinity;
  let n = 0;
  for (const b of buckets) {
    if (b.ts < fromMs || b.ts >= toMs || b.powerW === null) continue;
    low = Math.min(low, b.powerW);
    n++;
  }
  return n * bucketMs * 2 >= toMs - fromMs ? low : null;
}

/** `snake_case` appliance name as words: washing_machine -> Washing machine. */
export function applianceLabel(appliance: string): string {
  const words = appliance.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A duration as people say it: 52 min, 3 h 5 min. */
export function durationText(ms: number): string {
  const minutes = Math.round(ms / MIN);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
