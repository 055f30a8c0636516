/**
 * The worker's job: estimate what a building's estimate backlog (estimate.backlog.ts) says is
 * left, newest first. Stateless: the backlog and the readings are read from the stores, so any
 * worker can take any building's job, and a job that is run twice writes the same estimates
 * twice (idempotent).
 *
 * One run estimates at most `maxCatchUpS` of the building's time:
 * - Pending ranges, newest first (live data before history). Ranges close together are
 *   estimated as one stretch. Each stretch is widened by half a model window on both sides,
 *   since the model now sees readings that those minutes' estimates were made without (newer
 *   live minutes, or history imported next to them), and is read with one window of context
 *   before it and half a window after it. At the live edge (nothing read after the stretch)
 *   only some minutes of the half window before it are written again (`refreshed`). A range
 *   longer than what is left of the run is done from its newest end and shrinks; the rest
 *   waits for the next run.
 * - Then an audit range, if the building has one (history from before the backlog): the newest
 *   unchecked stretch is read at the model's period, and only minutes with readings but no
 *   estimates are estimated.
 * A range is resolved only after its estimates are written, and only if nothing was marked in
 * it meanwhile, so a worker killed mid-run or readings that arrive during the run lose nothing.
 * The result says `more` while the backlog still holds a range.
 */
import type { InferenceEngine } from '@nilm/ml';
import { toGrid, type Series } from '@nilm/ml';
import type {
  Building as BuildingRecord,
  EstimatePoint,
  EstimatesBatch,
  MetadataStore,
  PendingQuery,
  PendingRange,
  PendingResolution,
  Reading,
  ReadingsRange,
  ResolvedRange,
  TimeSeriesStore,
} from '@nilm/stores';
import { UnrecoverableJobError } from '@nilm/queue';
import { Gatherer } from './gatherer.js';

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
  /** Whether the backlog still holds work (the caller enqueues again). */
  more: boolean;
}

type Model = Awaited<ReturnType<InferenceEngine['model']>>;

/** What one run knows about a building. */
interface Building {
  id: string;
  model: Model;
  periodMs: number;
}

/** A stretch of cells to estimate, [from, to), and the readings around it. */
interface Chunk {
  from: number;
  to: number;
  contextFrom: number;
  contextTo: number;
  readings: Reading[];
}

/** Cells [from, to) a run estimates; `firstMs`: its first pending reading (from may be earlier). */
interface Stretch {
  from: number;
  to: number;
  firstMs: number;
}

/** A stretch at the live edge; `fromSeen`: its first cell was estimated before, in part. */
export interface LiveStretch {
  from: number;
  to: number;
  fromSeen: boolean;
}

/** How many pending ranges one run looks at: more than a run's budget can hold (48 hours). */
const RANGES_PER_RUN = 200;

export class DisaggregationService {
  /** At most this much of a building's time per run, so one building cannot hold a worker for long. */
  maxCatchUpS = 2 * 86_400;
  /**
   * The estimates of runs in flight at once (a worker's concurrent jobs) share store writes
   * (gatherer.ts): one transaction and rollup refresh for many buildings.
   */
  readonly writes: Gatherer<EstimatesBatch>;
  /**
   * Likewise their readings reads (readReadingsMany): recent rows lie in arrival order, so a
   * read of one home scans every home's recent rows; one read serves the runs in flight.
   */
  readonly reads: Gatherer<ReadingsRange, Reading[]>;
  /**
   * Likewise their backlog lookups and resolves (listPendingMany, resolvePendingMany): one
   * statement for the runs in flight, where each run made three or more round trips of its own.
   */
  readonly pending: Gatherer<PendingQuery, PendingRange[]>;
  readonly resolves: Gatherer<PendingResolution>;
  /** Likewise the runs' building lookups (getBuildingsMany). */
  readonly buildings: Gatherer<string, BuildingRecord | null>;

  constructor(private readonly deps: DisaggregationDeps) {
    this.writes = new Gatherer({
      call: (items) => deps.timeseries.writeEstimatesMany(items),
    });
    this.reads = new Gatherer({
      call: (ranges) => deps.timeseries.readReadingsMany(ranges),
      maxItems: 64,
    });
    this.pending = new Gatherer({
      call: (queries) => deps.metadata.listPendingMany(queries),
      maxItems: 64,
    });
    this.resolves = new Gatherer({
      call: (entries) => deps.metadata.resolvePendingMany(entries),
      maxItems: 64,
    });
    this.buildings = new Gatherer({
      call: (ids) => deps.metadata.getBuildingsMany(ids),
      maxItems: 64,
    });
  }

