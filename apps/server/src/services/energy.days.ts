/**
 * The energy report's minute arithmetic per stretch of time (a local day, or the part of one a
 * span covers), and a cache of finished days, so a year of daily, weekly or monthly energy reads
 * a few thousand rollup rows and today's minutes instead of every minute of the year.
 *
 * A report period is a run of stretches; its figures are sums of theirs, except the baseload (a
 * percentile of the period's minute mains), for which each stretch keeps its minute mains
 * sorted: the period's percentile is then picked from their merge, exactly. Cached or not, a
 * period is combined from the same parts in the same order, so a report is the same number for
 * number with the cache as without it.
 *
 * A finished day's part is cached in this process, keyed by building, day and the building's
 * view (the appliances it has and their on thresholds), with a fingerprint of what the day
 * holds: the store's rollup rows (count and sums per series) of the buckets the day overlaps,
 * read before its minutes. Each request reads the fingerprints again (the rollups are
 * maintained with every write, in whichever process wrote) and recomputes a day whose
 * fingerprint changed: new or rewritten readings, estimates of a new model, grid points. A
 * rewrite that leaves every count and sum of a bucket's series as it was (two minutes' values
 * swapped) goes unseen. Days whose buckets include the current UTC day are fingerprinted by
 * 15 min rows, so live writes today do not invalidate yesterday in zones behind or ahead of
 * UTC.
 *
 * Today is read in two stretches, cut at the start of the current quarter hour: its finished
 * quarters are cached like a finished day (fingerprinted by their 15 min rows, recomputed once
 * a quarter), so each request reads the minutes of the open quarter only, not the whole day so
 * far. The cut is made with or without a cache, so both give the same numbers.
 */
import type { Bucket, GridPoint, RollupRow, TimeSeriesStore } from '@nilm/stores';
import { isShown, type ApplianceView } from './appliances.service.js';
import { byBucketThenSeries, ceilTo, DAY_MS, floorTo, QUARTER_MS, rowText } from './rollup.rows.js';

/** A [from, to) stretch of a report; `whole` when it is a whole local day. */
export interface Piece {
  from: number;
  to: number;
  whole: boolean;
}

/** An appliance's likely range: band ends over on-minutes, estimates elsewhere (W summed). */
export interface BandSums {
  low: number;
  high: number;
  /** False when an on-minute's estimate had no band. */
  known: boolean;
}

/** Grid power summed over minutes (W), null where no minute measured it. */
export type GridSums = Record<'importW' | 'exportW' | 'productionW', number | null>;

/** What one stretch of minutes adds to an energy period (powers summed over minutes, in W). */
export interface EnergyPart {
  /** Mains summed over the minutes with readings. */
  total: number;
  /** Minutes with readings. */
  covered: number;
  /** Minutes with readings and estimates. */
  estimated: number;
  /** Mains summed over the minutes with readings but no estimates. */
  pending: number;
  /** Each covered minute's mains, ascending. */
  mains: Float64Array;
  /** Estimated power summed per shown appliance, in order of first appearance. */
  apps: Map<string, number>;
  bands: Map<string, BandSums>;
  grid: GridSums;
}

/** Buildings (and views) whose cached quarters of today are remembered, to drop the older ones. */
const MAX_TODAY_KEYS = 100_000;

/** More runs of missing days than this read their whole span in one query instead. */
const MAX_RUNS = 8;

/**
 * The longest stretch of minutes one store read asks for by default: a cold year in one query
 * (1.58 M minute rows of three series) got no answer from InfluxDB within the store's 10 s
 * request limit, where a month answers in about a second.
 */
const MINUTE_READ_MS = 31 * 86_400_000;

/** Minute reads in flight at once for one report (the store bounds its own requests too). */
const READS_IN_FLIGHT = 2;

/** `spans` (sorted, disjoint) cut into consecutive reads of at most `maxMs` each. */
function readChunks(
  spans: ReadonlyArray<{ from: number; to: number }>,
  maxMs: number,
): Array<{ from: number; to: number }> {
  return spans.flatMap(({ from, to }) => {
    const chunks: Array<{ from: number; to: number }> = [];
    for (let s = from; s < to; s += maxMs) chunks.push({ from: s, to: Math.min(to, s + maxMs) });
    return chunks;
  });
}

/**
 * The parts of sorted, disjoint `pieces` from minute buckets and minute grid points (sorted by
 * time; points outside every piece are skipped).
 */
