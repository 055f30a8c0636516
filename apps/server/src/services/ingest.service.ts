/**
 * Ingest: validate a batch of mains readings as a whole (one bad reading rejects the batch and
 * nothing is stored), write it to the time-series store, record in the estimate backlog that
 * these times need estimating, then ask for a disaggregation run. Every path that stores
 * readings (HTTP, MQTT, the demo, imports) comes through here, so every stored reading is in
 * the backlog until a worker has estimated it. Idempotent per (building, ts): a meter that
 * resends a batch changes nothing.
 */
import type { JobQueue } from '@nilm/queue';
import {
  StoreUnavailableError,
  type EstimateBacklog,
  type Reading,
  type TimeSeriesStore,
} from '@nilm/stores';
import { ApiError } from '../errors.js';
import { parseReadingTime } from '../time.parse.js';

/** Readings more than this far in the future are refused (clock skew allowance). */
export const MAX_FUTURE_MS = 5 * 60_000;
/** Readings before this are refused (a meter with an unset clock sends 1970). */
export const MIN_TIME_MS = Date.UTC(2000, 0, 1);
/** Largest plausible household mains power. */
export const MAX_POWER_W = 100_000;

export interface IngestDeps {
  timeseries: TimeSeriesStore;
  /** Where stored readings wait for their estimates (the metadata store). */
  backlog: Pick<EstimateBacklog, 'markPending'>;
  queue: JobQueue;
  now?: () => number;
  log?: { warn: (obj: object, msg: string) => void };
  onIngest?: (buildingId: string, readings: Reading[]) => void;
}

export class IngestService {
  constructor(private readonly deps: IngestDeps) {}

  /** Check every reading; return them sorted and de-duplicated (last value per ts wins). */
  validate(readings: ReadonlyArray<{ ts: string | number; power_w: number }>): Reading[] {
    const now = (this.deps.now ?? Date.now)();
    const byTs = new Map<number, number>();
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
      if (p < 0 || p > MAX_POWER_W) {
        throw new ApiError(
          'VALIDATION_POWER',
          `readings[${i}].power_w ${p} W is outside 0..${MAX_POWER_W} W; send import power in watts`,
          { index: i },
        );
      }
      byTs.set(ts, p);
    });
    return [...byTs.entries()].sort((a, b) => a[0] - b[0]).map(([ts, powerW]) => ({ ts, powerW }));
  }

  /** Store a validated batch and enqueue the building's job. Resolves with the count accepted. */
  async ingest(
    buildingId: string,
    raw: ReadonlyArray<{ ts: string | number; power_w: number }>,
  ): Promise<number> {
    const readings = this.validate(raw);
    try {
      await this.deps.timeseries.writeReadings(buildingId, readings);
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
      await this.deps.backlog.markPending(
        buildingId,
        readings.map((r) => r.ts),
      );
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
      await this.deps.queue.enqueue(buildingId);
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
