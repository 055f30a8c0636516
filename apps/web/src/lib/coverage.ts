/**
 * How much of a period had readings, as the pages say it beside energy and cost. The API's
 * `coverage` is the share of the whole period; for the period still running (today, this week)
 * the part not yet lived cannot have data, so the share is of the time so far.
 */

/** Shares at or above this read as complete (they round to 100 %). */
const COMPLETE = 0.995;

/**
 * Minutes at the end of the time so far that may still lack readings only because they have not
 * arrived yet (a meter that sends each minute when it ends), so they do not count as missing.
 */
const ARRIVAL_GRACE_MIN = 2;

/**
 * Share of the period with readings, 0..1: the API's `coverage` for a past period, the share of
 * the time so far (less the arrival grace) for the running one, at most 1.
 */
export function periodCoverage(
  p: { start: string; end: string; coverage: number },
  nowMs: number,
): number {
  const start = Date.parse(p.start);
  const end = Date.parse(p.end);
  // A past period (or a malformed one) is as the API says; one not yet begun has no data.
  if (!(end > start) || nowMs >= end) return p.coverage;
  if (nowMs <= start) return 0;
  const coveredMin = (p.coverage * (end - start)) / 60_000;
  const soFarMin = Math.max(1, (nowMs - start) / 60_000 - ARRIVAL_GRACE_MIN);
  return Math.min(1, coveredMin / soFarMin);
}

/** True when a share of data is short enough to say so (it would not round to 100 %). */
export function isPartial(coverage: number | null | undefined): coverage is number {
  return coverage !== null && coverage !== undefined && coverage < COMPLETE;
}
