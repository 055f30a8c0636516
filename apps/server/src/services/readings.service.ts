/**
 * Reading history for people: mains and per-appliance estimates on one time axis at a
 * resolution that fits the chart, energy per day/week/month with "other" and baseload, and
 * the same as CSV.
 */
import { zonedClock, zonedMidnight } from '@nilm/contracts';
import type { TimeSeriesStore, Bucket, GridPoint } from '@nilm/stores';
import { ApiError } from '../errors.js';
import { type ApplianceView, type PresentAppliances } from './appliances.service.js';
import {
  EnergyDayCache,
  EnergyDays,
  nthSmallest,
  sumParts,
  type EnergyPart,
  type Piece,
} from './energy.days.js';

/** Every appliance shown, on at 0.5: for a caller that knows no building settings. */
const SHOW_ALL: ApplianceView = { present: null, onProbThreshold: new Map() };

/** The kWh range an appliance likely used in a period (see `energy`). */
export interface KwhRange {
  lowKwh: number;
  highKwh: number;
}

export const RESOLUTIONS_S: Record<string, number> = {
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '1h': 3600,
  '1d': 86_400,
};
const AUTO_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];

/** Longest range one request may ask for at each resolution, so a query stays bounded. */
const MAX_POINTS = 100_000;

/** The bucket size for a range: the named one, or the smallest step giving at most `points`. */
export function chooseResolution(
  startMs: number,
  endMs: number,
  resolution: string | undefined,
  points = 1000,
): number {
  if (resolution && resolution !== 'auto') {
    const s = RESOLUTIONS_S[resolution];
    if (!s)
      throw new ApiError(
        'VALIDATION_FAILED',
        `resolution must be one of ${Object.keys(RESOLUTIONS_S).join(', ')} or auto`,
      );
    return s;
  }
  const span = (endMs - startMs) / 1000;
  return AUTO_STEPS.find((s) => span / s <= points) ?? 86_400;
}

export interface ReadingsResult {
  resolutionS: number;
  appliances: string[];
  buckets: Bucket[];
  /** Grid measurements by bucket start, where the meter reports them. */
  grid: Map<number, GridPoint>;
  /**
   * Share of the buckets with readings that also have estimates, 0..1; null when none has
   * readings. Below 1 while the worker is still estimating (history just imported).
   */
  estimateCoverage: number | null;
}

export interface EnergyPeriodResult {
  startMs: number;
  endMs: number;
  totalKwh: number;
  appliances: Record<string, number>;
  /**
   * Likely range of each appliance's kWh; null where an on-minute's estimate has no band (stored
   * before the model gave one, or by a model without one).
   */
  ranges: Record<string, KwhRange | null>;
  /** Mains energy of estimated minutes that the appliances do not explain. */
  otherKwh: number;
  /** Mains energy of minutes that have readings but no estimates yet. */
  pendingKwh: number;
  baseloadKwh: number;
  coverage: number;
  /** Share of the minutes with readings that have estimates; null without readings. */
  estimateCoverage: number | null;
  /** Grid energy where the meter measures it (null otherwise). */
  importKwh: number | null;
  exportKwh: number | null;
  productionKwh: number | null;
  selfConsumptionKwh: number | null;
}

export interface ReadingsServiceOptions {
  /**
   * Finished days' energy kept between requests (a new cache by default; null: none), checked
   * on every use against the store's rollups (energy.days.ts).
   */
  energyCache?: EnergyDayCache | null;
  /** The clock that says which days are finished (only which are worth caching). */
  now?: () => number;
  /**
   * The longest stretch of minutes one store read of the energy report asks for (default 31
   * days; a whole number of minutes).
   */
  minuteReadMs?: number;
}

export class ReadingsService {
  private readonly days: EnergyDays;

  constructor(
    private readonly timeseries: TimeSeriesStore,
    private readonly view: (buildingId: string) => Promise<ApplianceView> = () =>
      Promise.resolve(SHOW_ALL),
    options: ReadingsServiceOptions = {},
  ) {
    const cache = options.energyCache === undefined ? new EnergyDayCache() : options.energyCache;
    this.days = new EnergyDays(timeseries, cache, options.now ?? Date.now, options.minuteReadMs);
  }

