/**
 * Training and validation batches from a {@link WindowCache}, without loading the data: the
 * sampler keeps only a compact index of valid windows and reads each window from disk when a
 * batch is filled.
 *
 * Windows. A window is `length` (L) consecutive samples of one segment, all valid (mains and
 * every cached appliance finite), so a window never straddles a segment boundary or a gap.
 * Starts follow a stride grid that is re-anchored at the first valid sample after each gap:
 * in a valid run beginning at sample r, the starts are r, r + stride, r + 2 * stride, ... while
 * the window fits in the run. Re-anchoring keeps windows that a grid fixed at sample 0 would
 * lose after every gap.
 *
 * Index (memory per window, whatever L is): `segment` and `offset` (Uint32, 8 bytes) and `onBits`
 * (Uint32, bit a set when target appliance a counts as on in the window), plus for each target
 * appliance the ids of its on windows (Uint32, 4 bytes per on window). At most 32 target
 * appliances. The index is built in one streaming pass over the cache's mask and state
 * sections, in chunks.
 *
 * "On in a window" is, by default (`onAt: 'any'`), on at some sample of the window: the
 * transformer predicts every sample, so any on sample gives positive targets. `onAt: 'midpoint'`
 * uses only sample floor(L / 2), as seq2point-style training wants.
 *
 * Batch layout (caller-provided, row-major): `mains` [B, L]; `power` and `onOff` [B, A, L]
 * (`onOff` is 0/1 as float); `windowIds` [B] (optional; -1 in slots left empty).
 */
import { NilmError } from '../errors.js';
import type { WindowCache } from './window.cache.reader.js';

/** Options of {@link WindowSampler}. */
export interface WindowSamplerOptions {
  /** Window length L in samples. */
  length: number;
  /** Samples between consecutive window starts within a valid run; default L (no overlap). */
  stride?: number;
  /** Appliances to emit targets for, in this order; default every appliance of the cache. */
  appliances?: readonly string[];
  /** Segment indices to take windows from, e.g. to hold out a house; default all. */
  segments?: readonly number[];
  /** What makes a window "on" for an appliance (see the file comment); default 'any'. */
  onAt?: 'any' | 'midpoint';
  /** When given, mains are written as (x - mean) / std. */
  normalise?: { mean: number; std: number };
}

/** Caller-owned batch arrays; the batch size B is `mains.length / L`. */
export interface BatchBuffers {
  /** [B, L] mains. */
  mains: Float32Array;
  /** [B, A, L] appliance power in W. */
  power: Float32Array;
  /** [B, A, L] on/off state, 0 or 1. */
  onOff: Float32Array;
  /** [B] id of the window in each slot, -1 when the slot was left empty. */
  windowIds?: Int32Array;
  /**
   * [B, A, L] 1 where the target is known (the window's segment has a sub-meter for the
   * appliance, see `metered` in the cache), 0 where it is not; training masks the loss by it.
   */
  known?: Float32Array;
}

/** Allocates {@link BatchBuffers} for `batchSize` windows of `length` samples and `appliances` targets. */
export function createBatchBuffers(
  batchSize: number,
  length: number,
  appliances: number,
): Required<BatchBuffers> {
  return {
    mains: new Float32Array(batchSize * length),
    power: new Float32Array(batchSize * appliances * length),
    onOff: new Float32Array(batchSize * appliances * length),
    windowIds: new Int32Array(batchSize),
    known: new Float32Array(batchSize * appliances * length),
  };
}

/**
 * A small, fast, seeded PRNG (sfc32, seeded through splitmix32), so that random batches are
 * reproducible across runs and machines; `Math.random` cannot be seeded.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // Discard the first outputs: sfc32 mixes its state during them.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** A uniform integer in [0, n), for n up to 2^32. */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Options of {@link WindowSampler.random}. */
export interface RandomBatchOptions {
  /** PRNG seed; the same seed on the same index gives the same batches. */
  seed: number;
  /**
   * Balance towards windows where an appliance is on. Each batch slot targets the next
   * appliance in a cycle over `appliances` (default all target appliances that have at least
   * one on window); with probability `targetOnFraction` it takes a window where that appliance
   * is on, otherwise one where it is off. Without this, windows are drawn uniformly.
   */
  balance?: { targetOnFraction: number; appliances?: readonly string[] };
}

