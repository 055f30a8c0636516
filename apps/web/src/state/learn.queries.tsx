/**
 * TanStack Query hooks for what the model learns from a home (issue 13): found devices, labels,
 * fine-tune jobs and the building's own models.
 */
import type { DevicePatchBody, FinetuneBody, LabelBody, LabelQuery } from '@nilm/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from './session.js';

/** While a fine-tune is queued or running its progress is read again this often. */
export const FINETUNE_POLL_MS = 2000;

/** What a named or merged device changes: the devices, and the estimates it now has. */
const DEVICE_VIEWS = ['devices', 'appliances', 'readings', 'energy'];

export function useDevices(buildingId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['devices', buildingId],
    queryFn: ({ signal }) => api.devices(buildingId, signal),
  });
}

/** Owner: every device action (discover, name, merge, dismiss) reads the views again after. */
function useDeviceAction<A, R>(buildingId: string, run: (a: A) => Promise<R>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: () =>
      Promise.all(
        DEVICE_VIEWS.map((key) => queryClient.invalidateQueries({ queryKey: [key, buildingId] })),
      ),
  });
}

export function useDeviceActions(buildingId: string) {
  const { api } = useSession();
  return {
    discover: useDeviceAction(buildingId, () => api.discoverDevices(buildingId)),
    update: useDeviceAction(buildingId, (a: { id: string; body: DevicePatchBody }) =>
      api.updateDevice(buildingId, a.id, a.body),
    ),
    merge: useDeviceAction(buildingId, (a: { id: string; into: string }) =>
      api.mergeDevice(buildingId, a.id, a.into),
    ),
    dismiss: useDeviceAction(buildingId, (id: string) => api.dismissDevice(buildingId, id)),
  };
}

export function useLabels(buildingId: string, query: LabelQuery = {}) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['labels', buildingId, query],
    queryFn: ({ signal }) => api.labels(buildingId, query, signal),
  });
}

export function useCreateLabel(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: LabelBody) => api.createLabel(buildingId, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['labels', buildingId] }),
  });
}

export function useDeleteLabel(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (labelId: string) => api.deleteLabel(buildingId, labelId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['labels', buildingId] }),
  });
}

/** Fine-tune jobs, read again every FINETUNE_POLL_MS while the newest is queued or running. */
export function useFinetuneJobs(buildingId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['finetune', buildingId],
    queryFn: ({ signal }) => api.finetuneJobs(buildingId, signal),
    refetchInterval: (q) => {
      const s = q.state.data?.jobs[0]?.status;
      return s === 'queued' || s === 'running' ? FINETUNE_POLL_MS : false;
    },
  });
}

export function useStartFinetune(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: FinetuneBody) => api.startFinetune(buildingId, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['finetune', buildingId] }),
  });
}

/** Owner: cancel a queued or running fine-tune (a running one stops within seconds). */
export function useCancelFinetune(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (jobId: string) => api.cancelFinetune(buildingId, jobId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['finetune', buildingId] }),
  });
}

/** The building's own models; read again when a job ends (the page asks). */
export function useBuildingModels(buildingId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['building-models', buildingId],
    queryFn: ({ signal }) => api.buildingModels(buildingId, signal),
  });
}

/** Owner: activate or discard one of the building's models. */
export function useBuildingModelAction(buildingId: string, action: 'activate' | 'discard') {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ref: string) =>
      action === 'activate'
        ? api.activateBuildingModel(buildingId, ref)
        : api.discardBuildingModel(buildingId, ref),
    onSuccess: () =>
      Promise.all(
        ['building-models', 'building', 'appliances-present', 'appliances'].map((key) =>
          queryClient.invalidateQueries({ queryKey: [key, buildingId] }),
        ),
      ),
  });
}
