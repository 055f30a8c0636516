/**
 * Charts read a range that ends now as finished history plus a live tail (issue 16). The
 * dashboard asks `start=-24h` / `-30d` with no end, which the server never counts as finished, so
 * each refresh used to download and recompute the whole range. `splitReadingsQuery` cuts such a
 * range at a seam T (the start of the current hour minus one hour, on a bucket boundary): the
 * history [start', T) is asked with absolute times that stay the same for an hour, so the server
 * marks it finished (ETag; its cache answers it) and the browser revalidates it (If-None-Match,
 * 304) instead of fetching it again; only the tail [T, now) is read afresh. `mergeReadings` joins
 * the two answers into the one ReadingsColumns the charts read.
 *
 * The rules mirror the server's (apps/server/src/time.parse.ts for times, readings.service.ts's
 * `chooseResolution` for buckets, aligned to multiples of the bucket size since the epoch): both
 * parts must come back at the resolution the whole range would have had, and their buckets must
 * meet at T without overlap. The client checks the resolutions and falls back to one request
 * when they differ, so a server that changes its steps costs bytes, never a wrong chart.
 */
import type { RangeQuery, ReadingsColumns } from '@nilm/contracts';

const HOUR_MS = 3_600_000;

/**
 * Ranges shorter than this are read in one request: the history would be a couple of hours at
 * most, not worth a second request (the 1-hour chart refreshes every 15 s, whole).
 */
export const SPLIT_FROM_MS = 3 * HOUR_MS;

/** The server's relative times (time.parse.ts): `-24h`, `30d`, ... before now. */
const RELATIVE = /^-?(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: HOUR_MS,
  d: 86_400_000,
  w: 604_800_000,
};
/** The server's ISO-8601 form (time.parse.ts); a time without a zone is UTC. */
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The named resolutions, in seconds (readings.service.ts RESOLUTIONS_S). */
const NAMED_S = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '1d': 86_400 } as const;
type NamedResolution = keyof typeof NAMED_S;
/** The steps 'auto' picks from, smallest first (readings.service.ts AUTO_STEPS). */
const AUTO_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];
/** The server's default and bounds for `points` (RangeQuery). */
const DEFAULT_POINTS = 1000;
const MIN_POINTS = 10;
const MAX_POINTS = 20_000;

/** How the two requests of a split range are asked, and where they meet. */
export interface ReadingsSplit {
  /** [start', T) with absolute times: the same URL for an hour, finished on the server. */
  history: RangeQuery;
  /** [tail start, now): read afresh at every refresh; starts at T or whole buckets before it. */
  tail: RangeQuery;
  /** T, epoch ms: history keeps buckets before it, the tail those from it on. */
  seamMs: number;
}

/** A query's start in epoch ms, and whether it was relative to now; null when none is readable. */
function startOf(value: string, nowMs: number): { ms: number; relative: boolean } | null {
  const v = value.trim();
  const rel = RELATIVE.exec(v);
  if (rel) return { ms: nowMs - Number(rel[1]) * UNIT_MS[rel[2]!]!, relative: true };
  if (/^\d{10,13}$/.test(v)) return { ms: Number(v), relative: false };
  if (!ISO.test(v)) return null;
  const withZone = /T.*(Z|[+-]\d{2}:?\d{2})$/.test(v)
    ? v
    : v.includes('T')
      ? v + 'Z'
      : v + 'T00:00:00Z';
  const ms = Date.parse(withZone);
  return Number.isFinite(ms) ? { ms, relative: false } : null;
}

/** The bucket size in seconds the server picks for a span (chooseResolution); null: not valid. */
export function resolutionSeconds(query: RangeQuery, spanMs: number): number | null {
  const r = query.resolution;
  if (r !== undefined && r !== 'auto') return NAMED_S[r] ?? null;
  const points = query.points ?? DEFAULT_POINTS;
  return AUTO_STEPS.find((s) => spanMs / 1000 / s <= points) ?? 86_400;
}

/** The name of a bucket size of `seconds`, where it has one. */
const nameOf = (seconds: number): NamedResolution | undefined =>
  (Object.keys(NAMED_S) as NamedResolution[]).find((k) => NAMED_S[k] === seconds);

/**
 * The `points` [lo, hi] for which 'auto' picks exactly `seconds` for every span from `shortestMs`
 * to `longestMs`: `seconds` fits the longest (span / seconds <= points) and the step below it
 * does not fit the shortest (span / finer > points); null when no allowed `points` does.
 */
