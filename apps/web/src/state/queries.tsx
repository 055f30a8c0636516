/** TanStack Query hooks over the API client: one per resource the pages read. */
import type { EnergyQuery, RangeQuery } from '@nilm/contracts';
import { useQuery } from '@tanstack/react-query';
import { useSession } from './session.js';

export function useBuildings() {
  const { api } = useSession();
  return useQuery({ queryKey: ['buildings'], queryFn: ({ signal }) => api.buildings(signal) });
}

export function useAppliances(buildingId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['appliances', buildingId],
    queryFn: ({ signal }) => api.appliances(buildingId, signal),
  });
}

/** Readings refresh every minute for short ranges; long ranges change too slowly to bother. */
export function useReadings(
  buildingId: string,
  query: RangeQuery,
  refetchMs = 60_000,
  enabled = true,
) {
  const { api } = useSession();
  return useQuery({
    enabled,
    queryKey: ['readings', buildingId, query],
    queryFn: ({ signal }) => api.readings(buildingId, query, signal),
    refetchInterval: refetchMs,
    placeholderData: (prev) => prev,
  });
}

export function useEnergy(buildingId: string, query: EnergyQuery, refetchMs = 60_000) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['energy', buildingId, query],
    queryFn: ({ signal }) => api.energy(buildingId, query, signal),
    refetchInterval: refetchMs,
  });
}
