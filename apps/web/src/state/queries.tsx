/** TanStack Query hooks over the API client: one per resource the pages read. */
import type { EnergyQuery, RangeQuery } from '@nilm/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
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

export function useModels() {
  const { api } = useSession();
  return useQuery({ queryKey: ['models'], queryFn: ({ signal }) => api.models(signal) });
}

export function useModelCard(ref: string | null) {
  const { api } = useSession();
  return useQuery({
    enabled: ref !== null,
    queryKey: ['model-card', ref],
    queryFn: ({ signal }) => api.modelCard(ref ?? '', signal),
  });
}

/** Admin: make a model version the active one; the model list is refetched afterwards. */
export function useActivateModel() {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ref: string) => api.activateModel(ref),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['models'] }),
  });
}
