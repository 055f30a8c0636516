/**
 * Ingest: validate a batch of mains readings as a whole (one bad reading rejects the batch and
 * nothing is stored), write it to the time-series store, record in the estimate backlog that
 * these times need estimating, then ask for a disaggregation run. Every path that stores
 * readings (HTTP, MQTT, the demo, imports) comes through here, so every stored reading is in
 * the backlog until a worker has estimated it. What the meter measured beside consumption
 * (import, export, production, per-phase power) is stored as the building's grid points.
 * Idempotent per (building, ts): a meter that resends a batch changes nothing. Concurrent
 * calls (many meters at once) share their store write, backlog mark and enqueue
 * (gatherer.ts); each call still settles with its own outcome.
 */
import type { JobQueue } from '@nilm/queue';
import {
  MAX_PHASES,
  StoreUnavailableError,
  type EstimateBacklog,
  type GridPoint,
  type Reading,
  type TimeSeriesStore,
} from '@nilm/stores';
import { phasesAddUp } from '@nilm/sources';
import { ApiError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { parseReadingTime } from '../time.parse.js';
import type { LatestReadings } from './latest.readings.js';
import { Gatherer } from './gatherer.js';

/** Readings more than this far in the future are refused (clock skew allowance). */
export const MAX_FUTURE_MS = 5 * 60_000;
/** Readings before this are refused (a meter with an unset clock sends 1970). */
export const MIN_TIME_MS = Date.UTC(2000, 0, 1);
/** Largest plausible household mains power. */
export const MAX_POWER_W = 100_000;

/**
 * A reading as sent: `power_w`, and with `production_w` signed net power (export negative);
 * `phases_w` is the signed net power per phase, adding up to `power_w`.
 */
export interface RawReading {
  ts: string | number;
  power_w: number;
  production_w?: number;
  phases_w?: readonly number[];
}

/**
 * A checked reading: consumption in `powerW`, and what the meter measured when it said more
 * (import, export and production; phases, L1 first).
 */
export interface ValidatedReading extends Reading {
  grid?: { importW: number; exportW: number; productionW: number };
  phasesW?: number[];
}

export interface IngestDeps {
  timeseries: TimeSeriesStore;
  /** Where stored readings wait for their estimates (the metadata store). */
  backlog: Pick<EstimateBacklog, 'markPendingMany'>;
  queue: JobQueue;
  now?: () => number;
  log?: { warn: (obj: object, msg: string) => void };
  onIngest?: (buildingId: string, readings: Reading[]) => void;
}

/** One ingest call's points, as they wait for the gathered store write. */
interface PendingWrite {
  buildingId: string;
  readings: Reading[];
  grid: GridPoint[];
}

export class IngestService {
  /**
   * Concurrent calls share store writes and backlog marks (gatherer.ts): at 1,000
   * readings/s from 10,000 homes a store call and a metadata statement per reading were the
   * limit (issue 16.2), whatever the worker did.
   */
  readonly writes: Gatherer<PendingWrite>;
  readonly marks: Gatherer<{ buildingId: string; timesMs: number[] }>;
  readonly enqueues: Gatherer<string>;

  constructor(private readonly deps: IngestDeps) {
    const { timeseries, backlog } = deps;
    this.writes = new Gatherer({
      call: async (items) => {
        await timeseries.writeReadingsMany(items);
        // Grid points come from meters that measure export or phases: a few homes, so one
        // call each is enough.
        for (const w of items)
          if (w.grid.length > 0) await timeseries.writeGrid(w.buildingId, w.grid);
      },
    });
    this.marks = new Gatherer({ call: (items) => backlog.markPendingMany(items) });
    // The queue refuses no single building: an error is the queue's, for every one of them.
    this.enqueues = new Gatherer({
      call: (ids) => deps.queue.enqueueMany(ids),
      failsAll: () => true,
    });
  }

  /**
   * Check every reading; return them sorted and de-duplicated (last value per ts wins). A
   * reading with `production_w` is signed net power at the grid connection plus on-site
   * production: its consumption (what is disaggregated) is their sum, and what was measured
   * comes back as `grid` to be stored beside it.
   */
  validate(readings: ReadonlyArray<RawReading>): ValidatedReading[] {
    const now = (this.deps.now ?? Date.now)();
    const byTs = new Map<number, ValidatedReading>();
    readings.forEach((r, i) => {
      const ts = parseReadingTime(r.ts);
      if (!Number.isFinite(ts)) {
        throw new ApiError(
          'VALIDATION_TIME',
          `readings[${i}].ts ${JSON.stringify(r.ts)} is not a time; send ISO-8601 with a zone (2024-05-01T12:00:00Z) or epoch milliseconds`,
          { index: i },
        );
      }
      if (ts > now + MAX_FUTURE_MS) {
        throw new ApiError(
          'VALIDATION_TIME',
          `readings[${i}].ts ${new Date(ts).toISOString()} is in the future; check the meter's clock`,
          { index: i },
        );
      }
      if (ts < MIN_TIME_MS) {
        throw new ApiError(
          'VALIDATION_TIME',
          `readings[${i}].ts ${new Date(ts).toISOString()} is before 2000; check the meter's clock`,
          { index: i },
        );
      }
      const p = r.power_w;
      if (typeof p !== 'number' || !Number.isFinite(p)) {
        throw new ApiError('VALIDATION_POWER', `readings[${i}].power_w is not a finite number`, {
          index: i,
        });
      }
      if (p < -MAX_POWER_W || p > MAX_POWER_W) {
        throw new ApiError(
          'VALIDATION_POWER',
          `readings[${i}].power_w ${p} W is outside -${MAX_POWER_W}..${MAX_POWER_W} W; send power in watts`,
          { index: i },
        );
      }
      const phases = r.phases_w === undefined ? {} : { phasesW: checkPhases(r.phases_w, p, i) };
      const prod = r.production_w;
      if (prod === undefined) {
        if (p < 0) {
          throw new ApiError(
            'VALIDATION_POWER',
            `readings[${i}].power_w ${p} W is export: send the home's production too (production_w, e.g. the solar inverter's power) so its consumption can be known`,
            { index: i },
          );
        }
        byTs.set(ts, { ts, powerW: p, ...phases });
        return;
      }
      if (typeof prod !== 'number' || !Number.isFinite(prod) || prod < 0 || prod > MAX_POWER_W) {
        throw new ApiError(
          'VALIDATION_POWER',
          `readings[${i}].production_w must be a number of watts in 0..${MAX_POWER_W}`,
          { index: i },
        );
      }
      if (p + prod < 0) {
        throw new ApiError(
          'VALIDATION_POWER',
          `readings[${i}] exports ${-p} W but produces only ${prod} W; production must be at least the export`,
          { index: i },
        );
      }
      byTs.set(ts, {
        ts,
        powerW: p + prod,
        grid: { importW: Math.max(0, p), exportW: Math.max(0, -p), productionW: prod },
        ...phases,
      });
    });
    return [...byTs.values()].sort((a, b) => a.ts - b.ts);
  }

  /** Store a validated batch and enqueue the building's job. Resolves with the count accepted. */
  async ingest(buildingId: string, raw: ReadonlyArray<RawReading>): Promise<number> {
    const validated = this.validate(raw);
    const readings: Reading[] = validated.map((r) => ({ ts: r.ts, powerW: r.powerW }));
    // What was measured beside consumption; phases alone leave import, export and production
    // unknown (null), as a reading without production_w says nothing of them.
    const grid: GridPoint[] = validated.flatMap((r) =>
      r.grid || r.phasesW
        ? [
            {
              ts: r.ts,
              ...(r.grid ?? { importW: null, exportW: null, productionW: null }),
              ...(r.phasesW ? { phasesW: r.phasesW } : {}),
            },
          ]
        : [],
    );
    try {
      if (readings.length > 0) await this.writes.add({ buildingId, readings, grid });
    } catch (e) {
      if (e instanceof StoreUnavailableError) {
        throw new ApiError(
          'STORE_UNAVAILABLE',
          'the time-series store is unavailable; nothing was stored, retry the same batch later',
          undefined,
          5,
        );
      }
      throw e;
    }
    // After the write, never before: a worker that lists the mark must find the readings.
    // If marking fails the caller is told to retry: the readings are stored but a worker would
    // not know of them, and the retry (idempotent) marks them.
    try {
      if (readings.length > 0)
        await this.marks.add({ buildingId, timesMs: readings.map((r) => r.ts) });
    } catch (e) {
      this.deps.log?.warn({ err: e, buildingId }, 'marking readings for estimating failed');
      throw new ApiError(
        'STORE_UNAVAILABLE',
        'the metadata store is unavailable; the readings may be stored but are not yet queued for estimating, retry the same batch later',
        undefined,
        5,
      );
    }
    this.deps.onIngest?.(buildingId, readings);
    try {
      await this.enqueues.add(buildingId);
    } catch (e) {
      // The readings are stored and in the backlog; the worker's reconcile loop queues every
      // building with a pending range, so a lost enqueue delays estimates but loses nothing.
      this.deps.log?.warn(
        { err: e, buildingId },
        'enqueue failed; the reconcile loop will catch up',
      );
    }
    return readings.length;
  }
}

/**
 * A reading's per-phase powers, checked: 1 to 3 finite numbers within the power range that add
 * up to its net power `powerW` by the same rule the meter sources use (`phasesAddUp`).
 */
function checkPhases(phases: readonly number[], powerW: number, i: number): number[] {
  if (!Array.isArray(phases) || phases.length < 1 || phases.length > MAX_PHASES) {
    throw new ApiError(
      'VALIDATION_PHASES',
      `readings[${i}].phases_w must hold 1 to ${MAX_PHASES} values, L1 first`,
      { index: i },
    );
  }
  phases.forEach((w, k) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || Math.abs(w) > MAX_POWER_W) {
      throw new ApiError(
        'VALIDATION_PHASES',
        `readings[${i}].phases_w[${k}] must be a number of watts in -${MAX_POWER_W}..${MAX_POWER_W}`,
        { index: i, phase: k + 1 },
      );
    }
  });
  if (!phasesAddUp(phases, powerW)) {
    const sum = Math.round(phases.reduce((a, b) => a + b, 0) * 1000) / 1000;
    throw new ApiError(
      'VALIDATION_PHASES',
      `readings[${i}].phases_w add up to ${sum} W but power_w is ${powerW} W; send the phases of the same moment as power_w`,
      { index: i, phases_sum_w: sum },
    );
  }
  return [...phases];
}

/**
 * The ingest service of one way in (HTTP, MQTT, a meter source, line protocol, an import, the
 * demo), counting what it stores under `source` in the readings metric.
 */
export function ingestServiceFor(
  deps: {
    timeseries: TimeSeriesStore;
    metadata: Pick<EstimateBacklog, 'markPendingMany'>;
    queue: JobQueue;
    metrics: Pick<Metrics, 'readingsIngested'>;
    latestReadings?: Pick<LatestReadings, 'note'>;
    now?: () => number;
  },
  log: IngestDeps['log'],
  source: string,
): IngestService {
  return new IngestService({
    timeseries: deps.timeseries,
    backlog: deps.metadata,
    queue: deps.queue,
    now: deps.now,
    log,
    onIngest: (b, r) => {
      deps.metrics.readingsIngested.inc({ source }, r.length);
      deps.latestReadings?.note(b, r);
    },
  });
}
