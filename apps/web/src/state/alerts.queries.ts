/** TanStack Query hooks for a building's alert settings and alert history. */
import type { AlertSettingsBody } from '@nilm/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from './session.js';

/** How often the history is read again while shown (a pending delivery changes by itself). */
export const ALERTS_REFRESH_MS = 15_000;

/** The building's alert rules and channels (the defaults, all off, until an owner saves). */
export function useAlertSettings(buildingId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['alert-settings', buildingId],
    queryFn: ({ signal }) => api.alertSettings(buildingId, signal),
  });
}

/** Owner or admin: replace the building's alert rules and channels. */
export function useSetAlertSettings(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: AlertSettingsBody) => api.setAlertSettings(buildingId, body),
    onSuccess: (saved) => queryClient.setQueryData(['alert-settings', buildingId], saved),
  });
}

/** The building's alerts, newest first, each with its deliveries' status. */
export function useAlerts(buildingId: string, refetchMs = ALERTS_REFRESH_MS) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['alerts', buildingId],
    queryFn: ({ signal }) => api.alerts(buildingId, signal),
    refetchInterval: refetchMs,
  });
}

/** Member or owner: send a failed delivery again (the worker takes it on its next pass). */
export function useRetryDelivery(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) => api.retryAlertDelivery(buildingId, deliveryId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['alerts', buildingId] }),
  });
}
