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
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { DataError } from '../errors.js';
import { applianceSpec } from './appliances.js';

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

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function assertLittleEndianHost(file: string): void {
  // Samples are copied straight between disk and Float32Arrays, which use host byte order.
  if (!IS_LITTLE_ENDIAN) {
    throw new DataError(
      'DATA_UNSUPPORTED',
      'window caches are little-endian and this host is big-endian; train on a little-endian machine',
      { file },
    );
  }
}

/** Each appliance's on/off rule: the override if given, else the vocabulary's. */
export function resolveRules(
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

/** A DATA_MALFORMED error naming the file, telling the reader to rebuild the cache. */
export function malformed(file: string, message: string): DataError {
  return new DataError('DATA_MALFORMED', `${message}; delete the file and rebuild the cache`, {
    file,
  });
}

/** Reads the header and metadata of an open cache file and checks them against the layout above. */
export function readAndValidateMeta(path: string, fd: number): WindowCacheMeta {
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
