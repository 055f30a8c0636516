/**
 * Reads a window cache (the layout is in window.cache.format.ts): one window is one contiguous
 * read into a caller's buffer; only the metadata is held in memory.
 */
import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { DataError, NilmError } from '../errors.js';
import {
  assertLittleEndianHost,
  malformed,
  readAndValidateMeta,
  type WindowCacheMeta,
} from './window.cache.format.js';

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
