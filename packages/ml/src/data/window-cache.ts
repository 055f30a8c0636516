/**
 * A training-window cache on disk, so that training never holds a whole dataset in RAM (the
 * original Python system did). One file holds one or several {@link Series} (houses, months),
 * each a separate segment, for a fixed list of appliances, laid out so that one training window
 * is ONE contiguous `fs.readSync` into a caller's buffer.
 *
 * File layout (the contract; all integers and floats little-endian, every section starts at a
 * multiple of 8 bytes and any gap before it is zero padding):
 *
 * | byte offset            | size          | content                                            |
 * | ---------------------- | ------------- | -------------------------------------------------- |
 * | 0                      | 8             | magic `NILMWIN\0` (4E 49 4C 4D 57 49 4E 00)        |
 * | 8                      | 4             | u32 format version, {@link WINDOW_CACHE_VERSION}   |
 * | 12                     | 4             | u32 reserved, 0                                    |
 * | 16                     | 8             | u64 metadata byte offset M                         |
 * | 24                     | 4             | u32 metadata byte length N                         |
 * | 28                     | 4             | u32 CRC-32 (zlib) of the N metadata bytes          |
 * | 32                     | ...           | segment 0 sections, then segment 1, ...            |
 * | M                      | N             | UTF-8 JSON {@link WindowCacheMeta}; file ends here |
 *
 * Each segment k of `length` samples with C = 1 + A channels has three sections, at offsets
 * given in `meta.segments[k]`:
 * - `samplesOffset`: float32 row-major `[t][c]`, `length * C * 4` bytes; channel 0 is mains in
 *   W, channel 1 + a is `meta.appliances[a]`; missing samples stay NaN. Sample t of channel c
 *   is at `samplesOffset + (t * C + c) * 4`, so window (k, o, L) is the byte range
 *   `[samplesOffset + o * C * 4, samplesOffset + (o + L) * C * 4)`.
 * - `statesOffset`: uint8 row-major `[t][a]`, `length * A` bytes, 1 = on by the appliance's
 *   on/off rule in `meta.rules` (see `onOffStates`), computed over the whole segment.
 * - `maskOffset`: uint8 `[t]`, `length` bytes, 1 = mains and every appliance finite.
 * `meta.segments[k].crc32` is the CRC-32 of those three sections' bytes in that order (no
 * padding); {@link WindowCache.verify} checks it, opening does not (it would read everything).
 *
 * The metadata sits at the end because its statistics are known only after the last segment is
 * streamed; the fixed 32-byte header points to it. The writer fills a temporary file beside the
 * target and renames it into place, so a crash never leaves a file that opens as valid.
 */
