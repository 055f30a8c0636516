/**
 * An appliance's runs at the model's own resolution: a run is a stretch of consecutive
 * estimates (one model step apart, 1 minute for the shipped model) whose on-probability is at
 * least the appliance's calibrated threshold. Found from the stored estimates, never from
 * chart buckets, so a two-minute kettle run is not averaged away over a long range.
 */
import type { InferenceEngine } from '@nilm/ml';
import type { Building, MetadataStore, TimeSeriesStore } from '@nilm/stores';
import { ApiError } from '../errors.js';
import { buildingAppliances } from './appliances.service.js';

/** Longest range one request may cover: 31 days of minutes is about 45 000 estimates. */
export const MAX_RUNS_RANGE_MS = 31 * 86_400_000;
/** Most runs one response lists (the newest); count and statistics still cover all of them. */
export const MAX_RUNS = 5000;

/** One run: [startMs, endMs) covers its estimates' steps. */
export interface ApplianceRun {
  startMs: number;
  /** Exclusive: the end of the run's last step. */
  endMs: number;
  minutes: number;
  /** Sum of estimated power over the run's steps. */
  energyKwh: number;
  peakW: number;
}

/** One estimate of one appliance, as the store returns it. */
export interface RunPoint {
  ts: number;
  powerW: number;
  onProb: number;
}

/**
 * Runs in `points` (one appliance, sorted by time, one step of `stepMs` apart where there is
 * no gap). A point is on when `onProb >= threshold`; an off point or a missing step ends a
 * run. A run touching the first or last point is cut there: runs are of the points given. Pure.
 */
export function detectRuns(
  points: readonly RunPoint[],
  threshold: number,
  stepMs = 60_000,
): ApplianceRun[] {
  const kwhPerStep = stepMs / 3_600_000 / 1000;
  const runs: ApplianceRun[] = [];
  let cur: ApplianceRun | undefined;
  for (const p of points) {
    // A step that is later than the run's end means minutes without estimates: the run is over.
    if (cur && (p.onProb < threshold || p.ts > cur.endMs)) {
      runs.push(cur);
      cur = undefined;
    }
    if (p.onProb < threshold) continue;
    cur ??= { startMs: p.ts, endMs: p.ts, minutes: 0, energyKwh: 0, peakW: 0 };
    cur.endMs = p.ts + stepMs;
    cur.minutes = (cur.endMs - cur.startMs) / 60_000;
    cur.energyKwh += p.powerW * kwhPerStep;
    cur.peakW = Math.max(cur.peakW, p.powerW);
  }
  if (cur) runs.push(cur);
  return runs;
}

/** Count, median length in minutes and mean energy per run in kWh (null when there are none). */
export function summariseRuns(runs: readonly ApplianceRun[]): {
  count: number;
  typicalMinutes: number | null;
  meanEnergyKwh: number | null;
} {
  if (runs.length === 0) return { count: 0, typicalMinutes: null, meanEnergyKwh: null };
  const lengths = runs.map((r) => r.minutes).sort((a, b) => a - b);
  const mid = lengths.length >> 1;
  return {
    count: runs.length,
    typicalMinutes: lengths.length % 2 ? lengths[mid]! : (lengths[mid - 1]! + lengths[mid]!) / 2,
    meanEnergyKwh: runs.reduce((s, r) => s + r.energyKwh, 0) / runs.length,
  };
}

export interface RunsResult {
  threshold: number;
  /** The newest MAX_RUNS runs, oldest first. */
  runs: ApplianceRun[];
  count: number;
  typicalMinutes: number | null;
  meanEnergyKwh: number | null;
  truncated: boolean;
}

export class RunsService {
  constructor(
    private readonly deps: {
      timeseries: TimeSeriesStore;
      metadata: MetadataStore;
      engine: InferenceEngine;
    },
  ) {}

  /** Runs of `appliance` in [startMs, endMs), at most 31 days, with the model's threshold. */
  async runs(
    building: Pick<Building, 'id' | 'modelRef'>,
    appliance: string,
    startMs: number,
    endMs: number,
  ): Promise<RunsResult> {
    if (!(endMs > startMs))
      throw new ApiError('VALIDATION_TIME', 'end must be after start', {
        start: startMs,
        end: endMs,
      });
    if (endMs - startMs > MAX_RUNS_RANGE_MS)
      throw new ApiError(
        'VALIDATION_TIME',
        `runs cover at most 31 days per request and this range is ${((endMs - startMs) / 86_400_000).toFixed(1)} days; ask for a shorter range (for example start=-30d) and page through longer history`,
        { start: startMs, end: endMs, max_days: 31 },
      );
    const { model, periodS, appliances } = await buildingAppliances(
      this.deps.engine,
      this.deps.metadata,
      building,
    );
    const info = appliances.find((a) => a.name === appliance);
    if (!info || periodS === null)
      throw new ApiError(
        'NOT_FOUND',
        model
          ? `the model ${model} of building "${building.id}" does not estimate "${appliance}"; GET /api/v1/buildings/${building.id}/appliances lists the ones it does`
          : `building "${building.id}" has no model that could be loaded, so it has no appliance "${appliance}"; ask an admin to check the model registry`,
        { appliance },
      );
    const points = await this.deps.timeseries.readEstimates(building.id, startMs, endMs, appliance);
    const all = detectRuns(points, info.onProbThreshold, periodS * 1000);
    const stats = summariseRuns(all);
    return {
      threshold: info.onProbThreshold,
      runs: all.length > MAX_RUNS ? all.slice(-MAX_RUNS) : all,
      ...stats,
      truncated: all.length > MAX_RUNS,
    };
  }
}