export function partsOf(
  minutes: readonly Bucket[],
  grid: readonly GridPoint[],
  pieces: readonly Piece[],
  view: ApplianceView,
): EnergyPart[] {
  let j = 0;
  let g = 0;
  return pieces.map(({ from, to }) => {
    const part: EnergyPart = {
      total: 0,
      covered: 0,
      estimated: 0,
      pending: 0,
      mains: new Float64Array(0),
      apps: new Map(),
      bands: new Map(),
      grid: { importW: null, exportW: null, productionW: null },
    };
    const mains: number[] = [];
    while (j < minutes.length && minutes[j]!.ts < from) j++;
    for (; j < minutes.length && minutes[j]!.ts < to; j++) {
      const b = minutes[j]!;
      const entries = Object.entries(b.appliances);
      if (b.powerW !== null) {
        part.total += b.powerW;
        part.covered++;
        mains.push(b.powerW);
        if (entries.length > 0) part.estimated++;
        else part.pending += b.powerW;
      }
      for (const [a, v] of entries) {
        if (!isShown(view.present, a)) continue;
        part.apps.set(a, (part.apps.get(a) ?? 0) + v.powerW);
        let band = part.bands.get(a);
        if (!band) part.bands.set(a, (band = { low: 0, high: 0, known: true }));
        if (v.onProb < (view.onProbThreshold.get(a) ?? 0.5)) {
          band.low += v.powerW;
          band.high += v.powerW;
        } else if (v.lowW !== undefined && v.highW !== undefined) {
          band.low += v.lowW;
          band.high += v.highW;
        } else band.known = false;
      }
    }
    part.mains = Float64Array.from(mains).sort();
    while (g < grid.length && grid[g]!.ts < from) g++;
    for (; g < grid.length && grid[g]!.ts < to; g++) {
      for (const k of ['importW', 'exportW', 'productionW'] as const) {
        const v = grid[g]![k];
        if (v !== null) part.grid[k] = (part.grid[k] ?? 0) + v;
      }
    }
    return part;
  });
}

/** Two parts of adjacent stretches as the part of both: sums added, mains merged in order. */
export function joinParts(a: EnergyPart, b: EnergyPart): EnergyPart {
  const mains = new Float64Array(a.mains.length + b.mains.length);
  let i = 0;
  let j = 0;
  for (let k = 0; k < mains.length; k++)
    mains[k] =
      j >= b.mains.length || (i < a.mains.length && a.mains[i]! <= b.mains[j]!)
        ? a.mains[i++]!
        : b.mains[j++]!;
  return { ...sumParts([a, b]), mains };
}

/** The parts of a period, added up in order (the mains stay per part, see `nthSmallest`). */
export function sumParts(parts: readonly EnergyPart[]): Omit<EnergyPart, 'mains'> {
  const sum: Omit<EnergyPart, 'mains'> = {
    total: 0,
    covered: 0,
    estimated: 0,
    pending: 0,
    apps: new Map(),
    bands: new Map(),
    grid: { importW: null, exportW: null, productionW: null },
  };
  for (const p of parts) {
    sum.total += p.total;
    sum.covered += p.covered;
    sum.estimated += p.estimated;
    sum.pending += p.pending;
    for (const [a, w] of p.apps) sum.apps.set(a, (sum.apps.get(a) ?? 0) + w);
    for (const [a, b] of p.bands) {
      const s = sum.bands.get(a);
      if (!s) sum.bands.set(a, { ...b });
      else {
        s.low += b.low;
        s.high += b.high;
        s.known &&= b.known;
      }
    }
    for (const k of ['importW', 'exportW', 'productionW'] as const) {
      const v = p.grid[k];
      if (v !== null) sum.grid[k] = (sum.grid[k] ?? 0) + v;
    }
  }
  return sum;
}

/**
 * The `rank`-th smallest (from 0) of the values of several ascending lists together: a k-way
 * merge from the smallest, through a binary heap of each list's next value.
 */