  /** Estimate the newest part of one building's backlog. Throws UnrecoverableJobError for a building that does not exist. */
  async run(buildingId: string): Promise<RunResult> {
    const t0 = performance.now();
    const { engine } = this.deps;
    const [building, pending] = await Promise.all([
      this.buildings.add(buildingId),
      this.pending.add({ buildingId, limit: RANGES_PER_RUN }),
    ]);
    if (!building) throw new UnrecoverableJobError(`building "${buildingId}" does not exist`);
    if (pending.length === 0) return { written: 0, more: false };
    const model = await engine.model(building.modelRef ?? undefined);
    const b: Building = { id: buildingId, model, periodMs: model.periodS * 1000 };
    const budgetMs = Math.max(1, Math.floor((this.maxCatchUpS * 1000) / b.periodMs)) * b.periodMs;

    const { stretches, resolved, usedMs } = this.plan(
      b,
      pending.filter((r) => !r.audit),
      budgetMs,
    );
    let written = 0;
    let samples = 0;
    const half = Math.floor(model.window / 2) * b.periodMs;
    for (const { from, to, firstMs } of stretches) {
      const chunk = await this.read(b, from - half, to + half, half);
      // Nothing read after the stretch: it is the live edge (see `refreshed`). Readings of its
      // first minute from before its first pending one were estimated by an earlier run.
      const live = !chunk.readings.some((r) => r.ts >= to);
      const fromSeen = chunk.readings.some((r) => r.ts >= from && r.ts < firstMs);
      written += await this.estimate(b, chunk, live ? { from, to, fromSeen } : undefined);
      samples += chunk.readings.length;
    }
    const audit = pending.find((r) => r.audit);
    if (audit && usedMs < budgetMs) {
      const done = await this.audit(b, audit, budgetMs - usedMs);
      written += done.written;
      samples += done.samples;
      resolved.push(done.resolved);
    }
    if (resolved.length > 0) await this.resolves.add({ buildingId, done: resolved });
    const more = (await this.pending.add({ buildingId, limit: 1 })).length > 0;
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

  /**
   * Pick, newest first, the pending ranges this run can do within `budgetMs`, as stretches of
   * whole cells (ranges less than a model window apart share one stretch and its context), and
   * what to resolve once they are written.
   */
  private plan(
    b: Building,
    ranges: readonly PendingRange[],
    budgetMs: number,
  ): { stretches: Stretch[]; resolved: ResolvedRange[]; usedMs: number } {
    const { periodMs } = b;
    const joinMs = b.model.window * periodMs;
    const stretches: Stretch[] = [];
    const resolved: ResolvedRange[] = [];
    let usedMs = 0;
    for (const r of ranges) {
      const left = budgetMs - usedMs;
      if (left <= 0) break;
      let from = Math.floor(r.fromMs / periodMs) * periodMs;
      let firstMs = r.fromMs;
      const to = Math.floor((r.toMs - 1) / periodMs) * periodMs + periodMs;
      if (to - from > left) {
        from = to - left;
        firstMs = from;
        resolved.push({ bucket: r.bucket, seq: r.seq, cutMs: from });
      } else resolved.push({ bucket: r.bucket, seq: r.seq });
      usedMs += to - from;
      const last = stretches[stretches.length - 1];
      // Ranges come newest first, but two of them may overlap (one bucket's range ends inside
      // the next only through a clock change of the meter): join rather than assume order.
      if (last && from < last.to + joinMs && to > last.from - joinMs) {
        last.from = Math.min(last.from, from);
        last.to = Math.max(last.to, to);
        last.firstMs = Math.min(last.firstMs, firstMs);
      } else stretches.push({ from, to, firstMs });
    }
    return { stretches, resolved, usedMs };
  }

  /**
   * Check the newest `budgetMs` of an audit range that holds readings: estimate the minutes
   * with readings and no estimates, then shrink the range to what is left below.
   */
  private async audit(
    b: Building,
    range: PendingRange,
    budgetMs: number,
  ): Promise<{ written: number; samples: number; resolved: ResolvedRange }> {
    const { timeseries } = this.deps;
    const { periodMs } = b;
    const done = { bucket: range.bucket, seq: range.seq };
    const [earliest, latest] = await Promise.all([
      timeseries.earliestReadingTs(b.id),
      timeseries.latestReadingTs(b.id),
    ]);
    if (earliest === null || latest === null) return { written: 0, samples: 0, resolved: done };
    const first = Math.max(Math.floor(earliest / periodMs) * periodMs, range.fromMs);
    const to = Math.min(Math.floor(latest / periodMs) * periodMs + periodMs, range.toMs);
    if (to <= first) return { written: 0, samples: 0, resolved: done };
    const from = Math.max(first, to - budgetMs);
    const cells = await timeseries.readBuckets(b.id, from, to, periodMs / 1000);
    const holes: Array<[number, number]> = [];
    const joinMs = b.model.window * periodMs;
    for (const c of cells) {
      if (c.powerW === null || Object.keys(c.appliances).length > 0) continue;
      const last = holes[holes.length - 1];
      if (last && c.ts < last[1] + joinMs) last[1] = c.ts + periodMs;
      else holes.push([c.ts, c.ts + periodMs]);
    }
    let written = 0;
    let samples = 0;
    for (const [hFrom, hTo] of holes) {
      const chunk = await this.read(b, hFrom, hTo, Math.floor(b.model.window / 2) * periodMs);
      written += await this.estimate(b, chunk);
      samples += chunk.readings.length;
    }
    return {
      written,
      samples,
      resolved: from <= first ? done : { ...done, cutMs: from },
    };
  }

  /** Read a stretch's readings: one window before it (the model's context) and `afterMs` after. */
  private async read(b: Building, from: number, to: number, afterMs: number): Promise<Chunk> {
    const contextFrom = from - (b.model.window - 1) * b.periodMs;
    const contextTo = to + afterMs;
    const readings = await this.reads.add({
      buildingId: b.id,
      startMs: contextFrom,
      endMs: contextTo,
    });
    return { from, to, contextFrom, contextTo, readings };
  }

  /**
   * Run the model over a chunk with its context and write the estimates inside the chunk; with
   * `live` (the stretch of new cells at the live edge), of the half window before it only the
   * minutes `refreshed` names.
   */
  private async estimate(b: Building, c: Chunk, live?: LiveStretch): Promise<number> {
    const { model, periodMs } = b;
    const halfCells = Math.floor(model.window / 2);
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
        if (live && ts < live.from && !refreshed(ts, live, periodMs, halfCells)) continue;
        points.push({
          ts,
          appliance,
          powerW: Math.max(0, p),
          onProb: est.onProb ? est.onProb[i]! : p > 0 ? 1 : 0,
          ...bandAt(est, i),
        });
      }
    }
    if (points.length > 0)
      await this.writes.add({
        buildingId: b.id,
        modelVersion: `${model.card.id}@${model.card.version}`,
        points,
      });
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

/**
 * Whether a live run re-writes minute `ts`, one of the half window before its cells
 * [from, to). Each new minute lets the model see one more minute after the earlier ones, and
 * writing the whole half window again on every run (129 minutes x every appliance, for what is
 * usually one new minute, or none: a meter reporting every 10 s starts a run for a minute
 * already estimated in part) was most of a live run's cost. A minute is re-written instead
 * when the minutes seen after it reach 1, 2, 4, 8, ... and finally half a window: about 9 of
 * the 129 minutes per new minute, none for another reading of a minute seen before. Its last
 * estimate is made once half a window after it has been seen, as with the whole-window
 * refresh, which could re-write it once more while the newest of those minutes was still
 * filling; in between it keeps an estimate that saw at least half as much of what followed it.
 */
export function refreshed(
  ts: number,
  live: LiveStretch,
  periodMs: number,
  halfCells: number,
): boolean {
  // Minutes seen after `ts` before this run (its first cell among them when seen), and after.
  const cells = Math.round((live.from - ts) / periodMs);
  const before = live.fromSeen ? cells : cells - 1;
  const after = cells - 1 + Math.round((live.to - live.from) / periodMs);
  if (before < halfCells && after >= halfCells) return true;
  let k = 1;
  while (k <= before) k *= 2;
  return k <= after && k <= halfCells;
}

/**
 * The model's band at step `i`, stored beside the estimate, when the model gives one there
 * (a missing or non-finite bound stores none; the low end is floored at 0 like the power).
 */
function bandAt(
  est: { lower?: Float32Array; upper?: Float32Array },
  i: number,
): { lowW: number; highW: number } | Record<string, never> {
  const low = est.lower?.[i];
  const high = est.upper?.[i];
  if (low === undefined || high === undefined || !Number.isFinite(low) || !Number.isFinite(high))
    return {};
  const lowW = Math.max(0, low);
  return { lowW, highW: Math.max(lowW, high) };
}