/** What {@link RandomBatches.report} tells: how often the slot's appliance was on. */
export interface BalanceReport {
  targetOnFraction: number | null;
  /** Slots filled so far. */
  windows: number;
  /** Slots whose targeted appliance was on in the window. */
  onWindows: number;
  /** onWindows / windows (0 before any batch). */
  achievedOnFraction: number;
  /** Per targeted appliance: slots, on slots, and how many windows of the index are on. */
  perAppliance: Record<string, { windows: number; onWindows: number; availableOn: number }>;
}

const INDEX_CHUNK_ROWS = 65_536;

/** A Uint32 list that grows by doubling; the index size is not known before the scan. */
class GrowableUint32 {
  data = new Uint32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  /** A copy trimmed to the used length, so the spare capacity can be freed. */
  toArray(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/** The index of valid windows over a cache, and batch filling from it. */
export class WindowSampler {
  readonly cache: WindowCache;
  readonly length: number;
  readonly stride: number;
  /** Target appliances, in batch order. */
  readonly appliances: readonly string[];
  readonly onAt: 'any' | 'midpoint';
  /** Number of valid windows. */
  readonly windowCount: number;
  private readonly segOf: Uint32Array;
  private readonly offsetOf: Uint32Array;
  private readonly onBits: Uint32Array;
  private readonly onWindows: Uint32Array[];
  /** Cache appliance index of each target appliance. */
  private readonly applianceMap: Int32Array;
  private readonly normMean: number;
  private readonly normScale: number;
  // Per-window scratch, reused by every fill.
  private readonly rows: Float32Array;
  private readonly states: Uint8Array;
  /** Per cache segment, per target appliance: 1 when the segment meters it. */
  private readonly segKnown: Uint8Array[];

  /** Scans the cache's masks and states and builds the window index. */
  constructor(cache: WindowCache, options: WindowSamplerOptions) {
    const L = options.length;
    const stride = options.stride ?? L;
    if (!Number.isInteger(L) || L < 1) {
      throw new NilmError('CONFIG_INVALID', `window length must be a positive integer, got ${L}`);
    }
    if (!Number.isInteger(stride) || stride < 1) {
      throw new NilmError('CONFIG_INVALID', `stride must be a positive integer, got ${stride}`);
    }
    const names = options.appliances ?? cache.meta.appliances;
    if (names.length > 32) {
      throw new NilmError(
        'CONFIG_INVALID',
        `at most 32 target appliances per sampler, got ${names.length}`,
      );
    }
    this.applianceMap = Int32Array.from(names, (name) => {
      const a = cache.meta.appliances.indexOf(name);
      if (a < 0) {
        throw new NilmError(
          'CONFIG_INVALID',
          `appliance "${name}" is not in window cache ${cache.path} (it has ${cache.meta.appliances.join(', ')}); rebuild the cache with it`,
        );
      }
      return a;
    });
    if (options.normalise) {
      const { mean, std } = options.normalise;
      if (!Number.isFinite(mean) || !(std > 0) || !Number.isFinite(std)) {
        throw new NilmError(
          'CONFIG_INVALID',
          `mains normalisation needs a finite mean and a positive std, got mean ${mean}, std ${std}`,
        );
      }
      this.normMean = mean;
      this.normScale = 1 / std;
    } else {
      this.normMean = 0;
      this.normScale = 1;
    }
    const segments = options.segments ?? cache.meta.segments.map((_, k) => k);
    for (const k of segments) cache.segmentLength(k); // throws CONFIG_INVALID on a bad index

    this.cache = cache;
    this.length = L;
    this.stride = stride;
    this.appliances = [...names];
    this.onAt = options.onAt ?? 'any';
    this.segKnown = cache.meta.segments.map((seg) =>
      Uint8Array.from(names, (name) => (!seg.metered || seg.metered.includes(name) ? 1 : 0)),
    );
    this.rows = new Float32Array(L * cache.channelCount);
    this.states = new Uint8Array(L * cache.applianceCount);

    const segOf = new GrowableUint32();
    const offsetOf = new GrowableUint32();
    const onBits = new GrowableUint32();
    for (const k of segments) this.scanSegment(k, segOf, offsetOf, onBits);
    this.segOf = segOf.toArray();
    this.offsetOf = offsetOf.toArray();
    this.onBits = onBits.toArray();
    this.windowCount = this.segOf.length;

    const counts = new Uint32Array(names.length);
    for (let w = 0; w < this.windowCount; w++) {
      for (let a = 0; a < names.length; a++) counts[a]! += (this.onBits[w]! >>> a) & 1;
    }
    this.onWindows = names.map((_, a) => new Uint32Array(counts[a]!));
    const fill = new Uint32Array(names.length);
    for (let w = 0; w < this.windowCount; w++) {
      for (let a = 0; a < names.length; a++) {
        if ((this.onBits[w]! >>> a) & 1) this.onWindows[a]![fill[a]!++] = w;
      }
    }
  }

  /**
   * One streaming pass over a segment. At each valid sample t the window ending at t, start
   * s = t - L + 1, is complete; it is valid when s is at or after the anchor (the sample after
   * the last invalid one), and on the grid when (s - anchor) is a multiple of the stride.
   */
  private scanSegment(
    k: number,
    segOf: GrowableUint32,
    offsetOf: GrowableUint32,
    onBits: GrowableUint32,
  ): void {
    const { cache, length: L, stride, applianceMap } = this;
    const n = cache.segmentLength(k);
    const A = applianceMap.length;
    const Ac = cache.applianceCount;
    const mask = new Uint8Array(Math.min(INDEX_CHUNK_ROWS, n));
    const states = new Uint8Array(Math.min(INDEX_CHUNK_ROWS, n) * Ac);
    const lastOn = new Float64Array(A).fill(-1);
    // For 'midpoint': bits of the last L samples, indexed by sample mod L.
    const ring = this.onAt === 'midpoint' ? new Uint32Array(L) : undefined;
    const half = Math.floor(L / 2);
    let anchor = 0;
    for (let from = 0; from < n; from += INDEX_CHUNK_ROWS) {
      const m = Math.min(INDEX_CHUNK_ROWS, n - from);
      cache.readMask(k, from, m, mask);
      cache.readStates(k, from, m, states);
      for (let i = 0; i < m; i++) {
        const t = from + i;
        if (!mask[i]) {
          anchor = t + 1;
          continue;
        }
        let bits = 0;
        for (let a = 0; a < A; a++) {
          if (states[i * Ac + applianceMap[a]!]) {
            bits |= 1 << a;
            lastOn[a] = t;
          }
        }
        if (ring) ring[t % L] = bits;
        const s = t - L + 1;
        if (s < anchor || (s - anchor) % stride !== 0) continue;
        let windowBits = 0;
        if (ring) {
          windowBits = ring[(s + half) % L]!;
        } else {
          for (let a = 0; a < A; a++) if (lastOn[a]! >= s) windowBits |= 1 << a;
        }
        segOf.push(k);
        offsetOf.push(s);
        onBits.push(windowBits >>> 0);
      }
    }
  }

  /** Segment and start offset of window `id`. */
  window(id: number): { segment: number; offset: number } {
    this.checkId(id);
    return { segment: this.segOf[id]!, offset: this.offsetOf[id]! };
  }

  /** Segment (house) index of window `id`. */
  segmentOf(id: number): number {
    this.checkId(id);
    return this.segOf[id]!;
  }

  /** Whether target appliance `appliance` (index) is metered in the segment of window `id`. */
  isKnown(id: number, appliance: number): boolean {
    this.checkId(id);
    return this.segKnown[this.segOf[id]!]![appliance] === 1;
  }

  /** Whether target appliance `appliance` (index into `appliances`) is on in window `id`. */
  isOn(id: number, appliance: number): boolean {
    this.checkId(id);
    return ((this.onBits[id]! >>> appliance) & 1) === 1;
  }

  /** Number of windows in which target appliance `appliance` (index) is on. */
  onWindowCount(appliance: number): number {
    return this.onWindows[appliance]?.length ?? 0;
  }

  /**
   * Fills slots 0.. of `out` with the windows `ids` (at most B of them), each read from disk
   * in one read plus one read of its states; slots past `ids.length` are zeroed.
   */
  fillWindows(ids: ArrayLike<number>, out: BatchBuffers): void {
    const B = this.batchSizeOf(out);
    if (ids.length > B) {
      throw new NilmError('CONFIG_INVALID', `${ids.length} windows do not fit a batch of ${B}`);
    }
    // Check every id first so that a bad one leaves `out` untouched, not half written.
    for (let b = 0; b < ids.length; b++) this.checkId(ids[b]!);
    for (let b = 0; b < ids.length; b++) this.fillSlot(b, ids[b]!, out);
    this.clearFrom(ids.length, B, out);
  }

  /**
   * Fills `out` with windows `first, first + 1, ...` in index order (segment, then offset),
   * for deterministic validation passes. Returns how many slots were filled: B, or fewer at
   * the end of the index (the rest are zeroed, with `windowIds` -1).
   */
  fillSequential(first: number, out: BatchBuffers): number {
    const B = this.batchSizeOf(out);
    if (!Number.isInteger(first) || first < 0) {
      throw new NilmError('CONFIG_INVALID', `first window must be a non-negative integer`);
    }
    const count = Math.max(0, Math.min(B, this.windowCount - first));
    for (let b = 0; b < count; b++) this.fillSlot(b, first + b, out);
    this.clearFrom(count, B, out);
    return count;
  }

  /** A seeded stream of random (optionally balanced) batches over this index. */
  random(options: RandomBatchOptions): RandomBatches {
    return new RandomBatches(this, options);
  }

  /** Ids of the windows where target appliance `appliance` (index) is on, ascending. */
  onWindowIds(appliance: number): Uint32Array {
    const ids = this.onWindows[appliance];
    if (!ids) throw new NilmError('CONFIG_INVALID', `no target appliance ${appliance}`);
    return ids;
  }

  /** Bit a set when target appliance a is on in window `id`. */
  onBitsOf(id: number): number {
    this.checkId(id);
    return this.onBits[id]!;
  }

  /**
   * Batch size B of `out` (`mains.length / L`), after checking that its arrays have the
   * [B, L] and [B, A, L] shapes; throws CONFIG_INVALID otherwise.
   */
  batchSizeOf(out: BatchBuffers): number {
    const L = this.length;
    const A = this.applianceMap.length;
    const B = out.mains.length / L;
    if (
      !Number.isInteger(B) ||
      B < 1 ||
      out.power.length !== B * A * L ||
      out.onOff.length !== B * A * L ||
      (out.windowIds !== undefined && out.windowIds.length < B) ||
      (out.known !== undefined && out.known.length !== B * A * L)
    ) {
      throw new NilmError(
        'CONFIG_INVALID',
        `batch arrays do not match L=${L}, A=${A}: mains ${out.mains.length}, power ${out.power.length}, onOff ${out.onOff.length}; use createBatchBuffers(B, ${L}, ${A})`,
      );
    }
    return B;
  }

  /** Writes window `id` into slot `b` of `out` (shape already checked). */
  private fillSlot(b: number, id: number, out: BatchBuffers): void {
    const { cache, length: L, rows, states, applianceMap } = this;
    const C = cache.channelCount;
    const Ac = cache.applianceCount;
    const A = applianceMap.length;
    const seg = this.segOf[id]!;
    const off = this.offsetOf[id]!;
    cache.readWindow(seg, off, L, rows);
    if (A > 0) cache.readStates(seg, off, L, states);
    const mains = out.mains;
    const mean = this.normMean;
    const scale = this.normScale;
    const mBase = b * L;
    for (let t = 0; t < L; t++) mains[mBase + t] = (rows[t * C]! - mean) * scale;
    const known = this.segKnown[seg]!;
    for (let a = 0; a < A; a++) {
      const ca = applianceMap[a]!;
      const base = (b * A + a) * L;
      for (let t = 0; t < L; t++) {
        out.power[base + t] = rows[t * C + 1 + ca]!;
        out.onOff[base + t] = states[t * Ac + ca]!;
      }
      out.known?.fill(known[a]!, base, base + L);
    }
    if (out.windowIds) out.windowIds[b] = id;
  }

  private clearFrom(from: number, B: number, out: BatchBuffers): void {
    if (from >= B) return;
    const L = this.length;
    const AL = this.applianceMap.length * L;
    out.mains.fill(0, from * L, B * L);
    out.power.fill(0, from * AL, B * AL);
    out.onOff.fill(0, from * AL, B * AL);
    out.known?.fill(0, from * AL, B * AL);
    out.windowIds?.fill(-1, from, B);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.windowCount) {
      throw new NilmError(
        'CONFIG_INVALID',
        `window ${id} does not exist (the index has ${this.windowCount})`,
      );
    }
  }
}

// Rejection tries for an "off" window before falling back to a linear scan; only appliances
// that are on in almost every window ever need the scan.
const OFF_TRIES = 32;

/** A seeded stream of random batches from a {@link WindowSampler}; see {@link RandomBatchOptions}. */
export class RandomBatches {
  readonly sampler: WindowSampler;
  readonly targetOnFraction: number | null;
  private readonly rng: SeededRandom;
  /** Target-appliance indices in the cycle. */
  private readonly cycle: Int32Array;
  private next = 0;
  private readonly slots: Float64Array;
  private readonly onSlots: Float64Array;
  /** Chosen window ids of the current batch, reused across batches. */
  private ids = new Int32Array(0);