  /** Buckets of mains and estimates over [start, end). */
  async readings(
    buildingId: string,
    startMs: number,
    endMs: number,
    resolution?: string,
    points?: number,
  ): Promise<ReadingsResult> {
    if (!(endMs > startMs))
      throw new ApiError('VALIDATION_TIME', 'end must be after start', {
        start: startMs,
        end: endMs,
      });
    const resolutionS = chooseResolution(startMs, endMs, resolution, points);
    if ((endMs - startMs) / 1000 / resolutionS > MAX_POINTS) {
      throw new ApiError(
        'VALIDATION_FAILED',
        `the range holds more than ${MAX_POINTS} points at ${resolutionS} s; choose a coarser resolution or a shorter range`,
      );
    }
    const [stored, gridPoints, view] = await Promise.all([
      this.timeseries.readBuckets(buildingId, startMs, endMs, resolutionS),
      this.timeseries.readGridBuckets(buildingId, startMs, endMs, resolutionS),
      this.view(buildingId),
    ]);
    const buckets = stored.map((b) => shownOnly(b, view.present));
    const grid = new Map(gridPoints.map((g) => [g.ts, g]));
    const names = new Set<string>();
    let withMains = 0;
    let estimated = 0;
    buckets.forEach((b, i) => {
      for (const a of Object.keys(b.appliances)) names.add(a);
      // Estimated means the worker has been over the minute, whichever appliances are shown.
      if (b.powerW !== null) {
        withMains++;
        if (Object.keys(stored[i]!.appliances).length > 0) estimated++;
      }
    });
    return {
      resolutionS,
      appliances: [...names].sort(),
      buckets,
      grid,
      estimateCoverage: withMains === 0 ? null : estimated / withMains,
    };
  }

  /**
   * kWh per period (local days, weeks from Monday, calendar months in `timeZone`), per appliance, with
   * "other" (mains the appliances do not explain, floored at 0) and baseload (the period's 5th
   * percentile of minute mains power, held for the period's covered time). Minutes without
   * data count for nothing; `coverage` says how much of the period had data. Minutes with
   * readings but no estimates yet (the worker is still on them) count as `pendingKwh`, not as
   * "other", and `estimateCoverage` says what share of the minutes with readings is estimated.
   *
   * Only the appliances the building has are listed; the power estimated for the others counts
   * as "other". Each listed appliance has a likely range: its band's low and high ends summed
   * over its on-minutes (onProb at or above its threshold), plus its estimate on the other
   * minutes. The band is meant to hold one minute's true power 90 % of the time; summing its
   * ends assumes every minute errs the same way, so the range is wider than a 90 % interval of
   * the total (conservative).
   *
   * Finished local days come from a cache of their minute sums when the store's rollups say
   * their data is unchanged (energy.days.ts), with the same numbers as from the minutes.
   */
  async energy(
    buildingId: string,
    startMs: number,
    endMs: number,
    period: 'day' | 'week' | 'month' | 'span',
    timeZone = 'UTC',
  ): Promise<EnergyPeriodResult[]> {
    if (!(endMs > startMs)) throw new ApiError('VALIDATION_TIME', 'end must be after start');
    if (endMs - startMs > 400 * 86_400_000)
      throw new ApiError(
        'VALIDATION_FAILED',
        'an energy report covers at most 400 days; shorten the range',
      );
    const edges = periodEdges(startMs, endMs, period, timeZone);
    const pieces =
      period === 'day'
        ? edges.slice(1).map((to, i) => ({ from: edges[i]!, to, whole: true }))
        : dayPieces(edges[0]!, edges.at(-1)!, timeZone);
    const parts = await this.days.read(buildingId, pieces, this.view(buildingId));
    const out: EnergyPeriodResult[] = [];
    let k = 0;
    for (let p = 0; p + 1 < edges.length; p++) {
      const from = edges[p]!;
      const to = edges[p + 1]!;
      const first = k;
      while (k < pieces.length && pieces[k]!.to <= to) k++;
      out.push(periodResult(from, to, parts.slice(first, k)));
    }
    return out;
  }
}

/**
 * [from, to) cut at the local midnights inside it: whole local days, and the part of a day
 * at either end when from or to is not a midnight (a span).
 */
function dayPieces(from: number, to: number, timeZone: string): Piece[] {
  const midnights = periodEdges(from, to, 'day', timeZone);
  const pieces: Piece[] = [];
  for (let i = 0; i + 1 < midnights.length; i++) {
    const a = Math.max(midnights[i]!, from);
    const b = Math.min(midnights[i + 1]!, to);
    if (a < b) pieces.push({ from: a, to: b, whole: a === midnights[i] && b === midnights[i + 1] });
  }
  return pieces;
}

