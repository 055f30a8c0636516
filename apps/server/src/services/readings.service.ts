/**
 * Reading history for people: mains and per-appliance estimates on one time axis at a
 * resolution that fits the chart, energy per day/week/month with "other" and baseload, and
 * the same as CSV.
 */
import type { TimeSeriesStore, Bucket } from '@nilm/stores';
import { ApiError } from '../errors.js';

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
}

export interface EnergyPeriodResult {
  startMs: number;
  endMs: number;
  totalKwh: number;
  appliances: Record<string, number>;
  otherKwh: number;
  baseloadKwh: number;
  coverage: number;
}

export class ReadingsService {
  constructor(private readonly timeseries: TimeSeriesStore) {}

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
    const buckets = await this.timeseries.readBuckets(buildingId, startMs, endMs, resolutionS);
    const names = new Set<string>();
    for (const b of buckets) for (const a of Object.keys(b.appliances)) names.add(a);
    return { resolutionS, appliances: [...names].sort(), buckets };
  }

  /**
   * kWh per period (UTC-aligned days; weeks from Monday; calendar months), per appliance, with
   * "other" (mains the appliances do not explain, floored at 0) and baseload (the period's 5th
   * percentile of minute mains power, held for the period's covered time). Minutes without
   * data count for nothing; `coverage` says how much of the period had data.
   */
  async energy(
    buildingId: string,
    startMs: number,
    endMs: number,
    period: 'day' | 'week' | 'month',
  ): Promise<EnergyPeriodResult[]> {
    if (!(endMs > startMs)) throw new ApiError('VALIDATION_TIME', 'end must be after start');
    if (endMs - startMs > 400 * 86_400_000)
      throw new ApiError(
        'VALIDATION_FAILED',
        'an energy report covers at most 400 days; shorten the range',
      );
    const edges = periodEdges(startMs, endMs, period);
    const minute = await this.timeseries.readBuckets(
      buildingId,
      edges[0]!,
      edges[edges.length - 1]!,
      60,
    );
    const out: EnergyPeriodResult[] = [];
    let j = 0;
    for (let p = 0; p + 1 < edges.length; p++) {
      const from = edges[p]!;
      const to = edges[p + 1]!;
      let total = 0;
      let covered = 0;
      const mains: number[] = [];
      const apps: Record<string, number> = {};
      while (j < minute.length && minute[j]!.ts < to) {
        const b = minute[j]!;
        j++;
        if (b.ts < from) continue;
        if (b.powerW !== null) {
          total += b.powerW;
          covered++;
          mains.push(b.powerW);
        }
        for (const [a, v] of Object.entries(b.appliances)) apps[a] = (apps[a] ?? 0) + v.powerW;
      }
      const kwh = (w: number): number => (w * 60) / 3_600_000;
      mains.sort((x, y) => x - y);
      const base = mains.length ? mains[Math.floor(0.05 * (mains.length - 1))]! : 0;
      const appliances = Object.fromEntries(Object.entries(apps).map(([a, w]) => [a, kwh(w)]));
      const tracked = Object.values(appliances).reduce((x, y) => x + y, 0);
      out.push({
        startMs: from,
        endMs: to,
        totalKwh: kwh(total),
        appliances,
        otherKwh: Math.max(0, kwh(total) - tracked),
        baseloadKwh: kwh(base * covered),
        coverage: covered / ((to - from) / 60_000),
      });
    }
    return out;
  }
}

/** Period boundaries covering [start, end): UTC days, ISO weeks (Monday) or calendar months. */
export function periodEdges(
  startMs: number,
  endMs: number,
  period: 'day' | 'week' | 'month',
): number[] {
  const d = new Date(startMs);
  let t: Date;
  if (period === 'month') t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  else {
    t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    if (period === 'week') t = new Date(t.getTime() - ((t.getUTCDay() + 6) % 7) * 86_400_000);
  }
  const edges = [t.getTime()];
  while (edges[edges.length - 1]! < endMs) {
    const last = new Date(edges[edges.length - 1]!);
    if (period === 'day') edges.push(last.getTime() + 86_400_000);
    else if (period === 'week') edges.push(last.getTime() + 7 * 86_400_000);
    else edges.push(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() + 1, 1));
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

/** CSV of an energy report. */
export function energyCsv(periods: EnergyPeriodResult[]): string {
  const names = [...new Set(periods.flatMap((p) => Object.keys(p.appliances)))].sort();
  const head = [
    'start',
    'end',
    'total_kwh',
    ...names.map((a) => `${a}_kwh`),
    'other_kwh',
    'baseload_kwh',
    'coverage',
  ];
  const rows = periods.map((p) =>
    [
      new Date(p.startMs).toISOString(),
      new Date(p.endMs).toISOString(),
      p.totalKwh.toFixed(3),
      ...names.map((a) => (p.appliances[a] ?? 0).toFixed(3)),
      p.otherKwh.toFixed(3),
      p.baseloadKwh.toFixed(3),
      p.coverage.toFixed(3),
    ].join(','),
  );
  return [head.join(','), ...rows].join('\n') + '\n';
}
