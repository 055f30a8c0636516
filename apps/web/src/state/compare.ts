/**
 * Compare's data: the two `/energy?period=span` answers for this week (or month) so far and the
 * same stretch before, in the building's time zone, compared by lib/compare.ts. Shared by the
 * Reports page's Compare section and the dashboard's one-line summary.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import {
  compareEnergy,
  compareWindows,
  windowNames,
  type CompareMode,
  type Window,
} from '../lib/compare.js';
import { useAppliances, useBuildings } from './queries.js';
import { useSession } from './session.js';

function useSpan(buildingId: string, w: Window | undefined) {
  const { api } = useSession();
  const query = { start: w?.start ?? '', end: w?.end ?? '', period: 'span' as const };
  return useQuery({
    // The same key shape as useEnergy, so equal questions share one answer.
    queryKey: ['energy', buildingId, query],
    queryFn: ({ signal }) => api.energy(buildingId, query, signal),
    enabled: w !== undefined,
    refetchInterval: 60_000,
    // The windows move on each minute: keep showing the last answer while the next one loads.
    placeholderData: keepPreviousData,
  });
}

/**
 * `mode`'s comparison for a building at this minute: `windows` undefined while the building's
 * zone is loading or the period has only just begun (`justBegun`).
 */
export function useComparison(buildingId: string, mode: CompareMode) {
  const buildings = useBuildings();
  const building = buildings.data?.buildings.find((b) => b.id === buildingId);
  const timeZone = building?.timezone ?? 'UTC';
  const zoneKnown = buildings.data !== undefined;
  const windows = zoneKnown ? compareWindows(mode, new Date(), timeZone) : undefined;
  const now = useSpan(buildingId, windows?.now);
  const before = useSpan(buildingId, windows?.before);
  const list = useAppliances(buildingId);
  // Row names are in the language shown: a new language makes them again.
  const { i18n } = useTranslation();
  const comparison = useMemo(() => {
    if (!now.data || !before.data) return undefined;
    const labels = new Map(list.data?.appliances.map((a) => [a.name, a.label]));
    return compareEnergy(now.data.periods[0], before.data.periods[0], labels);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the language is read inside, by i18n.t
  }, [now.data, before.data, list.data, i18n.language]);
  return {
    timeZone,
    windows,
    names: windows && windowNames(windows, timeZone),
    justBegun: zoneKnown && windows === undefined,
    comparison,
    error: buildings.error ?? now.error ?? before.error,
    refetch: () => {
      void now.refetch();
      void before.refetch();
    },
  };
}
