/**
 * The worker's job: bring a building's per-appliance estimates up to date with its readings.
 * Stateless: everything it needs is read from the stores, so any worker can take any
 * building's job, and a job that is run twice writes the same estimates twice (idempotent).
 *
 * One run: read the readings from one model window before the first minute that still needs
 * estimates up to the newest complete minute, resample to the model's period, run the model
 * over that stretch, and write estimates for the minutes that need them. The last half window
 * is recomputed on the next run, when the model sees what came after it. A run covers at most
 * `maxCatchUpS` of data; when more remains, it asks for another run.
 */
import type { InferenceEngine } from '@nilm/ml';
import { toGrid, type Series } from '@nilm/ml';
import type { MetadataStore, TimeSeriesStore, EstimatePoint } from '@nilm/stores';
import { UnrecoverableJobError } from '@nilm/queue';

export interface DisaggregationDeps {
  timeseries: TimeSeriesStore;
  metadata: MetadataStore;
  engine: InferenceEngine;
  /** Observe each run (metrics). */
  onRun?: (r: {
    buildingId: string;
    model: string;
    samples: number;
    estimates: number;
    seconds: number;
  }) => void;
}

export interface RunResult {
  /** Estimates written. */
  written: number;
  /** Whether readings remain that this run did not reach (the caller enqueues again). */
  more: boolean;
}

export class DisaggregationService {
  /** At most this much data per run, so one building cannot hold a worker for long. */
  maxCatchUpS = 2 * 86_400;
  /** How far back a new building's history is disaggregated. */
  historyS = 31 * 86_400;

  constructor(private readonly deps: DisaggregationDeps) {}

  /** Update the estimates of one building. Throws UnrecoverableJobError for a building that does not exist. */
  async run(buildingId: string): Promise<RunResult> {
    const t0 = performance.now();
    const { timeseries, metadata, engine } = this.deps;
    const building = await metadata.getBuilding(buildingId);
    if (!building) throw new UnrecoverableJobError(`building "${buildingId}" does not exist`);
    const model = await engine.model(building.modelRef ?? undefined);
    const periodMs = model.periodS * 1000;
    const L = model.window;
    const latest = await timeseries.latestReadingTs(buildingId);
    if (latest === null) return { written: 0, more: false };
    // Only complete grid cells get estimates: the cell holding `latest` may still receive readings.
    const endCell = Math.floor(latest / periodMs) * periodMs; // exclusive
    const lastEst = await timeseries.latestEstimateTs(buildingId);
    const redo = Math.floor(L / 2) * periodMs;
    // Resume after the last estimate, redoing the last half window (the model now sees what
    // came after it).
    let from: number;
    if (lastEst === null) {
      // A new building: start at its first reading of the last `historyS` (older imports are
      // not disaggregated), and work forward `maxCatchUpS` per run.
      const recent = await timeseries.readReadings(
        buildingId,
        endCell - this.historyS * 1000,
        endCell,
      );
      if (recent.length === 0) return { written: 0, more: false };
      from = Math.floor(recent[0]!.ts / periodMs) * periodMs;
    } else {
      from = Math.min(lastEst + periodMs, endCell - redo);
    }
    let to = endCell;
    let more = false;
    if (to - from > this.maxCatchUpS * 1000) {
      to = from + this.maxCatchUpS * 1000;
      more = true;
    }
    from = Math.max(from, 0);
    if (to <= from) return { written: 0, more: false };
    const contextFrom = from - (L - 1) * periodMs;
    const readings = await timeseries.readReadings(buildingId, contextFrom, to);
    if (readings.length === 0) return { written: 0, more };
    const series = this.toSeries(readings, model.periodS, contextFrom, to);
    const out = await model.disaggregate(series);
    const points: EstimatePoint[] = [];
    const first = Math.round((from - series.startMs) / periodMs);
    for (const [appliance, est] of Object.entries(out.appliances)) {
      for (let i = Math.max(0, first); i < est.power.length; i++) {
        const p = est.power[i]!;
        if (!Number.isFinite(p)) continue;
        const ts = series.startMs + i * periodMs;
        if (ts < from || ts >= to) continue;
        points.push({
          ts,
          appliance,
          powerW: Math.max(0, p),
          onProb: est.onProb ? est.onProb[i]! : p > 0 ? 1 : 0,
        });
      }
    }
    if (points.length > 0)
      await timeseries.writeEstimates(buildingId, `${model.card.id}@${model.card.version}`, points);
    this.deps.onRun?.({
      buildingId,
      model: `${model.card.id}@${model.card.version}`,
      samples: readings.length,
      estimates: points.length,
      seconds: (performance.now() - t0) / 1000,
    });
    return { written: points.length, more };
  }

  /**
   * Readings (any rate) on the model's grid from `fromMs` to `toMs`; gaps stay NaN. A meter
   * reporting every few seconds is averaged per minute; one reporting every minute maps 1:1.
   */
  private toSeries(
    readings: ReadonlyArray<{ ts: number; powerW: number }>,
    periodS: number,
    fromMs: number,
    toMs: number,
  ): Series {
    const times = Float64Array.from(readings, (r) => r.ts);
    const values = Float64Array.from(readings, (r) => r.powerW);
    const grid = toGrid(
      { mains: { timesMs: times, values } },
      { periodS, spanChannel: 'mains', fillLimitS: Math.max(3 * periodS, 180) },
    );
    const periodMs = periodS * 1000;
    const n = Math.round((toMs - fromMs) / periodMs);
    const mains = new Float32Array(n).fill(NaN);
    const offset = Math.round((grid.startMs - fromMs) / periodMs);
    for (let i = 0; i < grid.length; i++) {
      const k = offset + i;
      if (k >= 0 && k < n) mains[k] = grid.channels.mains![i]!;
    }
    return { startMs: fromMs, periodS, mains, appliances: {}, source: 'store' };
  }
}
