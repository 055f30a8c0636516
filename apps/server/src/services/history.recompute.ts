/**
 * Asking for a building's whole history to be estimated again (its model changed): every hour
 * from its oldest to its newest reading is marked in the estimate backlog, which the worker then
 * works through newest first, as it does for imported history. Marks go in batches, so a year
 * (8 760 hours) is a few statements.
 */
import { BACKLOG_BUCKET_MS, type EstimateBacklog, type TimeSeriesStore } from '@nilm/stores';

const BATCH_HOURS = 2_000;

/** Mark [oldest reading, newest reading] of `buildingId` for estimating; returns the hours marked. */
export async function markHistoryPending(
  deps: {
    timeseries: Pick<TimeSeriesStore, 'earliestReadingTs' | 'latestReadingTs'>;
    metadata: Pick<EstimateBacklog, 'markPending'>;
  },
  buildingId: string,
): Promise<number> {
  const first = await deps.timeseries.earliestReadingTs(buildingId);
  const last = await deps.timeseries.latestReadingTs(buildingId);
  if (first === null || last === null) return 0;
  const h0 = Math.floor(first / BACKLOG_BUCKET_MS);
  const h1 = Math.floor(last / BACKLOG_BUCKET_MS);
  for (let h = h0; h <= h1; h += BATCH_HOURS) {
    const times: number[] = [];
    // Both ends of each hour (clamped to the readings), so each hour's range covers all of it.
    for (let k = h; k <= Math.min(h1, h + BATCH_HOURS - 1); k++)
      times.push(
        Math.max(first, k * BACKLOG_BUCKET_MS),
        Math.min(last, (k + 1) * BACKLOG_BUCKET_MS - 1),
      );
    await deps.metadata.markPending(buildingId, times);
  }
  return h1 - h0 + 1;
}