  constructor(sampler: WindowSampler, options: RandomBatchOptions) {
    if (!Number.isFinite(options.seed)) {
      throw new NilmError('CONFIG_INVALID', `seed must be a finite number, got ${options.seed}`);
    }
    if (sampler.windowCount === 0) {
      throw new NilmError(
        'CONFIG_INVALID',
        `no valid windows of ${sampler.length} samples in ${sampler.cache.path}; use a shorter window or more data`,
      );
    }
    this.sampler = sampler;
    this.rng = new SeededRandom(options.seed);
    const balance = options.balance;
    let cycle: number[];
    if (balance) {
      const f = balance.targetOnFraction;
      if (!(f >= 0 && f <= 1)) {
        throw new NilmError('CONFIG_INVALID', `targetOnFraction must be in [0, 1], got ${f}`);
      }
      this.targetOnFraction = f;
      const names = balance.appliances ?? sampler.appliances;
      cycle = names.map((name) => {
        const a = sampler.appliances.indexOf(name);
        if (a < 0) {
          throw new NilmError(
            'CONFIG_INVALID',
            `cannot balance on "${name}": not a target appliance (${sampler.appliances.join(', ')})`,
          );
        }
        return a;
      });
      // An appliance never on in any window cannot be balanced towards; it is left out of
      // the cycle (the report still lists it with availableOn 0).
      cycle = cycle.filter((a) => sampler.onWindowCount(a) > 0);
    } else {
      this.targetOnFraction = null;
      cycle = sampler.appliances.map((_, a) => a);
    }
    this.cycle = Int32Array.from(cycle);
    this.slots = new Float64Array(sampler.appliances.length);
    this.onSlots = new Float64Array(sampler.appliances.length);
  }

