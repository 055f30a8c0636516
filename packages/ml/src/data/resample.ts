/**
 * Putting samples on a regular grid. Readers hand over raw (time, value) samples per channel,
 * possibly each channel with its own timestamps (REDD, UK-DALE); this module bins them by
 * mean onto one grid, holds a value across short reporting gaps, and leaves longer gaps NaN
 * so that they are never trained on or scored.
 */
import { NilmError } from '../errors.js';
import type { Series } from './series.js';

/** Raw samples of one channel: times ascending, epoch ms. */
export interface SampledChannel {
  timesMs: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface GridOptions {
  /** Grid period in seconds. */
  periodS: number;
  /**
   * A grid cell with no sample takes the last sample's value if that sample is at most this
   * many seconds older than the cell's start; otherwise it is missing (NaN). Default: three
   * times the channel's median sampling interval, and at least one grid period.
   */
  fillLimitS?: number;
  /** Channel whose span defines the grid (default: the first channel). */
  spanChannel?: string;
}

/** Median interval between consecutive samples, in seconds (0 when fewer than 2 samples). */
export function medianIntervalS(timesMs: ArrayLike<number>): number {
  const n = timesMs.length;
  if (n < 2) return 0;
  // A strided sample of intervals is enough for a median and keeps this O(n) on big files.
  const step = Math.max(1, Math.floor((n - 1) / 10_000));
  const d: number[] = [];
  for (let i = 1; i < n; i += step) d.push(timesMs[i]! - timesMs[i - 1]!);
  d.sort((a, b) => a - b);
  // The lower median: with an even count, a regular grid with one hole still gives its period.
  return d[Math.floor((d.length - 1) / 2)]! / 1000;
}

/** Bin one channel by mean onto the grid [startMs, startMs + length * period). */
function binChannel(
  ch: SampledChannel,
  startMs: number,
  length: number,
  periodS: number,
  fillLimitS: number | undefined,
): Float32Array {
  const periodMs = periodS * 1000;
  const sums = new Float64Array(length);
  const counts = new Uint32Array(length);
  const n = ch.timesMs.length;
  for (let i = 0; i < n; i++) {
    const v = ch.values[i]!;
    if (!Number.isFinite(v)) continue;
    const k = Math.floor((ch.timesMs[i]! - startMs) / periodMs);
    if (k < 0 || k >= length) continue;
    sums[k] += v;
    counts[k]++;
  }
  const limitMs = (fillLimitS ?? Math.max(3 * medianIntervalS(ch.timesMs), periodS)) * 1000;
  const out = new Float32Array(length);
  // Walk the grid and the samples together to know the last finite sample before each cell.
  let j = 0;
  let lastT = -Infinity;
  let lastV = NaN;
  for (let k = 0; k < length; k++) {
    const cellStart = startMs + k * periodMs;
    if (counts[k]! > 0) {
      out[k] = sums[k]! / counts[k]!;
    } else {
      while (j < n && ch.timesMs[j]! < cellStart) {
        const v = ch.values[j]!;
        if (Number.isFinite(v)) {
          lastT = ch.timesMs[j]!;
          lastV = v;
        }
        j++;
      }
      out[k] = cellStart - lastT <= limitMs ? lastV : NaN;
    }
  }
  return out;
}

/**
 * Put several channels, each with its own timestamps, on one regular grid. The grid spans the
 * span channel (mains, usually); other channels are NaN where they have no data.
 */
export function toGrid(
  channels: Record<string, SampledChannel>,
  opts: GridOptions,
): { startMs: number; length: number; channels: Record<string, Float32Array> } {
  const { periodS } = opts;
  if (!(periodS > 0)) throw new NilmError('CONFIG_INVALID', `period must be > 0 s, got ${periodS}`);
  const names = Object.keys(channels);
  const spanName = opts.spanChannel ?? names[0];
  const span = spanName === undefined ? undefined : channels[spanName];
  if (!span || span.timesMs.length === 0) {
    return {
      startMs: 0,
      length: 0,
      channels: Object.fromEntries(names.map((k) => [k, new Float32Array(0)])),
    };
  }
  const periodMs = periodS * 1000;
  const startMs = Math.floor(span.timesMs[0]! / periodMs) * periodMs;
  const endMs = span.timesMs[span.timesMs.length - 1]!;
  const length = Math.floor((endMs - startMs) / periodMs) + 1;
  const out: Record<string, Float32Array> = {};
  for (const name of names)
    out[name] = binChannel(channels[name]!, startMs, length, periodS, opts.fillLimitS);
  return { startMs, length, channels: out };
}

/**
 * Resample a regular series to another period. Coarser: mean of the finite samples in each
 * cell, missing when fewer than half of the cell's samples exist. Finer: each sample's value is
 * held over the cells it covers. Other ratios go through the general grid binning.
 */
export function resampleSeries(s: Series, periodS: number): Series {
  if (!(periodS > 0)) throw new NilmError('CONFIG_INVALID', `period must be > 0 s, got ${periodS}`);
  if (periodS === s.periodS) return s;
  const ratio = periodS / s.periodS;
  const chans: Record<string, Float32Array> = { __mains: s.mains, ...s.appliances };
  const out: Record<string, Float32Array> = {};
  let startMs = s.startMs;
  if (Number.isInteger(ratio)) {
    // Align the coarse grid to multiples of its period so that resampled files line up.
    const periodMs = periodS * 1000;
    startMs = Math.floor(s.startMs / periodMs) * periodMs;
    const offset = Math.round((s.startMs - startMs) / (s.periodS * 1000));
    const length = Math.ceil((s.mains.length + offset) / ratio);
    for (const [name, v] of Object.entries(chans)) {
      const o = new Float32Array(length);
      for (let k = 0; k < length; k++) {
        let sum = 0;
        let count = 0;
        const from = Math.max(0, k * ratio - offset);
        const to = Math.min(v.length, (k + 1) * ratio - offset);
        for (let i = from; i < to; i++) {
          const x = v[i]!;
          if (Number.isFinite(x)) {
            sum += x;
            count++;
          }
        }
        o[k] = count * 2 >= ratio ? sum / count : NaN;
      }
      out[name] = o;
    }
  } else if (Number.isInteger(1 / ratio)) {
    const rep = Math.round(1 / ratio);
    for (const [name, v] of Object.entries(chans)) {
      const o = new Float32Array(v.length * rep);
      for (let i = 0; i < v.length; i++) o.fill(v[i]!, i * rep, (i + 1) * rep);
      out[name] = o;
    }
  } else {
    const times = new Float64Array(s.mains.length);
    for (let i = 0; i < times.length; i++) times[i] = s.startMs + i * s.periodS * 1000;
    const sampled: Record<string, SampledChannel> = {};
    for (const [name, v] of Object.entries(chans)) sampled[name] = { timesMs: times, values: v };
    const g = toGrid(sampled, { periodS, fillLimitS: s.periodS, spanChannel: '__mains' });
    startMs = g.startMs;
    Object.assign(out, g.channels);
  }
  const { __mains: mains, ...appliances } = out;
  return { startMs, periodS, mains: mains!, appliances, source: s.source };
}

/**
 * Treat mains readings of exactly 0 W as missing. In the published REFIT/IDEAL files gaps in
 * the recording were filled with 0; a whole house never draws exactly 0 W.
 */
export function markZeroMainsMissing(s: Series): Series {
  for (let i = 0; i < s.mains.length; i++) if (s.mains[i] === 0) s.mains[i] = NaN;
  return s;
}
