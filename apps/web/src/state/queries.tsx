/** TanStack Query hooks over the API client: one per resource the pages read. */
import type {
  CreateBuildingBody,
  CreateUserBody,
  EnergyQuery,
  MemberBody,
  RangeQuery,
  RunsQuery,
  SourceBody,
  TariffBody,
  UpdateBuildingBody,
} from '@nilm/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { fromTariffResponse } from '../lib/tariff.js';
import { useSession } from './session.js';

/** How to sign in here; it changes only when the server is reconfigured and restarted. */
export function useAuthConfig() {
  const { api } = useSession();
  return useQuery({
    queryKey: ['auth-config'],
    queryFn: ({ signal }) => api.authConfig(signal),
    staleTime: Infinity,
  });
}

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

/** The model's heads and which of them the building has (the Building page's checklist). */
export function useAppliancesPresent(buildingId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['appliances-present', buildingId],
    queryFn: ({ signal }) => api.appliancesPresent(buildingId, signal),
  });
}

/**
 * Owner or admin: say which appliances the building has. Every view of its estimates hides the
 * others (history too), so they are all read again.
 */
export function useSetAppliancesPresent(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (appliances: string[]) => api.setAppliancesPresent(buildingId, { appliances }),
    onSuccess: async (saved) => {
      queryClient.setQueryData(['appliances-present', buildingId], saved);
      await Promise.all(
        ['appliances', 'readings', 'energy', 'appliance-runs'].map((key) =>
          queryClient.invalidateQueries({ queryKey: [key, buildingId] }),
        ),
      );
    },
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

/** An appliance's runs; refreshed every minute like the readings beside them. */
export function useApplianceRuns(
  buildingId: string,
  name: string,
  query: RunsQuery,
  refetchMs = 60_000,
) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['appliance-runs', buildingId, name, query],
    queryFn: ({ signal }) => api.applianceRuns(buildingId, name, query, signal),
    refetchInterval: refetchMs,
    // Keep the last range's runs while the next loads, never another appliance's.
    placeholderData: (prev) =>
      prev?.building_id === buildingId && prev.appliance === name ? prev : undefined,
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

export function useBuilding(buildingId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['building', buildingId],
    queryFn: ({ signal }) => api.building(buildingId, signal),
  });
}

/** Owner or admin: rename a building or change its time zone. */
export function useUpdateBuilding(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateBuildingBody) => api.updateBuilding(buildingId, body),
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['buildings'] }),
        queryClient.invalidateQueries({ queryKey: ['building', buildingId] }),
        // Energy periods follow the building's time zone.
        queryClient.invalidateQueries({ queryKey: ['energy', buildingId] }),
      ]);
    },
  });
}

/**
 * The building's tariff, shared by everyone who sees the building; the server's default
 * (`isDefault`) until an owner sets one. Every page that prices energy reads it from here.
 */
export function useTariff(buildingId: string) {
  const { api } = useSession();
  return useQuery({
    enabled: buildingId !== '',
    queryKey: ['tariff', buildingId],
    queryFn: ({ signal }) => api.tariff(buildingId, signal),
    select: fromTariffResponse,
  });
}

/** Owner or admin: replace the building's tariff. */
export function useSetTariff(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TariffBody) => api.setTariff(buildingId, body),
    onSuccess: (saved) => queryClient.setQueryData(['tariff', buildingId], saved),
  });
}

/** Admin: create a building. */
export function useCreateBuilding() {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateBuildingBody) => api.createBuilding(body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['buildings'] }),
  });
}

/** Admin: delete a building with all its readings. */
export function useDeleteBuilding() {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (buildingId: string) => api.deleteBuilding(buildingId),
    onSuccess: (_r, buildingId) => {
      queryClient.removeQueries({ queryKey: ['building', buildingId] });
      return queryClient.invalidateQueries({ queryKey: ['buildings'] });
    },
  });
}

/** Members and roles (owners and admins only: pass `enabled` false for anyone else). */
export function useMembers(buildingId: string, enabled = true) {
  const { api } = useSession();
  return useQuery({
    enabled,
    queryKey: ['members', buildingId],
    queryFn: ({ signal }) => api.members(buildingId, signal),
  });
}

/** Add a member by e-mail or user id, or change a member's role. */
export function useSetMember(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: MemberBody) => api.setMember(buildingId, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['members', buildingId] }),
  });
}

export function useRemoveMember(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => api.removeMember(buildingId, userId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['members', buildingId] }),
  });
}

/** Device tokens (owners and admins only: pass `enabled` false for anyone else). */
export function useDeviceTokens(buildingId: string, enabled = true) {
  const { api } = useSession();
  return useQuery({
    enabled,
    queryKey: ['tokens', buildingId],
    queryFn: ({ signal }) => api.deviceTokens(buildingId, signal),
  });
}

export function useCreateDeviceToken(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.createDeviceToken(buildingId, name),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tokens', buildingId] }),
  });
}

export function useRevokeDeviceToken(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (tokenId: string) => api.revokeDeviceToken(buildingId, tokenId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tokens', buildingId] }),
  });
}

/** How often a building's meters' status is read again: "last seen 3 s ago" must stay true. */
export const SOURCES_REFRESH_MS = 3000;

/** The building's meters and their live status (owners and admins only). */
export function useSources(buildingId: string, refetchMs = SOURCES_REFRESH_MS) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['sources', buildingId],
    queryFn: ({ signal }) => api.sources(buildingId, signal),
    refetchInterval: refetchMs,
  });
}

/** Add a meter; a 422 error names the bad setting (settingOf). */
export function useCreateSource(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SourceBody) => api.createSource(buildingId, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['sources', buildingId] }),
  });
}

export function useDeleteSource(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (sourceId: string) => api.deleteSource(buildingId, sourceId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['sources', buildingId] }),
  });
}

/** How meters send readings here (HTTP path, MQTT broker and topic); changes only on restart. */
export function useIngestInfo(enabled = true) {
  const { api } = useSession();
  return useQuery({
    enabled,
    queryKey: ['ingest-info'],
    queryFn: ({ signal }) => api.ingestInfo(signal),
    staleTime: Infinity,
  });
}

/** Admin: local accounts (the server answers 404 with a reason under external auth). */
export function useUsers(enabled = true) {
  const { api } = useSession();
  return useQuery({
    enabled,
    queryKey: ['users'],
    queryFn: ({ signal }) => api.users(signal),
  });
}

/** Admin: create a local account; a generated password is in the answer, once. */
export function useCreateUser() {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateUserBody) => api.createUser(body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
}
