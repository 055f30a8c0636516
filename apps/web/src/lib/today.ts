/** Today's window and cost: pure helpers for the dashboard's "Today" panel. */
import type { ReadingsResponse } from '@nilm/contracts';
import { costOf, kwhOf, type EnergySlice, type Tariff } from './tariff.js';

/** Start of the current UTC day, ISO; the API's energy periods are UTC days. */
export function startOfUtcDay(now: Date): string {
  return new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()),
  ).toISOString();
}

/** Mains readings as energy slices (one per bucket; missing mains is no energy). */
export function slicesOf(res: Pick<ReadingsResponse, 'points' | 'resolution_s'>): EnergySlice[] {
  return res.points.flatMap((p) => {
    if (p.power_w === null) return [];
    const start = new Date(p.time);
    return [
      {
        start,
        end: new Date(start.getTime() + res.resolution_s * 1000),
        kwh: kwhOf(p.power_w, res.resolution_s),
      },
    ];
  });
}

/** Cost of today's energy: kWh x price for a flat tariff; priced per bucket under time-of-use. */
export function todayCost(
  kwh: number,
  tariff: Tariff,
  readings?: Pick<ReadingsResponse, 'points' | 'resolution_s'>,
): number | undefined {
  if (tariff.bands.length === 0) return kwh * tariff.pricePerKwh;
  return readings ? costOf(slicesOf(readings), tariff) : undefined;
}
