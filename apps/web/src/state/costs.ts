/**
 * Cost per period of an energy report under the building's tariff. A flat tariff needs nothing
 * more than `/energy`; a time-of-use tariff also loads the hourly power profile over exactly the
 * report's periods (`/readings?resolution=1h`, about 2 200 points for 90 days) to see when the
 * energy was used, and a dynamic tariff its stored prices over the span. Pricing itself is
 * lib/pricing.ts.
 */
import type { EnergyResponse } from '@nilm/contracts';
import { useMemo } from 'react';
import { hasTimeOfUse, periodCosts, type PeriodCost } from '../lib/pricing.js';
import type { Tariff } from '../lib/tariff.js';
import { useTariffWithPrices } from './prices.js';
import { useReadings } from './queries.js';

/** The profile changes only at the newest hour, and `/energy` keeps the kWh fresh meanwhile. */
const PROFILE_REFRESH_MS = 5 * 60_000;

export interface PeriodCosts {
  /** One per period of `energy`, undefined until they can be priced. */
  costs?: PeriodCost[];
  /** Why the hourly profile could not be loaded (time-of-use only). */
  error: unknown;
  refetch: () => void;
}

/**
 * Costs per period of `energy` under `tariff` (undefined while the building's tariff loads),
 * loading the hourly profile when bands need it.
 */
export function usePeriodCosts(
  buildingId: string,
  energy: EnergyResponse | undefined,
  building: Tariff | undefined,
): PeriodCosts {
  const first = energy?.periods[0];
  const last = energy?.periods.at(-1);
  // A dynamic tariff prices each minute from the prices stored over the report's span.
  const withPrices = useTariffWithPrices(buildingId, building, first?.start, last?.end);
  const tariff = withPrices.tariff;
  const tou =
    tariff !== undefined && (hasTimeOfUse(tariff) || (building?.dynamic ?? null) !== null);
  const profile = useReadings(
    buildingId,
    { start: first?.start ?? '', end: last?.end, resolution: '1h' },
    PROFILE_REFRESH_MS,
    tou && first !== undefined,
  );
  // A profile kept from the previous span or building would price the wrong hours.
  const hours = profile.isPlaceholderData ? undefined : profile.data;
  const costs = useMemo(
    () => (energy && tariff ? periodCosts(energy, tariff, hours) : undefined),
    [energy, tariff, hours],
  );
  return {
    costs,
    error: withPrices.error ?? (tou ? profile.error : null),
    refetch: () => void profile.refetch(),
  };
}
