/**
 * Sub-meters (issue 13.3): a smart plug bound to one appliance of a building. Its readings are
 * that appliance's ground truth in that home: checked as a batch (one bad reading refuses the
 * batch and nothing is stored) and written to the time-series store as the appliance's sub-meter
 * series, never into the mains, the estimate backlog or the disaggregation queue. Read back
 * bucketed beside the model's estimate for the same appliance.
 */
import { StoreUnavailableError, type Reading, type TimeSeriesStore } from '@nilm/stores';
import { ApiError } from '../errors.js';
import { MAX_FUTURE_MS, MAX_POWER_W, MIN_TIME_MS } from './ingest.service.js';
import { chooseResolution } from './readings.service.js';

/** Most buckets one read returns. */
const MAX_POINTS = 20_000;

/** One bucket: the sub-meter's mean power and the estimate's, each null where there is none. */
export interface SubmeterPoint {
  ts: number;
  powerW: number | null;
  estimateW: number | null;
}

export class SubmeterService {
  constructor(private readonly deps: { timeseries: TimeSeriesStore; now?: () => number }) {}

  /**
   * Store what the sub-meter of `appliance` measured (W, 0 to MAX_POWER_W, at times from 2000 to
   * a few minutes ahead); resolves with the count stored. Bad input is a coded ApiError and
   * nothing is stored.
   */
  async ingest(
    buildingId: string,
    appliance: string,
    readings: readonly Reading[],
  ): Promise<number> {
    const now = (this.deps.now ?? Date.now)();
    readings.forEach((r, i) => {
      if (!Number.isSafeInteger(r.ts) || r.ts < MIN_TIME_MS || r.ts > now + MAX_FUTURE_MS)
        throw new ApiError(
          'VALIDATION_TIME',
          `sub-meter reading ${i} is at ${r.ts}, not between 2000 and now; check the plug's clock`,
          { index: i },
        );
      if (!Number.isFinite(r.powerW) || r.powerW < 0 || r.powerW > MAX_POWER_W)
        throw new ApiError(
          'VALIDATION_POWER',
          `sub-meter reading ${i} is ${r.powerW} W; an appliance draws 0 to ${MAX_POWER_W} W`,
          { index: i },
        );
    });
    try {
      await this.deps.timeseries.writeSubmeter(buildingId, appliance, readings);
    } catch (e) {
      if (e instanceof StoreUnavailableError)
        throw new ApiError(
          'STORE_UNAVAILABLE',
          'the time-series store is unavailable; nothing was stored, retry later',
          undefined,
          5,
        );
      throw e;
    }
    return readings.length;
  }

  /**
   * The sub-meter's power and the estimate for its appliance per bucket over [startMs, endMs),
   * buckets with neither left out.
   */
  async readings(
    buildingId: string,
    appliance: string,
    startMs: number,
    endMs: number,
    resolution?: string,
  ): Promise<{ resolutionS: number; points: SubmeterPoint[] }> {
    if (!(endMs > startMs)) throw new ApiError('VALIDATION_TIME', 'end must be after start');
    const resolutionS = chooseResolution(startMs, endMs, resolution);
    if ((endMs - startMs) / 1000 / resolutionS > MAX_POINTS)
      throw new ApiError(
        'VALIDATION_FAILED',
        `the range holds more than ${MAX_POINTS} points at ${resolutionS} s; choose a coarser resolution or a shorter range`,
      );
    const [metered, buckets] = await Promise.all([
      this.deps.timeseries.readSubmeterBuckets(buildingId, appliance, startMs, endMs, resolutionS),
      this.deps.timeseries.readBuckets(buildingId, startMs, endMs, resolutionS),
    ]);
    const byTs = new Map<number, SubmeterPoint>();
    for (const m of metered) byTs.set(m.ts, { ts: m.ts, powerW: m.powerW, estimateW: null });
    for (const b of buckets) {
      const estimate = b.appliances[appliance];
      if (!estimate) continue;
      const point = byTs.get(b.ts) ?? { ts: b.ts, powerW: null, estimateW: null };
      point.estimateW = estimate.powerW;
      byTs.set(b.ts, point);
    }
    return { resolutionS, points: [...byTs.values()].sort((a, b) => a.ts - b.ts) };
  }
}