function autoPoints(
  shortestMs: number,
  longestMs: number,
  seconds: number,
): { lo: number; hi: number } | null {
  const i = AUTO_STEPS.indexOf(seconds);
  if (i < 0) return null;
  const lo = Math.max(MIN_POINTS, Math.ceil(longestMs / 1000 / seconds));
  const hi =
    i === 0
      ? MAX_POINTS
      : Math.min(MAX_POINTS, Math.ceil(shortestMs / 1000 / AUTO_STEPS[i - 1]!) - 1);
  return hi < lo ? null : { lo, hi };
}

/**
 * How far the server's clock may be from the client's and still read the tail at the step asked
 * for (the tail runs to the server's now, so its span is the server's to measure).
 */
const CLOCK_SLACK_MS = 5 * 60_000;

/**
 * The tail's parameters, fixed by its bucket size alone so that its URL's parameters other than
 * the start never change: the resolution's name; for a step without one, 'auto' with a `points`
 * that picks it for any span the tail can have, starting `before` whole buckets ahead of T when
 * the tail from T is too short for any allowed `points` (`mergeReadings` drops those buckets).
 */
function tailAsk(seconds: number): { before: number; ask: RangeQueryResolution } | null {
  const named = nameOf(seconds);
  if (named) return { before: 0, ask: { resolution: named } };
  const bucketMs = seconds * 1000;
  // From T to now is at least an hour, and less than an hour past the bucket T is floored to
  // (less than two hours for buckets within an hour).
  const longest = Math.max(2 * HOUR_MS, bucketMs + HOUR_MS);
  for (let before = 0; before <= 48; before++) {
    const ahead = before * bucketMs;
    const r = autoPoints(
      ahead + HOUR_MS - CLOCK_SLACK_MS,
      ahead + longest + CLOCK_SLACK_MS,
      seconds,
    );
    if (r) return { before, ask: { resolution: 'auto', points: Math.floor((r.lo + r.hi) / 2) } };
  }
  return null;
}

/**
 * The history's parameters for its exact span (absolute start and end): 'auto' with the `points`
 * in the middle of those that pick `seconds` (not the tail's `points`), else the step's name.
 */
function historyAsk(
  spanMs: number,
  seconds: number,
  tailPoints: number | undefined,
): RangeQueryResolution | null {
  const r = autoPoints(spanMs, spanMs, seconds);
  if (r) {
    const mid = Math.floor((r.lo + r.hi) / 2);
    const points = mid !== tailPoints ? mid : mid < r.hi ? mid + 1 : r.lo;
    return { resolution: 'auto', points };
  }
  const named = nameOf(seconds);
  return named ? { resolution: named } : null;
}

type RangeQueryResolution = Pick<RangeQuery, 'resolution' | 'points'>;

const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * How to read `query` as history plus tail at `nowMs` (the client's clock), or null to read it in
 * one request: a range with an end other than now (already finished or fixed: it is one URL
 * anyway), one shorter than SPLIT_FROM_MS, or one whose times or resolution the server would
 * refuse (it says why better than we could).
 *
 * The bucket size is resolved first, from the whole range's span as the server would for one
 * request (for 'auto', from `points`), and both parts ask for exactly that size. They ask for it
 * differently on purpose: the service worker keeps one answer per endpoint and parameters other
 * than times for offline use (sw.handlers.ts `looseKey`), so two parts that differed only in
 * start and end would replace each other there on every refresh, and offline the chart would get
 * one part twice. So the history asks 'auto' with a `points` that picks the size for its exact
 * span, and the tail asks the size's name (or, for a step without one, a `points` fixed by the
 * step); both sets of parameters stay the same from one refresh to the next.
 *
 * A relative start is floored to the hour and to the bucket, so the history's URL stays the same
 * for an hour: the chart shows up to an hour (one bucket, for buckets of an hour or more) more
 * than asked, drawn from the server's answer as it is; an absolute start is kept as given. A client clock more than an hour ahead of the server's makes the tail start after the
 * server's now, which it refuses; we accept that over reading the server's clock first.
 */
