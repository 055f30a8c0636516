/**
 * Writes a window cache (the layout is in window.cache.format.ts): segments streamed in chunks to
 * a temporary file beside the target, statistics accumulated on the way, metadata written last,
 * then renamed into place so a crash never leaves a file that opens as valid.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DataError, NilmError } from '../errors.js';
import { onOffStates } from './appliances.js';
import type { Series } from './series.js';
import {
  WINDOW_CACHE_HEADER_BYTES,
  WINDOW_CACHE_MAGIC,
  WINDOW_CACHE_VERSION,
  assertLittleEndianHost,
  resolveRules,
  type OnOffRule,
  type WindowCacheMeta,
  type WindowCacheSegment,
} from './window.cache.format.js';

/** Options of {@link writeWindowCache}. */
export interface WriteWindowCacheOptions {
  /** Canonical appliance names to store, in channel order; every segment must carry them all. */
  appliances: readonly string[];
  /**
   * Accept segments without some appliances: their channels are stored as 0 W, left out of
   * the mask, and the segment's `metered` list says which appliances it really has.
   */
  allowMissing?: boolean;
  /** Expected period in seconds; default: the first segment's. Every segment must match. */
  periodS?: number;
  /** On/off rules overriding `applianceSpec(name)` for some appliances. */
  rules?: Readonly<Record<string, OnOffRule>>;
  /** Stored as `meta.key` so a later run can tell whether the file is still fresh. */
  key?: string;
}

// Rows per write chunk: big enough that writes are a few hundred KB, small enough that the
// writer's buffers stay far below any segment's size.
const WRITE_CHUNK_ROWS = 16_384;

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** Welford accumulators per channel; float64 so that millions of samples keep their precision. */
class ChannelStatsAccumulator {
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private n = 0;

  constructor(channels: number) {
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
    this.min = new Float64Array(channels).fill(Infinity);
    this.max = new Float64Array(channels).fill(-Infinity);
  }

  /** Adds one valid row (all channels finite) starting at `row[at]`. */
  add(row: Float32Array, at: number): void {
    this.n++;
    for (let c = 0; c < this.mean.length; c++) {
      const x = row[at + c]!;
      const d = x - this.mean[c]!;
      this.mean[c]! += d / this.n;
      this.m2[c]! += d * (x - this.mean[c]!);
      if (x < this.min[c]!) this.min[c] = x;
      if (x > this.max[c]!) this.max[c] = x;
    }
  }

  result(names: readonly string[]): WindowCacheMeta['stats']['channels'] {
    return names.map((name, c) =>
      this.n === 0
        ? { name, mean: 0, std: 0, min: 0, max: 0 }
        : {
            name,
            mean: this.mean[c]!,
            std: Math.sqrt(this.m2[c]! / this.n),
            min: this.min[c]!,
            max: this.max[c]!,
          },
    );
  }
}

/**
 * Writes `series` (each one a segment, taken one at a time from the iterable so a caller can
 * load one house after another) for `options.appliances` into one cache file at `path`.
 * Nothing is left at `path` unless the whole file was written. Returns the stored metadata.
 */
