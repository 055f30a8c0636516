/**
 * Where a period's energy went, as parts of one whole that add up to 100 %: each appliance,
 * the always-on baseload, the rest of "Other", and what is not estimated yet.
 *
 * The API's `baseload_kwh` (the period's low mains power held for its duration) overlaps the
 * others: the always-on load is mostly unexplained by appliance heads, so it sits inside
 * `other_kwh`. Rule (README, Dashboard): baseload is taken out of Other first,
 * up to all of Other; any always-on energy beyond that is already in the appliances' estimates
 * (a fridge-freezer head, say) and is not counted twice. So the parts are
 *   appliances + (Other - always-on part) + always-on part + not estimated yet = the whole,
 * the whole being the period's mains energy whenever the appliances do not estimate more than
 * the estimated mains (else their sum, and `overEstimated` says so).
 */
import type { EnergyResponse } from '@nilm/contracts';

/** The fields of an energy period (GET /energy) that the split reads. */
export type PeriodEnergy = Pick<
  EnergyResponse['periods'][number],
  'total_kwh' | 'appliances' | 'other_kwh' | 'pending_kwh' | 'baseload_kwh'
>;

export type SharePartKind = 'appliance' | 'baseload' | 'other' | 'pending';

export interface SharePart {
  kind: SharePartKind;
  /** Appliance name for `appliance`, else the kind. */
  key: string;
  kwh: number;
  /** Whole percent; the parts' percents add up to exactly 100 (largest remainder). */
  percent: number;
}

export interface EnergyShares {
  parts: SharePart[];
  wholeKwh: number;
  /** The API's always-on energy, all of it. */
  baseloadKwh: number;
  /** Always-on energy beyond Other: already inside the appliances' estimates. */
  baseloadInAppliancesKwh: number;
  /** The appliances estimate more than the estimated mains: the whole is their sum. */
  overEstimated: boolean;
}

/** Whole percents of `values` that add up to 100 (largest remainder); all 0 when they sum to 0. */
export function wholePercents(values: readonly number[]): number[] {
  const sum = values.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) return values.map(() => 0);
  const exact = values.map((v) => (100 * v) / sum);
  const out = exact.map(Math.floor);
  const order = exact
    .map((x, i) => ({ i, rest: x - Math.floor(x) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let k = 0, left = 100 - out.reduce((a, b) => a + b, 0); k < left; k++)
    out[order[k % order.length]!.i]!++;
  return out;
}

/** The period's energy split into parts that do not overlap; appliances largest first. */
export function energyShares(p: PeriodEnergy): EnergyShares {
  const appliances = Object.entries(p.appliances)
    .filter(([, kwh]) => kwh > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const other = Math.max(0, p.other_kwh);
  const baseload = Math.max(0, p.baseload_kwh);
  const always = Math.min(baseload, other);
  const pending = Math.max(0, p.pending_kwh);
  const raw: Array<Omit<SharePart, 'percent'>> = [
    ...appliances.map(([key, kwh]) => ({ kind: 'appliance' as const, key, kwh })),
    { kind: 'baseload', key: 'baseload', kwh: always },
    { kind: 'other', key: 'other', kwh: other - always },
    ...(pending > 0 ? [{ kind: 'pending' as const, key: 'pending', kwh: pending }] : []),
  ];
  const percents = wholePercents(raw.map((r) => r.kwh));
  const wholeKwh = raw.reduce((a, r) => a + r.kwh, 0);
  return {
    parts: raw.map((r, i) => ({ ...r, percent: percents[i]! })),
    wholeKwh,
    baseloadKwh: baseload,
    baseloadInAppliancesKwh: baseload - always,
    overEstimated: wholeKwh > p.total_kwh + 1e-9,
  };
}
