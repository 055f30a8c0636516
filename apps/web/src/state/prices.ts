/**
 * Dynamic prices as the pages use them: a tariff with its stored prices for a span attached (so
 * lib/pricing.ts prices each minute dynamic > band > flat), the next day's cheapest hours, and the
 * upload and refresh actions of Settings.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { PriceSlot } from '@nilm/contracts';
import type { Tariff } from '../lib/tariff.js';
import { useSession } from './session.js';

/** Prices change when a fetch or an upload stores new ones: about hourly. */
const PRICES_REFRESH_MS = 10 * 60_000;

/**
 * `tariff` with the dynamic prices stored over [start, end) attached (unchanged when the tariff
 * has no dynamic source). `pending` while those prices load, so no cost is shown at the wrong
 * price meanwhile.
 */
export function useTariffWithPrices(
  buildingId: string,
  tariff: Tariff | undefined,
  start: string | undefined,
  end?: string,
): { tariff: Tariff | undefined; pending: boolean; error: unknown } {
  const { api } = useSession();
  const dynamic = !!tariff?.dynamic;
  const q = useQuery({
    enabled: dynamic && buildingId !== '' && !!start,
    queryKey: ['prices', buildingId, start, end],
    queryFn: ({ signal }) => api.prices(buildingId, { start: start!, end }, signal),
    refetchInterval: PRICES_REFRESH_MS,
  });
  const slots = q.data?.slots;
  const priced = useMemo(() => {
    if (!tariff || !dynamic) return tariff;
    if (!slots) return undefined;
    const parsed: PriceSlot[] = slots.map((s) => ({
      startMs: Date.parse(s.start),
      endMs: Date.parse(s.end),
      pricePerKwh: s.price_per_kwh,
    }));
    return { ...tariff, slots: parsed };
  }, [tariff, dynamic, slots]);
  return { tariff: priced, pending: dynamic && !slots && !q.error, error: q.error };
}

/** The cheapest `hours` block and the hours of the building's next day. */
export function useCheapestHours(buildingId: string, hours = 3) {
  const { api } = useSession();
  return useQuery({
    enabled: buildingId !== '',
    queryKey: ['cheapest', buildingId, hours],
    queryFn: ({ signal }) => api.cheapest(buildingId, hours, signal),
    refetchInterval: PRICES_REFRESH_MS,
  });
}

/** Stored prices of the last and next two days, and the last fetch (Settings). */
export function usePriceStatus(buildingId: string, enabled: boolean) {
  const { api } = useSession();
  return useQuery({
    enabled: enabled && buildingId !== '',
    queryKey: ['prices', buildingId, 'status'],
    queryFn: ({ signal }) => {
      const now = Date.now();
      const day = 86_400_000;
      const iso = (ms: number) => new Date(ms).toISOString();
      return api.prices(buildingId, { start: iso(now - 2 * day), end: iso(now + 2 * day) }, signal);
    },
  });
}

/** Owner or admin: upload a price CSV, or fetch from the price API now; both refresh prices. */
export function usePriceActions(buildingId: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const done = () => {
    void queryClient.invalidateQueries({ queryKey: ['prices', buildingId] });
    void queryClient.invalidateQueries({ queryKey: ['cheapest', buildingId] });
  };
  return {
    upload: useMutation({
      mutationFn: (file: Blob) => api.uploadPrices(buildingId, file),
      onSuccess: done,
    }),
    refresh: useMutation({ mutationFn: () => api.refreshPrices(buildingId), onSuccess: done }),
  };
}