export function splitReadingsQuery(query: RangeQuery, nowMs: number): ReadingsSplit | null {
  const end = query.end?.trim();
  if (end !== undefined && end !== 'now' && end !== 'now()') return null;
  const start = startOf(query.start, nowMs);
  if (!start) return null;
  const spanMs = nowMs - start.ms;
  if (!(spanMs >= SPLIT_FROM_MS)) return null;
  const seconds = resolutionSeconds(query, spanMs);
  if (seconds === null) return null;
  const bucketMs = seconds * 1000;
  // An hour before the current hour: the worker has estimated it, so the server calls it finished.
  // On a bucket boundary (a day for 1-day buckets), so no bucket straddles the seam.
  const seamMs = floorTo(floorTo(nowMs, HOUR_MS) - HOUR_MS, bucketMs);
  // Every step divides an hour or is whole hours, so the larger of the two is a multiple of both.
  const historyStart = start.relative ? floorTo(start.ms, Math.max(HOUR_MS, bucketMs)) : start.ms;
  if (historyStart >= seamMs) return null;
  const tail = tailAsk(seconds);
  if (!tail) return null;
  const history = historyAsk(seamMs - historyStart, seconds, tail.ask.points);
  if (!history) return null;
  return {
    history: {
      start: start.relative ? iso(historyStart) : query.start,
      end: iso(seamMs),
      ...history,
    },
    tail: { start: iso(seamMs - tail.before * bucketMs), ...tail.ask },
    seamMs,
  };
}

/** Mains readings in `power` over [from, to): the weight of a part's estimate coverage. */
function withMains(power: readonly (number | null)[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (power[i] !== null) n++;
  return n;
}

/** `xs[from, to)`, or as many nulls when the part has no such series. */
function part<T>(xs: readonly T[] | undefined, from: number, to: number): (T | null)[] {
  return xs ? xs.slice(from, to) : new Array<T | null>(to - from).fill(null);
}

/**
 * One ReadingsColumns from the history (buckets before `seamMs`) and the tail (buckets from it
 * on, after the history's last): times concatenated; appliances the union, sorted as the server
 * sorts them, null where a part has no estimate for one; grid series likewise, when either part
 * has them; estimate coverage weighted by each part's buckets with mains. Throws when the parts
 * have different resolutions (they would not be one time axis).
 */
export function mergeReadings(
  history: ReadingsColumns,
  tail: ReadingsColumns,
  seamMs: number,
): ReadingsColumns {
  if (history.resolution_s !== tail.resolution_s)
    throw new Error(
      'cannot merge readings of ' +
        String(history.resolution_s) +
        ' s and ' +
        String(tail.resolution_s) +
        ' s buckets; ask for the range in one request',
    );
  // History's buckets before the seam; the tail's from the seam on and after history's last.
  let hEnd = history.time_ms.length;
  while (hEnd > 0 && history.time_ms[hEnd - 1]! >= seamMs) hEnd--;
  const last = hEnd > 0 ? history.time_ms[hEnd - 1]! : -Infinity;
  let tFrom = 0;
  const tEnd = tail.time_ms.length;
  while (tFrom < tEnd && (tail.time_ms[tFrom]! < seamMs || tail.time_ms[tFrom]! <= last)) tFrom++;
  const join = <T>(h: readonly T[] | undefined, t: readonly T[] | undefined): (T | null)[] => [
    ...part(h, 0, hEnd),
    ...part(t, tFrom, tEnd),
  ];

  const appliances = [...new Set([...history.appliances, ...tail.appliances])].sort();
  const appliancePower: ReadingsColumns['appliance_power_w'] = {};
  const applianceOnProb: ReadingsColumns['appliance_on_prob'] = {};
  for (const a of appliances) {
    appliancePower[a] = join(history.appliance_power_w[a], tail.appliance_power_w[a]);
    applianceOnProb[a] = join(history.appliance_on_prob[a], tail.appliance_on_prob[a]);
  }

  const mh = withMains(history.power_w, 0, hEnd);
  const mt = withMains(tail.power_w, tFrom, tEnd);
  // A part's coverage is null only when it has no mains, so its weight is 0 then.
  const weighted = (history.estimate_coverage ?? 0) * mh + (tail.estimate_coverage ?? 0) * mt;
  const weight = mh + mt;

  const out: ReadingsColumns = {
    building_id: tail.building_id,
    start: history.start,
    end: tail.end,
    resolution_s: tail.resolution_s,
    shape: 'columns',
    appliances,
    estimate_coverage: weight === 0 ? null : Math.round((weighted / weight) * 1000) / 1000,
    time_ms: [...history.time_ms.slice(0, hEnd), ...tail.time_ms.slice(tFrom, tEnd)],
    power_w: join(history.power_w, tail.power_w),
    appliance_power_w: appliancePower,
    appliance_on_prob: applianceOnProb,
  };
  if (history.grid || tail.grid) {
    const h = history.grid;
    const t = tail.grid;
    out.grid = {
      import_w: join(h?.import_w, t?.import_w),
      export_w: join(h?.export_w, t?.export_w),
      production_w: join(h?.production_w, t?.production_w),
      phases_w: join(h?.phases_w, t?.phases_w),
    };
  }
  return out;
}