/** One report period from the parts of its stretches (see `energy`). */
function periodResult(from: number, to: number, parts: readonly EnergyPart[]): EnergyPeriodResult {
  const sum = sumParts(parts);
  const kwh = (w: number): number => (w * 60) / 3_600_000;
  const gridKwh = (w: number | null): number | null => (w === null ? null : kwh(w));
  const base =
    sum.covered > 0
      ? nthSmallest(
          parts.map((x) => x.mains),
          Math.floor(0.05 * (sum.covered - 1)),
        )
      : 0;
  const appliances = Object.fromEntries([...sum.apps].map(([a, w]) => [a, kwh(w)]));
  const tracked = Object.values(appliances).reduce((x, y) => x + y, 0);
  return {
    startMs: from,
    endMs: to,
    totalKwh: kwh(sum.total),
    appliances,
    ranges: Object.fromEntries(
      [...sum.bands].map(([a, r]) => [
        a,
        r.known ? { lowKwh: kwh(r.low), highKwh: kwh(r.high) } : null,
      ]),
    ),
    otherKwh: Math.max(0, kwh(sum.total - sum.pending) - tracked),
    pendingKwh: kwh(sum.pending),
    baseloadKwh: kwh(base * sum.covered),
    coverage: sum.covered / ((to - from) / 60_000),
    estimateCoverage: sum.covered === 0 ? null : sum.estimated / sum.covered,
    importKwh: gridKwh(sum.grid.importW),
    exportKwh: gridKwh(sum.grid.exportW),
    productionKwh: gridKwh(sum.grid.productionW),
    selfConsumptionKwh:
      sum.grid.productionW === null
        ? null
        : Math.max(0, kwh(sum.grid.productionW) - (gridKwh(sum.grid.exportW) ?? 0)),
  };
}

/**
 * Period boundaries covering [start, end) in the building's time zone: local days, ISO weeks
 * (from Monday) or calendar months, each starting at local midnight (so a day in a DST change
 * lasts 23 or 25 hours); `span` is the one period [start, end) as given.
 */
export function periodEdges(
  startMs: number,
  endMs: number,
  period: 'day' | 'week' | 'month' | 'span',
  timeZone = 'UTC',
): number[] {
  if (period === 'span') return [startMs, endMs];
  const first = zonedClock(startMs, timeZone);
  // Walk calendar dates with UTC arithmetic on the date alone, then map each to its local midnight.
  let date = new Date(Date.UTC(first.y, first.m - 1, period === 'month' ? 1 : first.d));
  if (period === 'week') date = new Date(date.getTime() - first.weekday * 86_400_000);
  const edge = (dt: Date): number =>
    zonedMidnight(dt.getUTCFullYear(), dt.getUTCMonth() + 1, dt.getUTCDate(), timeZone);
  const edges = [edge(date)];
  while (edges[edges.length - 1]! < endMs) {
    if (period === 'day') date = new Date(date.getTime() + 86_400_000);
    else if (period === 'week') date = new Date(date.getTime() + 7 * 86_400_000);
    else date = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
    edges.push(edge(date));
  }
  return edges;
}

/** CSV of readings: time, mains, then power and on-probability per appliance. */
export function readingsCsv(r: ReadingsResult): string {
  const head = ['time', 'mains_w', ...r.appliances.flatMap((a) => [`${a}_w`, `${a}_on_prob`])];
  const rows = r.buckets.map((b) =>
    [
      new Date(b.ts).toISOString(),
      b.powerW === null ? '' : b.powerW.toFixed(1),
      ...r.appliances.flatMap((a) => {
        const v = b.appliances[a];
        return v ? [v.powerW.toFixed(1), v.onProb.toFixed(3)] : ['', ''];
      }),
    ].join(','),
  );
  return [head.join(','), ...rows].join('\n') + '\n';
}

/** The bucket with only the appliances the building has. */
function shownOnly(b: Bucket, present: PresentAppliances): Bucket {
  if (present === null) return b;
  return {
    ...b,
    appliances: Object.fromEntries(Object.entries(b.appliances).filter(([a]) => present.has(a))),
  };
}

/**
 * CSV of an energy report: per appliance its kWh and likely range (`_kwh_low`, `_kwh_high`,
 * empty where the range is unknown).
 */
export function energyCsv(periods: EnergyPeriodResult[]): string {
  const names = [...new Set(periods.flatMap((p) => Object.keys(p.appliances)))].sort();
  const head = [
    'start',
    'end',
    'total_kwh',
    ...names.flatMap((a) => [`${a}_kwh`, `${a}_kwh_low`, `${a}_kwh_high`]),
    'other_kwh',
    'baseload_kwh',
    'coverage',
    'pending_kwh',
    'estimate_coverage',
  ];
  const rows = periods.map((p) =>
    [
      new Date(p.startMs).toISOString(),
      new Date(p.endMs).toISOString(),
      p.totalKwh.toFixed(3),
      ...names.flatMap((a) => {
        const range = p.ranges[a];
        return [
          (p.appliances[a] ?? 0).toFixed(3),
          // No estimate in the period: nothing used, surely; a null range: unknown.
          range ? range.lowKwh.toFixed(3) : p.appliances[a] === undefined ? '0.000' : '',
          range ? range.highKwh.toFixed(3) : p.appliances[a] === undefined ? '0.000' : '',
        ];
      }),
      p.otherKwh.toFixed(3),
      p.baseloadKwh.toFixed(3),
      p.coverage.toFixed(3),
      p.pendingKwh.toFixed(3),
      p.estimateCoverage === null ? '' : p.estimateCoverage.toFixed(3),
    ].join(','),
  );
  return [head.join(','), ...rows].join('\n') + '\n';
}
