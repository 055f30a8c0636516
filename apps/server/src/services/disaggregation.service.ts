/**
 * The worker's job: bring a building's per-appliance estimates up to date with its readings,
 * newest first, then back to its oldest reading. Stateless: everything it needs is read from
 * the stores, so any worker can take any building's job, and a job that is run twice writes the
 * same estimates twice (idempotent).
 *
 * One run does at most one chunk of each kind, each at most `maxCatchUpS` long:
 * - Forward (live data first): from the minute after the newest estimate up to the newest
 *   complete minute, reading one model window of context before it. The last half window is
 *   recomputed when newer minutes arrive, as the model then sees what came after it. A new
 *   building starts at its first reading of the last `historyS`, so recent results show soon.
 * - Backward (history), only once forward is caught up: the chunk just before the oldest
 *   estimate, down to the oldest reading, reading one window of context before it and half a
 *   window after it, so the model sees both sides; only minutes inside the chunk are written.
 *   This covers imported history, including readings imported later that are older than
 *   every estimate.
 * A chunk with no readings (a gap longer than a chunk) jumps to where readings resume, so every
 * run makes progress. The result says `more` while either direction has work left; a run on a
 * fully covered building writes nothing.
 */
import type { InferenceEngine } from '@nilm/ml';
import { toGrid, type Series } from '@nilm/ml';
import type { EstimatePoint, MetadataStore, Reading, TimeSeriesStore } from '@nilm/stores';
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

type Model = Awaited<ReturnType<InferenceEngine['model']>>;

/** What one run knows about a building before it picks its chunks. */
interface Building {
  id: string;
  model: Model;
  periodMs: number;
  /** Start of the cell of the oldest reading. */
  firstCell: number;
  /** Start of the cell of the newest reading: exclusive, that cell may still receive readings. */
  endCell: number;
  /** A chunk's length: `maxCatchUpS` in whole cells. */
  chunkMs: number;
}

/** One chunk of minutes to estimate, [from, to), and the readings around it. */
interface Chunk {
  from: number;
  to: number;
  contextFrom: number;
  contextTo: number;
  readings: Reading[];
}