export async function writeWindowCache(
  path: string,
  series: Iterable<Series> | AsyncIterable<Series>,
  options: WriteWindowCacheOptions,
): Promise<WindowCacheMeta> {
  assertLittleEndianHost(path);
  if (options.periodS !== undefined && !(options.periodS > 0)) {
    throw new NilmError('CONFIG_INVALID', `periodS must be positive, got ${options.periodS}`);
  }
  const appliances = [...options.appliances];
  if (new Set(appliances).size !== appliances.length) {
    throw new NilmError(
      'CONFIG_INVALID',
      `appliance list has duplicates: ${appliances.join(', ')}`,
    );
  }
  const rules = resolveRules(appliances, options.rules);
  const channels = ['mains', ...appliances];
  const C = channels.length;
  const A = appliances.length;

  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const fh = await fs.promises.open(tmp, 'w');
  let closed = false;
  try {
    const rows = new Float32Array(WRITE_CHUNK_ROWS * C);
    const rowBytes = new Uint8Array(rows.buffer);
    const states = new Uint8Array(WRITE_CHUNK_ROWS * A);
    const mask = new Uint8Array(WRITE_CHUNK_ROWS);
    const stats = new ChannelStatsAccumulator(C);
    const onCounts = new Float64Array(A);
    const segments: WindowCacheSegment[] = [];
    let periodS = options.periodS;
    let totalSamples = 0;
    let validSamples = 0;
    let pos = WINDOW_CACHE_HEADER_BYTES;

    const write = async (bytes: Uint8Array, at: number): Promise<void> => {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, at + done);
        done += bytesWritten;
      }
    };

    for await (const s of series) {
      const where = s.source || `segment ${segments.length}`;
      periodS ??= s.periodS;
      if (s.periodS !== periodS) {
        throw new DataError(
          'DATA_MISMATCH',
          `period ${s.periodS} s differs from the cache's ${periodS} s; resample every segment to one period`,
          { file: where },
        );
      }
      const n = s.mains.length;
      const chans: Float32Array[] = [s.mains];
      const metered: string[] = [];
      for (const name of appliances) {
        let ch = s.appliances[name];
        if (!ch && options.allowMissing) ch = new Float32Array(n);
        else if (ch) metered.push(name);
        if (!ch) {
          throw new DataError(
            'DATA_MISSING_COLUMN',
            `appliance "${name}" is missing; every segment must carry ${appliances.join(', ')}`,
            { file: where, column: name },
          );
        }
        if (ch.length !== n) {
          throw new DataError(
            'DATA_MISMATCH',
            `appliance "${name}" has ${ch.length} samples but mains has ${n}`,
            { file: where, column: name },
          );
        }
        chans.push(ch);
      }
      const isMetered = appliances.map((name) => metered.includes(name));
      // States need whole runs (minimum on/off durations), so they are computed per segment.
      const segStates = appliances.map((name, a) =>
        onOffStates(chans[a + 1]!, periodS!, rules[name]!),
      );

      const samplesOffset = pos;
      const statesOffset = align8(samplesOffset + n * C * 4);
      const maskOffset = align8(statesOffset + n * A);
      let crc = 0;
      let validCount = 0;

      // Three sequential passes, one per section, each through a chunk-sized buffer, so the
      // writer never holds a segment-sized copy (the mask's finiteness test is redone in pass 3
      // rather than kept from pass 1 for the same reason).
      for (let from = 0; from < n; from += WRITE_CHUNK_ROWS) {
        const m = Math.min(WRITE_CHUNK_ROWS, n - from);
        for (let i = 0; i < m; i++) {
          const t = from + i;
          let ok = true;
          for (let c = 0; c < C; c++) {
            const x = chans[c]![t]!;
            rows[i * C + c] = x;
            if (!Number.isFinite(x) && (c === 0 || isMetered[c - 1])) ok = false;
          }
          if (ok) {
            validCount++;
            stats.add(rows, i * C);
            for (let a = 0; a < A; a++) onCounts[a]! += segStates[a]![t]!;
          }
        }
        const bytes = rowBytes.subarray(0, m * C * 4);
        crc = crc32(bytes, crc);
        await write(bytes, samplesOffset + from * C * 4);
      }
      for (let from = 0; from < n; from += WRITE_CHUNK_ROWS) {
        const m = Math.min(WRITE_CHUNK_ROWS, n - from);
        for (let i = 0; i < m; i++) {
          for (let a = 0; a < A; a++) states[i * A + a] = segStates[a]![from + i]!;
        }
        const bytes = states.subarray(0, m * A);
        crc = crc32(bytes, crc);
        await write(bytes, statesOffset + from * A);
      }
      for (let from = 0; from < n; from += WRITE_CHUNK_ROWS) {
        const m = Math.min(WRITE_CHUNK_ROWS, n - from);
        for (let i = 0; i < m; i++) {
          let ok = 1;
          for (let c = 0; c < C; c++)
            if (!Number.isFinite(chans[c]![from + i]!) && (c === 0 || isMetered[c - 1])) ok = 0;
          mask[i] = ok;
        }
        const bytes = mask.subarray(0, m);
        crc = crc32(bytes, crc);
        await write(bytes, maskOffset + from);
      }

      segments.push({
        source: s.source,
        startMs: s.startMs,
        length: n,
        samplesOffset,
        statesOffset,
        maskOffset,
        validCount,
        crc32: crc >>> 0,
        ...(metered.length < A ? { metered } : {}),
      });
      totalSamples += n;
      validSamples += validCount;
      pos = align8(maskOffset + n);
    }

    const onFraction: Record<string, number> = {};
    appliances.forEach((name, a) => {
      onFraction[name] = validSamples > 0 ? onCounts[a]! / validSamples : 0;
    });
    const meta: WindowCacheMeta = {
      format: 'nilm-window-cache',
      version: WINDOW_CACHE_VERSION,
      periodS: periodS ?? 0,
      channels,
      appliances,
      rules,
      key: options.key ?? null,
      segments,
      stats: {
        totalSamples,
        validSamples,
        channels: stats.result(channels),
        onFraction,
      },
    };
    if (!(meta.periodS > 0)) {
      throw new NilmError(
        'CONFIG_INVALID',
        `cannot write ${path}: no segments were given and no periodS option; pass at least one series`,
      );
    }
    const json = Buffer.from(JSON.stringify(meta), 'utf8');
    await write(json, pos);

    const header = Buffer.alloc(WINDOW_CACHE_HEADER_BYTES);
    header.set(WINDOW_CACHE_MAGIC, 0);
    header.writeUInt32LE(WINDOW_CACHE_VERSION, 8);
    header.writeUInt32LE(0, 12);
    header.writeBigUInt64LE(BigInt(pos), 16);
    header.writeUInt32LE(json.length, 24);
    header.writeUInt32LE(crc32(json) >>> 0, 28);
    await write(header, 0);
    await fh.datasync();
    await fh.close();
    closed = true;
    await fs.promises.rename(tmp, path);
    return meta;
  } catch (err) {
    if (!closed) await fh.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}