export function nthSmallest(lists: readonly Float64Array[], rank: number): number {
  const live = lists.filter((l) => l.length > 0);
  if (live.length === 1) return live[0]![rank]!;
  const pos = live.map(() => 0);
  const head = (i: number): number => live[i]![pos[i]!]!;
  const heap = live.map((_, i) => i);
  const down = (at: number): void => {
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let min = at;
      if (l < heap.length && head(heap[l]!) < head(heap[min]!)) min = l;
      if (r < heap.length && head(heap[r]!) < head(heap[min]!)) min = r;
      if (min === at) return;
      [heap[at], heap[min]] = [heap[min]!, heap[at]!];
      at = min;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  for (let k = 0; ; k++) {
    const top = heap[0]!;
    if (k === rank) return head(top);
    pos[top]!++;
    if (pos[top] === live[top]!.length) {
      const last = heap.pop()!;
      if (heap.length === 0) throw new Error(`rank ${rank} is past the values' end`);
      if (last !== top) heap[0] = last;
    }
    down(0);
  }
}

/** Bytes a cached part holds, roughly: its sorted mains and a little per appliance. */
const bytesOf = (part: EnergyPart, fingerprint: string): number =>
  part.mains.byteLength + 200 * (part.apps.size + 1) + 2 * fingerprint.length;

/**
 * Finished days' parts, least recently used first out once they hold more than `maxBytes`
 * (a day of minute mains is about 12 KB: 64 MB keeps about fifteen building-years).
 */
export class EnergyDayCache {
  private readonly entries = new Map<string, { fingerprint: string; part: EnergyPart }>();
  private held = 0;

  constructor(readonly maxBytes = 64 * 1024 * 1024) {
    if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0))
      throw new Error(`the energy cache's size must be a positive whole number of bytes`);
  }

  /** The part cached under `key` if it was computed from data with this `fingerprint`. */
  get(key: string, fingerprint: string): EnergyPart | undefined {
    const entry = this.entries.get(key);
    if (entry?.fingerprint !== fingerprint) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.part;
  }

  set(key: string, fingerprint: string, part: EnergyPart): void {
    this.drop(key);
    this.entries.set(key, { fingerprint, part });
    this.held += bytesOf(part, fingerprint);
    for (const oldest of this.entries.keys()) {
      if (this.held <= this.maxBytes) break;
      this.drop(oldest);
    }
  }

  /** Bytes held now (roughly). */
  get bytes(): number {
    return this.held;
  }

  /** Forget what `key` holds. */
  drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.held -= bytesOf(entry.part, entry.fingerprint);
    this.entries.delete(key);
  }
}

/** A view as text, for cache keys: the appliances shown and every on threshold. */
function viewKey(view: ApplianceView): string {
  const present = view.present === null ? '*' : [...view.present].sort().join('\u0001');
  const thresholds = [...view.onProbThreshold]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([a, t]) => `${a}\u0001${t}`)
    .join('\u0001');
  return `${present}\u0002${thresholds}`;
}

/** Index of the first row whose bucket is >= `t`. */
function firstAtOrAfter(rows: readonly RollupRow[], t: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]!.bucket < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Reads the parts of a report's pieces: finished days from the cache when still valid. */
export class EnergyDays {
  /** Per building, start and view: the key its current day's finished quarters are cached under. */
  private readonly todayKeys = new Map<string, string>();

  constructor(
    private readonly store: TimeSeriesStore,
    private readonly cache: EnergyDayCache | null,
    private readonly now: () => number,
    /** The longest stretch of minutes one store read asks for (a whole number of minutes). */
    private readonly minuteReadMs: number = MINUTE_READ_MS,
  ) {
    if (!Number.isInteger(minuteReadMs / 60_000) || minuteReadMs <= 0)
      throw new RangeError(
        `minuteReadMs must be a positive whole number of minutes in ms (got ${minuteReadMs})`,
      );
  }

  async read(
    buildingId: string,
    pieces: readonly Piece[],
    view: Promise<ApplianceView>,
  ): Promise<EnergyPart[]> {
    const now = this.now();
    // The piece the current quarter hour cuts (today's) is read as its finished quarters, which
    // are cached, and the open quarter, which is not.
    const quarter = floorTo(now, QUARTER_MS);
    const stretches: Piece[] = [];
    const owner: number[] = [];
    const heads = new Set<number>();
    pieces.forEach((p, i) => {
      if (p.from < quarter && quarter < p.to) {
        heads.add(stretches.length);
        stretches.push(
          { from: p.from, to: quarter, whole: false },
          { from: quarter, to: p.to, whole: false },
        );
        owner.push(i, i);
      } else {
        stretches.push(p);
        owner.push(i);
      }
    });
    const cacheable =
      this.cache && this.store.readRollupRows
        ? stretches.flatMap((p, i) => ((p.whole && p.to <= now) || heads.has(i) ? [i] : []))
        : [];
    const kept = new Set(cacheable);
    const fresh = stretches.flatMap((_, i) => (kept.has(i) ? [] : [i]));
    // What is never cached (the open quarter, a span's ragged ends) is read beside the
    // fingerprints; the cacheable stretches' minutes only after them, so a write in between
    // changes a fingerprint.
    const [shown, prints, freshParts] = await Promise.all([
      view,
      this.fingerprints(buildingId, stretches, cacheable, now),
      this.partsOf(buildingId, fresh, stretches, view),
    ]);
    const shownKey = viewKey(shown);
    const key = (p: Piece) => `${buildingId}\u0002${p.from}\u0002${p.to}\u0002${shownKey}`;
    const parts: Array<EnergyPart | undefined> = stretches.map(() => undefined);
    fresh.forEach((i, k) => (parts[i] = freshParts[k]));
    const stale = cacheable.filter((i) => {
      parts[i] = this.cache!.get(key(stretches[i]!), prints.get(i)!);
      return parts[i] === undefined;
    });
    const computed = await this.partsOf(buildingId, stale, stretches, view);
    stale.forEach((i, k) => {
      const p = stretches[i]!;
      parts[i] = computed[k]!;
      this.cache!.set(key(p), prints.get(i)!, computed[k]!);
      if (!heads.has(i)) return;
      // The same day's quarters up to an earlier quarter are not asked for again.
      const day = `${buildingId}\u0002${p.from}\u0002${shownKey}`;
      const before = this.todayKeys.get(day);
      if (before !== undefined && before !== key(p)) this.cache!.drop(before);
      this.todayKeys.delete(day);
      this.todayKeys.set(day, key(p));
      for (const oldest of this.todayKeys.keys()) {
        if (this.todayKeys.size <= MAX_TODAY_KEYS) break;
        this.todayKeys.delete(oldest);
      }
    });
    const out: EnergyPart[] = [];
    parts.forEach((part, i) => {
      const at = owner[i]!;
      out[at] = out[at] === undefined ? part! : joinParts(out[at], part!);
    });
    return out;
  }