import { randomBytes, createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { DataError, NilmError } from '../errors.js';
import { applianceSpec, onOffStates } from './appliances.js';
import type { Series } from './series.js';

/** Format version written into every cache file; bump when the layout changes. */
export const WINDOW_CACHE_VERSION = 1;

/** The 8 magic bytes at offset 0. */
export const WINDOW_CACHE_MAGIC = Uint8Array.from([0x4e, 0x49, 0x4c, 0x4d, 0x57, 0x49, 0x4e, 0x00]);

/** Size of the fixed header in bytes; segment data starts here. */
export const WINDOW_CACHE_HEADER_BYTES = 32;

/** The rule that turns power into on/off states (a subset of `ApplianceSpec`). */
export interface OnOffRule {
  onPowerW: number;
  minOnS: number;
  minOffS: number;
}

const ruleSchema = z.object({
  onPowerW: z.number(),
  minOnS: z.number().nonnegative(),
  minOffS: z.number().nonnegative(),
});

const offsetSchema = z.number().int().nonnegative();

const metaSchema = z.object({
  format: z.literal('nilm-window-cache'),
  version: z.literal(WINDOW_CACHE_VERSION),
  /** Seconds between samples, shared by every segment. */
  periodS: z.number().positive(),
  /** Channel names in row order: `mains`, then the appliances. */
  channels: z.array(z.string()),
  /** Canonical appliance names in channel order (channel 1 + index). */
  appliances: z.array(z.string()),
  /** The on/off rule each appliance's states were computed with. */
  rules: z.record(z.string(), ruleSchema),
  /** Caller's cache key (see {@link windowCacheKey}), or null. */
  key: z.string().nullable(),
  segments: z.array(
    z.object({
      /** Where the segment came from (the Series' `source`). */
      source: z.string(),
      /** Epoch ms of the segment's sample 0. */
      startMs: z.number(),
      /** Samples in the segment. */
      length: offsetSchema,
      samplesOffset: offsetSchema,
      statesOffset: offsetSchema,
      maskOffset: offsetSchema,
      /** Samples whose mask is 1. */
      validCount: offsetSchema,
      /** CRC-32 of the samples, states and mask sections in that order. */
      crc32: offsetSchema,
      /**
       * Appliances the segment has a sub-meter (or a synthetic label) for; absent means all.
       * An unmetered appliance's channel holds 0 W and its states 0, and it does not enter the
       * mask: training masks its loss (see `BatchBuffers.known`).
       */
      metered: z.array(z.string()).optional(),
    }),
  ),
  stats: z.object({
    totalSamples: offsetSchema,
    /** Samples where mains and every appliance are finite; all statistics below use only these. */
    validSamples: offsetSchema,
    /** Per channel, in channel order: population mean and std, min and max (0 when no valid sample). */
    channels: z.array(
      z.object({
        name: z.string(),
        mean: z.number(),
        std: z.number(),
        min: z.number(),
        max: z.number(),
      }),
    ),
    /** Per appliance: fraction of valid samples that are on. */
    onFraction: z.record(z.string(), z.number()),
  }),
});

/** The JSON metadata of a cache file (see the layout at the top of this file). */
export type WindowCacheMeta = z.infer<typeof metaSchema>;

/** One segment's entry in {@link WindowCacheMeta}. */
export type WindowCacheSegment = WindowCacheMeta['segments'][number];

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

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndianHost(file: string): void {
  // Samples are copied straight between disk and Float32Arrays, which use host byte order.
  if (!IS_LITTLE_ENDIAN) {
    throw new DataError(
      'DATA_UNSUPPORTED',
      'window caches are little-endian and this host is big-endian; train on a little-endian machine',
      { file },
    );
  }
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function resolveRules(
  appliances: readonly string[],
  overrides: Readonly<Record<string, OnOffRule>> = {},
): Record<string, OnOffRule> {
  const rules: Record<string, OnOffRule> = {};
  for (const name of appliances) {
    const rule = overrides[name] ?? applianceSpec(name);
    rules[name] = { onPowerW: rule.onPowerW, minOnS: rule.minOnS, minOffS: rule.minOffS };
  }
  return rules;
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

function malformed(file: string, message: string): DataError {
  return new DataError('DATA_MALFORMED', `${message}; delete the file and rebuild the cache`, {
    file,
  });
}

/**
 * A read-only handle on a cache file. Reads go straight from the file into caller-provided
 * arrays with `fs.readSync`, so the hot path allocates nothing and only the metadata is held.
 */
export class WindowCache {
  readonly path: string;
  readonly meta: WindowCacheMeta;
  /** Channels per row: 1 (mains) + appliances. */
  readonly channelCount: number;
  /** Number of appliances (bytes per row of the states section). */
  readonly applianceCount: number;
  private fd: number;
  // Segment geometry copied into typed arrays: the hot path avoids object lookups.
  private readonly segLength: Float64Array;
  private readonly segSamples: Float64Array;
  private readonly segStates: Float64Array;
  private readonly segMask: Float64Array;

  private constructor(path: string, fd: number, meta: WindowCacheMeta) {
    this.path = path;
    this.fd = fd;
    this.meta = meta;
    this.channelCount = meta.channels.length;
    this.applianceCount = meta.appliances.length;
    this.segLength = Float64Array.from(meta.segments, (s) => s.length);
    this.segSamples = Float64Array.from(meta.segments, (s) => s.samplesOffset);
    this.segStates = Float64Array.from(meta.segments, (s) => s.statesOffset);
    this.segMask = Float64Array.from(meta.segments, (s) => s.maskOffset);
  }

  /**
   * Opens and validates a cache file: magic, version, header bounds, metadata CRC and schema,
   * and that every section lies inside the file. Throws DATA_NOT_FOUND, DATA_MALFORMED or
   * (another format version) DATA_UNSUPPORTED, naming the file.
   */
  static open(path: string): WindowCache {
    assertLittleEndianHost(path);
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new DataError('DATA_NOT_FOUND', 'window cache file does not exist; build it first', {
          file: path,
        });
      }
      throw err;
    }
    try {
      const meta = readAndValidateMeta(path, fd);
      return new WindowCache(path, fd, meta);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Number of segments. */
  get segmentCount(): number {
    return this.segLength.length;
  }

  /** Samples in segment `segment`. */
  segmentLength(segment: number): number {
    this.checkSegment(segment);
    return this.segLength[segment]!;
  }

  /**
   * Reads samples `[offset, offset + length)` of `segment` as row-major `[t][channel]` floats
   * into `out` starting at element `outOffset`, in one read. Returns `out`.
   */
  readWindow(
    segment: number,
    offset: number,
    length: number,
    out: Float32Array,
    outOffset = 0,
  ): Float32Array {
    this.checkRange(segment, offset, length, out.length - outOffset, this.channelCount, 'out');
    const C = this.channelCount;
    this.readExact(out, outOffset * 4, length * C * 4, this.segSamples[segment]! + offset * C * 4);
    return out;
  }

  /** Reads on/off states `[t][appliance]` (0/1) of a window into `out` at `outOffset`. */
  readStates(
    segment: number,
    offset: number,
    length: number,
    out: Uint8Array,
    outOffset = 0,
  ): Uint8Array {
    const A = this.applianceCount;
    this.checkRange(segment, offset, length, out.length - outOffset, A, 'out');
    this.readExact(out, outOffset, length * A, this.segStates[segment]! + offset * A);
    return out;
  }

  /** Reads the validity mask (1 = every channel finite) of a window into `out` at `outOffset`. */
  readMask(
    segment: number,
    offset: number,
    length: number,
    out: Uint8Array,
    outOffset = 0,
  ): Uint8Array {
    this.checkRange(segment, offset, length, out.length - outOffset, 1, 'out');
    this.readExact(out, outOffset, length, this.segMask[segment]! + offset);
    return out;
  }

  /**
   * Reads every segment in chunks and checks its CRC-32, to catch damage inside the data
   * sections that opening does not look at. Throws DATA_MALFORMED naming file and segment.
   */
  verify(): void {
    const chunk = new Uint8Array(1 << 20);
    this.meta.segments.forEach((seg, k) => {
      const sections: [number, number][] = [
        [seg.samplesOffset, seg.length * this.channelCount * 4],
        [seg.statesOffset, seg.length * this.applianceCount],
        [seg.maskOffset, seg.length],
      ];
      let crc = 0;
      for (const [start, bytes] of sections) {
        for (let done = 0; done < bytes; done += chunk.length) {
          const m = Math.min(chunk.length, bytes - done);
          this.readExact(chunk, 0, m, start + done);
          crc = crc32(chunk.subarray(0, m), crc);
        }
      }
      if (crc >>> 0 !== seg.crc32) {
        throw malformed(this.path, `segment ${k} (${seg.source}) fails its CRC-32 check`);
      }
    });
  }

  /** Closes the file; later reads throw. */
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private checkSegment(segment: number): void {
    if (!Number.isInteger(segment) || segment < 0 || segment >= this.segLength.length) {
      throw new NilmError(
        'CONFIG_INVALID',
        `${this.path}: segment ${segment} does not exist (the cache has ${this.segLength.length})`,
      );
    }
  }

  private checkRange(
    segment: number,
    offset: number,
    length: number,
    room: number,
    perRow: number,
    what: string,
  ): void {
    this.checkSegment(segment);
    const n = this.segLength[segment]!;
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > n
    ) {
      throw new NilmError(
        'CONFIG_INVALID',
        `${this.path}: window [${offset}, ${offset + length}) is outside segment ${segment} of ${n} samples`,
      );
    }
    if (room < length * perRow) {
      throw new NilmError(
        'CONFIG_INVALID',
        `${what} has room for ${room} values but the window needs ${length * perRow}`,
      );
    }
  }

  private readExact(
    buf: NodeJS.ArrayBufferView,
    byteOffset: number,
    byteLength: number,
    position: number,
  ): void {
    if (this.fd < 0) {
      throw new NilmError('CONFIG_INVALID', `${this.path}: window cache used after close()`);
    }
    let done = 0;
    while (done < byteLength) {
      const n = fs.readSync(this.fd, buf, byteOffset + done, byteLength - done, position + done);
      if (n === 0) throw malformed(this.path, `file ends at byte ${position + done}: truncated`);
      done += n;
    }
  }
}

function readAndValidateMeta(path: string, fd: number): WindowCacheMeta {
  const size = fs.fstatSync(fd).size;
  if (size < WINDOW_CACHE_HEADER_BYTES) {
    throw malformed(
      path,
      `file has ${size} bytes, fewer than the ${WINDOW_CACHE_HEADER_BYTES}-byte header: truncated or not a window cache`,
    );
  }
  const header = Buffer.alloc(WINDOW_CACHE_HEADER_BYTES);
  fs.readSync(fd, header, 0, WINDOW_CACHE_HEADER_BYTES, 0);
  if (!header.subarray(0, 8).equals(WINDOW_CACHE_MAGIC)) {
    throw malformed(path, 'not a NILM window cache (bad magic bytes)');
  }
  const version = header.readUInt32LE(8);
  if (version !== WINDOW_CACHE_VERSION) {
    throw new DataError(
      'DATA_UNSUPPORTED',
      `window cache format version ${version} is not supported (this build reads ${WINDOW_CACHE_VERSION}); rebuild the cache`,
      { file: path },
    );
  }
  const metaOffset = Number(header.readBigUInt64LE(16));
  const metaLength = header.readUInt32LE(24);
  if (metaOffset < WINDOW_CACHE_HEADER_BYTES || metaOffset + metaLength !== size) {
    throw malformed(
      path,
      `header says metadata spans bytes [${metaOffset}, ${metaOffset + metaLength}) but the file has ${size} bytes: truncated or corrupted`,
    );
  }
  const json = Buffer.alloc(metaLength);
  fs.readSync(fd, json, 0, metaLength, metaOffset);
  if (crc32(json) >>> 0 !== header.readUInt32LE(28)) {
    throw malformed(path, 'metadata fails its CRC-32 check: corrupted');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw malformed(path, 'metadata is not valid JSON');
  }
  const result = metaSchema.safeParse(parsed);
  if (!result.success) {
    throw malformed(path, `metadata does not match the format: ${result.error.message}`);
  }
  const meta = result.data;
  const A = meta.appliances.length;
  const C = meta.channels.length;
  if (C !== A + 1 || meta.channels[0] !== 'mains' || meta.stats.channels.length !== C) {
    throw malformed(path, 'metadata channels do not match its appliances');
  }
  meta.segments.forEach((seg, k) => {
    const sections: [string, number, number][] = [
      ['samples', seg.samplesOffset, seg.length * C * 4],
      ['states', seg.statesOffset, seg.length * A],
      ['mask', seg.maskOffset, seg.length],
    ];
    for (const [name, start, bytes] of sections) {
      if (start % 8 !== 0 || start < WINDOW_CACHE_HEADER_BYTES || start + bytes > metaOffset) {
        throw malformed(
          path,
          `segment ${k} ${name} section [${start}, ${start + bytes}) lies outside the data area [${WINDOW_CACHE_HEADER_BYTES}, ${metaOffset})`,
        );
      }
    }
  });
  return meta;
}

/** Options that, with the source files, decide a cache's content (see {@link windowCacheKey}). */
export interface WindowCacheKeyOptions {
  periodS: number;
  appliances: readonly string[];
  rules?: Readonly<Record<string, OnOffRule>>;
}

/**
 * A hex key for the cache built from `sources` with these options: a SHA-256 over the format
 * version, each source's absolute path, size and mtime (in order, since order sets segment
 * order), the period, the appliances and their resolved on/off rules (so a changed threshold
 * invalidates cached states). Throws DATA_NOT_FOUND naming a source that does not exist.
 */
export function windowCacheKey(sources: readonly string[], options: WindowCacheKeyOptions): string {
  const files = sources.map((src) => {
    const file = resolve(src);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      throw new DataError('DATA_NOT_FOUND', 'source file of the window cache does not exist', {
        file,
      });
    }
    return { file, size: st.size, mtimeMs: st.mtimeMs };
  });
  const payload = JSON.stringify({
    version: WINDOW_CACHE_VERSION,
    files,
    periodS: options.periodS,
    appliances: options.appliances,
    rules: resolveRules(options.appliances, options.rules),
  });
  return createHash('sha256').update(payload).digest('hex').slice(0, 32);
}

/**
 * Opens the cache at `path` when it exists, is valid and was written with `key`; otherwise
 * returns undefined so the caller rebuilds it (a damaged cache is derived data, not an error).
 */
export function openWindowCacheIfFresh(path: string, key: string): WindowCache | undefined {
  let cache: WindowCache;
  try {
    cache = WindowCache.open(path);
  } catch (err) {
    if (err instanceof NilmError) return undefined;
    throw err;
  }
  if (cache.meta.key === key) return cache;
  cache.close();
  return undefined;
}