export class DisaggregationService {
  /** At most this much data per chunk, so one building cannot hold a worker for long. */
  maxCatchUpS = 2 * 86_400;
  /** Where a new building's first (forward) pass starts; older history is backfilled after it. */
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
    const [latest, earliest] = await Promise.all([
      timeseries.latestReadingTs(buildingId),
      timeseries.earliestReadingTs(buildingId),
    ]);
    if (latest === null || earliest === null) return { written: 0, more: false };
    const b: Building = {
      id: buildingId,
      model,
      periodMs,
      firstCell: Math.floor(earliest / periodMs) * periodMs,
      endCell: Math.floor(latest / periodMs) * periodMs,
      chunkMs: Math.max(1, Math.floor((this.maxCatchUpS * 1000) / periodMs)) * periodMs,
    };
    let written = 0;
    let samples = 0;
    const forward = await this.forwardChunk(b);
    if (forward.chunk) {
      written += await this.estimate(b, forward.chunk);
      samples += forward.chunk.readings.length;
    }
    let more = forward.more;
    // History waits until live data is caught up: new readings get estimates first.
    if (!more) {
      const backward = await this.backwardChunk(b);
      if (backward.chunk) {
        written += await this.estimate(b, backward.chunk);
        samples += backward.chunk.readings.length;
      }
      more = backward.more;
    }
    if (samples > 0)
      this.deps.onRun?.({
        buildingId,
        model: `${model.card.id}@${model.card.version}`,
        samples,
        estimates: written,
        seconds: (performance.now() - t0) / 1000,
      });
    return { written, more };
  }

  /** The next chunk after the newest estimate, or none when no new complete minute arrived. */
  private async forwardChunk(b: Building): Promise<{ chunk: Chunk | null; more: boolean }> {
    const { periodMs, endCell } = b;
    const lastEst = await this.deps.timeseries.latestEstimateTs(b.id);
    // Nothing new since the last run: the same readings would give the same estimates.
    if (lastEst !== null && lastEst + periodMs >= endCell) return { chunk: null, more: false };
    const redo = Math.floor(b.model.window / 2) * periodMs;
    let from =
      lastEst === null
        ? Math.max(b.firstCell, endCell - Math.floor((this.historyS * 1000) / periodMs) * periodMs)
        : // Resume after the last estimate, redoing the last half window (the model now sees
          // what came after it).
          Math.min(lastEst + periodMs, endCell - redo);
    from = Math.max(from, 0);
    let to = Math.min(endCell, from + b.chunkMs);
    if (to <= from) return { chunk: null, more: false };
    let chunk = await this.read(b, from, to, 0);
    if (!this.hasReadings(chunk) && to < endCell) {
      // A gap longer than a chunk: go on where readings resume, or this would never advance.
      const next = await this.bucketWithReadings(b, to, endCell, 'first');
      if (next === null) return { chunk: null, more: false };
      from = Math.max(to, Math.floor(next / periodMs) * periodMs);
      to = Math.min(endCell, from + b.chunkMs);
      chunk = await this.read(b, from, to, 0);
    }
    return { chunk: this.hasReadings(chunk) ? chunk : null, more: to < endCell };
  }

  /** The chunk just before the oldest estimate, or none when the oldest reading is covered. */
  private async backwardChunk(b: Building): Promise<{ chunk: Chunk | null; more: boolean }> {
    const { periodMs, firstCell } = b;
    // No estimate at all (every reading is older than `historyS`): start at the newest.
    const end = (await this.deps.timeseries.earliestEstimateTs(b.id)) ?? b.endCell;
    if (firstCell >= end) return { chunk: null, more: false };
    const after = Math.floor(b.model.window / 2) * periodMs;
    let to = end;
    let from = Math.max(firstCell, to - b.chunkMs);
    let chunk = await this.read(b, from, to, after);
    if (!this.hasReadings(chunk) && from > firstCell) {
      // A gap longer than a chunk: jump to the newest stretch of readings before it.
      const prev = await this.bucketWithReadings(b, firstCell, from, 'last');
      if (prev === null) return { chunk: null, more: false };
      to = Math.min(from, Math.ceil((prev + this.maxCatchUpS * 1000) / periodMs) * periodMs);
      from = Math.max(firstCell, Math.floor(prev / periodMs) * periodMs);
      chunk = await this.read(b, from, to, after);
    }
    // Without readings here the stores disagree with themselves (a building deleted meanwhile):
    // stop rather than ask again for a chunk that cannot advance.
    if (!this.hasReadings(chunk)) return { chunk: null, more: false };
    return { chunk, more: from > firstCell };
  }

  /** Read a chunk's readings: one window before it (the model's context) and `afterMs` after. */
  private async read(b: Building, from: number, to: number, afterMs: number): Promise<Chunk> {
    const contextFrom = from - (b.model.window - 1) * b.periodMs;
    // Never into the newest cell: it may still receive readings.
    const contextTo = Math.max(to, Math.min(b.endCell, to + afterMs));
    const readings = await this.deps.timeseries.readReadings(b.id, contextFrom, contextTo);
    return { from, to, contextFrom, contextTo, readings };
  }

  /**
   * Whether the chunk holds a reading. Then its minute gets an estimate, so the newest or oldest
   * estimate moves and the next run cannot pick the same chunk again.
   */
  private hasReadings(c: Chunk): boolean {
    return c.readings.some((r) => r.ts >= c.from && r.ts < c.to);
  }

  /**
   * Start of the first or last bucket of `maxCatchUpS` in [startMs, endMs) that holds readings
   * (buckets are aligned to the epoch, so it may start before `startMs`), or null.
   */
  private async bucketWithReadings(
    b: Building,
    startMs: number,
    endMs: number,
    which: 'first' | 'last',
  ): Promise<number | null> {
    const buckets = await this.deps.timeseries.readBuckets(b.id, startMs, endMs, this.maxCatchUpS);
    const held = buckets.filter((x) => x.powerW !== null);
    const hit = which === 'first' ? held[0] : held[held.length - 1];
    return hit ? hit.ts : null;
  }

  /** Run the model over a chunk with its context and write the estimates inside the chunk. */
  private async estimate(b: Building, c: Chunk): Promise<number> {
    const { model, periodMs } = b;
    const series = this.toSeries(c.readings, model.periodS, c.contextFrom, c.contextTo);
    const out = await model.disaggregate(series);
    const points: EstimatePoint[] = [];
    const first = Math.round((c.from - series.startMs) / periodMs);
    for (const [appliance, est] of Object.entries(out.appliances)) {
      for (let i = Math.max(0, first); i < est.power.length; i++) {
        const p = est.power[i]!;
        if (!Number.isFinite(p)) continue;
        const ts = series.startMs + i * periodMs;
        if (ts < c.from || ts >= c.to) continue;
        points.push({
          ts,
          appliance,
          powerW: Math.max(0, p),
          onProb: est.onProb ? est.onProb[i]! : p > 0 ? 1 : 0,
        });
      }
    }
    if (points.length > 0)
      await this.deps.timeseries.writeEstimates(
        b.id,
        `${model.card.id}@${model.card.version}`,
        points,
      );
    return points.length;
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