  /** The parts of `pieces[i]` for each i of `which` (sorted), computed from their minutes. */
  private async partsOf(
    buildingId: string,
    which: readonly number[],
    pieces: readonly Piece[],
    view: Promise<ApplianceView>,
  ): Promise<EnergyPart[]> {
    if (which.length === 0) return [];
    const stretches = which.map((i) => pieces[i]!);
    const [[minutes, grid], shown] = await Promise.all([this.minutes(buildingId, stretches), view]);
    return partsOf(minutes, grid, stretches, shown);
  }

  /**
   * A fingerprint per cacheable piece (by index): its rollup rows at 1 d, or at 15 min where
   * its UTC days reach the current one; none when the store has no rollup rows to read.
   */
  private async fingerprints(
    buildingId: string,
    pieces: readonly Piece[],
    cacheable: readonly number[],
    now: number,
  ): Promise<Map<number, string>> {
    const byPiece = new Map<number, string>();
    if (cacheable.length === 0 || !this.store.readRollupRows) return byPiece;
    const hot = floorTo(now, DAY_MS);
    const levelOf = (p: Piece) => (ceilTo(p.to, DAY_MS) <= hot ? DAY_MS : QUARTER_MS);
    const levels = [DAY_MS, QUARTER_MS].map((size) => {
      const mine = cacheable.filter((i) => levelOf(pieces[i]!) === size);
      return { size, mine };
    });
    const read = await Promise.all(
      levels.map(({ size, mine }) =>
        mine.length === 0
          ? Promise.resolve([])
          : this.store.readRollupRows!(
              buildingId,
              floorTo(pieces[mine[0]!]!.from, size),
              ceilTo(pieces[mine.at(-1)!]!.to, size),
              size / 1000,
            ).then((rows) => rows.sort(byBucketThenSeries)),
      ),
    );
    levels.forEach(({ size, mine }, k) => {
      const rows = read[k]!;
      for (const i of mine) {
        const p = pieces[i]!;
        const end = firstAtOrAfter(rows, ceilTo(p.to, size));
        const texts = [`${size}`];
        for (let r = firstAtOrAfter(rows, floorTo(p.from, size)); r < end; r++)
          texts.push(rowText(rows[r]!));
        byPiece.set(i, texts.join('\n'));
      }
    });
    return byPiece;
  }

  /**
   * Minute buckets and grid points of `pieces` (sorted): one read per run of adjacent pieces,
   * or one over their whole span when they are scattered, each cut into reads of at most
   * `minuteReadMs`.
   */
  private async minutes(
    buildingId: string,
    pieces: readonly Piece[],
  ): Promise<[Bucket[], GridPoint[]]> {
    const runs: Array<{ from: number; to: number }> = [];
    for (const p of pieces) {
      const last = runs.at(-1);
      if (last?.to === p.from) last.to = p.to;
      else runs.push({ from: p.from, to: p.to });
    }
    const spans = runs.length > MAX_RUNS ? [{ from: runs[0]!.from, to: runs.at(-1)!.to }] : runs;
    // A long span is read a month at a time, a few reads in flight: one query over a year's
    // minutes can outlast the store's request limit.
    const chunks = readChunks(spans, this.minuteReadMs);
    const read: Array<[Bucket[], GridPoint[]]> = [];
    let next = 0;
    const reader = async (): Promise<void> => {
      for (let i = next++; i < chunks.length; i = next++) {
        const { from, to } = chunks[i]!;
        read[i] = await Promise.all([
          this.store.readBuckets(buildingId, from, to, 60),
          this.store.readGridBuckets(buildingId, from, to, 60),
        ]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, chunks.length) }, reader));
    return [read.flatMap(([m]) => m), read.flatMap(([, g]) => g)];
  }
}