  /**
   * Fills every slot of `out` with a sampled window. Returns how many slots have their
   * targeted appliance on (the running total is in {@link report}).
   */
  fill(out: BatchBuffers): number {
    const s = this.sampler;
    const B = s.batchSizeOf(out);
    if (this.ids.length !== B) this.ids = new Int32Array(B);
    let on = 0;
    for (let b = 0; b < B; b++) {
      let id: number;
      let a = -1;
      if (this.cycle.length > 0) {
        a = this.cycle[this.next]!;
        this.next = (this.next + 1) % this.cycle.length;
      }
      if (this.targetOnFraction === null || a < 0) {
        id = this.rng.below(s.windowCount);
      } else if (this.rng.next() < this.targetOnFraction) {
        const ids = s.onWindowIds(a);
        id = ids[this.rng.below(ids.length)]!;
      } else {
        id = this.drawOff(a);
      }
      this.ids[b] = id;
      if (a >= 0) {
        const isOn = (s.onBitsOf(id) >>> a) & 1;
        this.slots[a]!++;
        this.onSlots[a]! += isOn;
        on += isOn;
      }
    }
    s.fillWindows(this.ids, out);
    return on;
  }

  /** Balance achieved so far. */
  report(): BalanceReport {
    const s = this.sampler;
    const perAppliance: BalanceReport['perAppliance'] = {};
    let windows = 0;
    let onWindows = 0;
    s.appliances.forEach((name, a) => {
      perAppliance[name] = {
        windows: this.slots[a]!,
        onWindows: this.onSlots[a]!,
        availableOn: s.onWindowCount(a),
      };
      windows += this.slots[a]!;
      onWindows += this.onSlots[a]!;
    });
    return {
      targetOnFraction: this.targetOnFraction,
      windows,
      onWindows,
      achievedOnFraction: windows > 0 ? onWindows / windows : 0,
      perAppliance,
    };
  }

  /** A uniformly drawn window where target appliance `a` is off, or an on one if none is. */
  private drawOff(a: number): number {
    const s = this.sampler;
    const W = s.windowCount;
    const offCount = W - s.onWindowCount(a);
    if (offCount === 0) {
      const ids = s.onWindowIds(a);
      return ids[this.rng.below(ids.length)]!;
    }
    for (let i = 0; i < OFF_TRIES; i++) {
      const id = this.rng.below(W);
      if (!((s.onBitsOf(id) >>> a) & 1)) return id;
    }
    // Off windows are rare here: take the first one at or after a random start. This favours
    // off windows that follow long on stretches, an acceptable bias for a rare case.
    const start = this.rng.below(W);
    for (let i = 0; i < W; i++) {
      const id = (start + i) % W;
      if (!((s.onBitsOf(id) >>> a) & 1)) return id;
    }
    return start; // unreachable: offCount > 0
  }
}
