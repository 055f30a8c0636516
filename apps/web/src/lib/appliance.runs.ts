/**
 * An appliance's on/off timeline and runs from reading points: a run is a stretch of
 * consecutive buckets whose on-probability is at least the threshold. Pure.
 */
import type { ReadingsResponse } from '@nilm/contracts';
import { kwhOf } from './tariff.js';

export interface Run {
  start: number;
  end: number;
  kwh: number;
}

/** Runs of `name` in the readings; a bucket with no estimate ends a run. */
export function runsOf(
  res: Pick<ReadingsResponse, 'points' | 'resolution_s'>,
  name: string,
  threshold = 0.5,
): Run[] {
  const runs: Run[] = [];
  let cur: Run | undefined;
  for (const p of res.points) {
    const v = p.appliances[name];
    const t = Date.parse(p.time);
    if (v && v.on_prob >= threshold) {
      cur ??= { start: t, end: t, kwh: 0 };
      cur.end = t + res.resolution_s * 1000;
      cur.kwh += kwhOf(v.power_w, res.resolution_s);
    } else if (cur) {
      runs.push(cur);
      cur = undefined;
    }
  }
  if (cur) runs.push(cur);
  return runs;
}

/** Median run length (ms) and mean energy per run (kWh); undefined when there are no runs. */
export function runStats(
  runs: readonly Run[],
): { medianMs: number; meanKwh: number; count: number } | undefined {
  if (runs.length === 0) return undefined;
  const lengths = runs.map((r) => r.end - r.start).sort((a, b) => a - b);
  const mid = lengths.length >> 1;
  const medianMs = lengths.length % 2 ? lengths[mid]! : (lengths[mid - 1]! + lengths[mid]!) / 2;
  return {
    medianMs,
    meanKwh: runs.reduce((s, r) => s + r.kwh, 0) / runs.length,
    count: runs.length,
  };
}
