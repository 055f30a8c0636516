/**
 * Reading NumPy `.npy` files: the arrays the original Python system trained on, and a plain way
 * to hand over mains (and sub-metered) power from any tool that can call `np.save`. An `.npy`
 * file holds no time, so the caller says where the series starts and how far apart samples are.
 *
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { DataError, NilmError } from '../errors.js';
import { canonicalAppliance } from './appliances.js';
import type { Series } from './series.js';

/** Element types we read: little-endian floats and integers (byte order `<`, or `|` for bytes). */
export type NpyDtype = 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8';

/** What the header of an `.npy` file says. */
export interface NpyHeader {
  version: readonly [major: number, minor: number];
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
}

/** A whole `.npy` array, C order. `f4` stays `Float32Array`; every other type widens to f64. */
export interface NpyArray {
  shape: number[];
  dtype: NpyDtype;
  data: Float32Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ITEM_SIZE: Record<NpyDtype, number> = {
  f4: 4,
  f8: 8,
  i1: 1,
  i2: 2,
  i4: 4,
  i8: 8,
  u1: 1,
  u2: 2,
  u4: 4,
  u8: 8,
};
/** Bytes before the header text: magic, version, header length (2 bytes in v1, 4 after). */
const PREFIX_V1 = 10;
const PREFIX_V2 = 12;
/** `fs.read` takes at most 2 GiB per call. */
const READ_CHUNK = 1 << 30;

function unsupported(file: string, what: string, fix: string): DataError {
  return new DataError('DATA_UNSUPPORTED', `${what}; ${fix}`, { file });
}

function malformed(file: string, what: string): DataError {
  return new DataError('DATA_MALFORMED', `not a valid .npy file: ${what}`, { file });
}

function parseDtype(descr: string, file: string): NpyDtype {
  const resave = "re-save it with np.save(path, arr.astype('<f4'))";
  const order = descr[0];
  const kind = descr.slice(1);
  if (kind === 'O') {
    throw unsupported(file, 'the array holds Python objects (dtype object)', resave);
  }
  if (Object.hasOwn(ITEM_SIZE, kind)) {
    const dtype = kind as NpyDtype;
    // A single byte has no byte order, whatever the header writes.
    if (order === '<' || order === '|' || ITEM_SIZE[dtype] === 1) return dtype;
    if (order === '>') {
      throw unsupported(file, `the array is big-endian (dtype '${descr}')`, resave);
    }
  }
  throw unsupported(
    file,
    `dtype '${descr}' is not supported (floats f4/f8 and integers i1-i8/u1-u8 are)`,
    resave,
  );
}

/**
 * Parse the header at the start of an `.npy` file. `bytes` must hold at least the whole header
 * (its length is known after the first 12 bytes; see {@link npyHeaderLength}).
 */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  const total = npyHeaderLength(bytes, file);
  if (bytes.length < total) throw malformed(file, 'the header is truncated');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const prefix = major === 1 ? PREFIX_V1 : PREFIX_V2;
  // Versions 1 and 2 write the header in latin1; version 3 allows utf8 (field names only).
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(prefix, total),
  );
  if (/['"]descr['"]\s*:\s*\[/.test(text)) {
    throw unsupported(
      file,
      'the array has a structured (record) dtype',
      'save each field as its own array, or a plain 2-D float array with `columns`',
    );
  }
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw malformed(file, `the header lacks descr, fortran_order or shape: ${text.trim()}`);
  }
  const dtype = parseDtype(descr, file);
  const shape: number[] = [];
  for (const part of shapeText.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    // Python 2 era files may write `3L`.
    const n = Number(p.replace(/L$/, ''));
    if (!Number.isSafeInteger(n) || n < 0) throw malformed(file, `bad shape (${shapeText})`);
    shape.push(n);
  }
  if (fortran === 'True' && shape.filter((d) => d > 1).length > 1) {
    throw unsupported(
      file,
      'the array is stored in Fortran (column-major) order',
      're-save it with np.save(path, np.ascontiguousarray(arr))',
    );
  }
  return { version: [major, minor], dtype, shape, dataOffset: total };
}

/**
 * Total header length in bytes (the data offset) of an `.npy` file, from its first 12 bytes.
 * Throws DATA_MALFORMED when the magic string is absent, DATA_UNSUPPORTED for unknown versions.
 */
export function npyHeaderLength(bytes: Uint8Array, file: string): number {
  if (bytes.length < PREFIX_V1 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw malformed(file, 'it does not start with \\x93NUMPY');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) return PREFIX_V1 + view.getUint16(8, true);
  if (major === 2 || major === 3) {
    if (bytes.length < PREFIX_V2) throw malformed(file, 'the header is truncated');
    return PREFIX_V2 + view.getUint32(8, true);
  }
  throw unsupported(
    file,
    `.npy format version ${major}.${bytes[7]} is not supported (1.0 to 3.0 are)`,
    'save it with a current NumPy (np.save)',
  );
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Widen raw little-endian elements to the float array we hand out. */
function toFloat(dtype: NpyDtype, buf: ArrayBuffer): Float32Array | Float64Array {
  switch (dtype) {
    case 'f4':
      return new Float32Array(buf);
    case 'f8':
      return new Float64Array(buf);
    case 'i1':
      return new Float64Array(new Int8Array(buf));
    case 'i2':
      return new Float64Array(new Int16Array(buf));
    case 'i4':
      return new Float64Array(new Int32Array(buf));
    case 'u1':
      return new Float64Array(new Uint8Array(buf));
    case 'u2':
      return new Float64Array(new Uint16Array(buf));
    case 'u4':
      return new Float64Array(new Uint32Array(buf));
    case 'i8':
    case 'u8': {
      // Typed-array conversion does not cross from bigint to number; values past 2^53 round.
      const src = dtype === 'i8' ? new BigInt64Array(buf) : new BigUint64Array(buf);
      const out = new Float64Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]!);
      return out;
    }
  }
}

/**
 * Read a whole `.npy` file (format versions 1-3, little-endian, C order). The data is read
 * straight into the array's own buffer in one pass, so large files cost one copy at most.
 */
export async function readNpy(file: string): Promise<NpyArray> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new DataError('DATA_NOT_FOUND', `cannot open .npy file: ${(err as Error).message}`, {
      file,
    });
  }
  try {
    const { size } = await fh.stat();
    const head = new Uint8Array(Math.min(size, PREFIX_V2));
    await readFully(fh, head, 0);
    const headerBytes = new Uint8Array(Math.min(size, npyHeaderLength(head, file)));
    await readFully(fh, headerBytes, 0);
    const header = parseNpyHeader(headerBytes, file);
    const count = product(header.shape);
    const nbytes = count * ITEM_SIZE[header.dtype];
    if (size !== header.dataOffset + nbytes) {
      throw malformed(
        file,
        `the header promises ${nbytes} data bytes for shape (${header.shape.join(', ')}) ` +
          `but the file holds ${size - header.dataOffset}`,
      );
    }
    // A fresh ArrayBuffer is aligned for every element type, unlike a slice of a file buffer.
    const buf = new ArrayBuffer(nbytes);
    await readFully(fh, new Uint8Array(buf), header.dataOffset);
    return { shape: header.shape, dtype: header.dtype, data: toFloat(header.dtype, buf) };
  } finally {
    await fh.close();
  }
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const len = Math.min(READ_CHUNK, into.length - done);
    const { bytesRead } = await fh.read(into, done, len, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
}

/** Options of {@link readNpySeries}. */
export interface NpySeriesOptions {
  /**
   * Mains file. Shapes: (T) or (T, 1) mains; (T, C) with `columns`; or the original training
   * windows (N, L, F), of which feature 0 is mains and the others are ignored.
   */
  x: string;
  /** Sub-metered power: (T) or (T, A) beside a 1-D/2-D `x`; (N, L, A) beside windows. */
  y?: string;
  /**
   * Name of each column of a 2-D `x`: `mains`/`aggregate` (summed when several), an appliance
   * name or alias, or null to ignore the column. Default for a single column: mains.
   */
  columns?: readonly (string | null)[];
  /** Appliance name or alias of each feature of `y`, in order. */
  appliances?: readonly string[];
  /**
   * For windows: samples between the starts of consecutive windows (default L, windows end to
   * end). Overlapping windows must agree where they overlap, which is checked.
   */
  stride?: number;
  /** Multiplier that turns stored values into watts (default 1; P_MAX for normalised data). */
  scaleW?: number;
  /** Seconds between samples. */
  periodS: number;
  /** Epoch ms of the first sample (default 0: the file holds no time). */
  startMs?: number;
  /** Description for `Series.source` (default: the file names). */
  source?: string;
}

/** Shape written as Python would, for messages. */
function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** Throw DATA_NOT_FINITE at the first NaN or infinity, naming its flat and nd index. */
function assertFinite(arr: NpyArray, file: string): void {
  const { data, shape } = arr;
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(data[i]!)) continue;
    const nd: number[] = [];
    let rest = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      nd.unshift(rest % shape[d]!);
      rest = Math.floor(rest / shape[d]!);
    }
    throw new DataError(
      'DATA_NOT_FINITE',
      `value ${data[i]} at flat index ${i} (index [${nd.join(', ')}]); ` +
        'npy data must be complete: drop or fill missing samples before saving',
      { file },
    );
  }
}

/**
 * Stitch overlapping windows (N, L, F) back into one series of feature `f`: each window's
 * first `stride` samples, then the whole last window.
 */
function stitch(arr: NpyArray, f: number, stride: number, scale: number): Float32Array {
  const [n, l, nf] = arr.shape as [number, number, number];
  const out = new Float32Array((n - 1) * stride + l);
  const d = arr.data;
  for (let w = 0; w < n; w++) {
    const take = w === n - 1 ? l : stride;
    const base = w * l * nf + f;
    for (let k = 0; k < take; k++) out[w * stride + k] = d[base + k * nf]! * scale;
  }
  return out;
}

/** Stitching is only right when each window repeats the previous one's tail: check it. */
function assertOverlapsAgree(arr: NpyArray, stride: number, file: string): void {
  const [n, l, nf] = arr.shape as [number, number, number];
  const d = arr.data;
  for (let w = 0; w + 1 < n; w++) {
    for (let k = stride; k < l; k++) {
      const a = d[(w * l + k) * nf]!;
      const b = d[((w + 1) * l + k - stride) * nf]!;
      if (Math.abs(a - b) > 1e-6 * Math.max(1, Math.abs(a), Math.abs(b))) {
        throw new DataError(
          'DATA_MISMATCH',
          `window ${w} sample ${k} (${a}) differs from window ${w + 1} sample ${k - stride} ` +
            `(${b}), so the windows do not overlap by L - stride = ${l - stride} samples; ` +
            'pass the stride they were cut with, and windows in recording order',
          { file },
        );
      }
    }
  }
}

/** Canonical name of a column: `mains`, an appliance, or null (ignored). */
function columnRole(name: string | null): string | null {
  if (name === null) return null;
  return /^(mains|aggregate)$/i.test(name.trim()) ? 'mains' : canonicalAppliance(name);
}

/** Add `src` into `target[name]`, summing channels that share a name. */
function addChannel(target: Record<string, Float32Array>, name: string, src: Float32Array): void {
  const prev = target[name];
  if (!prev) {
    target[name] = src;
    return;
  }
  for (let i = 0; i < prev.length; i++) prev[i]! += src[i]!;
}

/** Column `c` of a (T, C) array, scaled to watts. */
function column(arr: NpyArray, c: number, cols: number, scale: number): Float32Array {
  const t = arr.shape[0]!;
  const out = new Float32Array(t);
  for (let i = 0; i < t; i++) out[i] = arr.data[i * cols + c]! * scale;
  return out;
}

function config(message: string): NilmError {
  return new NilmError('CONFIG_INVALID', message);
}

/**
 * Build a {@link Series} from `.npy` arrays: plain mains, a (T, C) table with named columns, or
 * the original system's training windows (N, L, F) plus targets (N, L, A), stitched back into
 * one continuous series. Values are multiplied by `scaleW`; any NaN/Inf is an error.
 */
export async function readNpySeries(opts: NpySeriesOptions): Promise<Series> {
  const scale = opts.scaleW ?? 1;
  const startMs = opts.startMs ?? 0;
  if (!(opts.periodS > 0)) throw config(`periodS must be > 0, got ${opts.periodS}`);
  if (!(scale > 0) || !Number.isFinite(scale)) throw config(`scaleW must be > 0, got ${scale}`);
  if (!Number.isFinite(startMs)) throw config(`startMs must be a number, got ${startMs}`);
  if (opts.appliances && !opts.y) throw config('appliances name the features of y; pass y too');

  const x = await readNpy(opts.x);
  const rank = x.shape.length;
  if (rank < 1 || rank > 3) {
    throw unsupported(
      opts.x,
      `array of shape ${shapeText(x.shape)}`,
      'save mains as (T,), a table as (T, C) or windows as (N, L, F)',
    );
  }
  if (product(x.shape) === 0) {
    throw new DataError('DATA_EMPTY', `array of shape ${shapeText(x.shape)} holds no samples`, {
      file: opts.x,
    });
  }
  assertFinite(x, opts.x);

  let mains: Float32Array | undefined;
  const appliances: Record<string, Float32Array> = {};
  let stride = 0;

  if (rank === 3) {
    if (opts.columns) throw config('columns name the columns of a 2-D x; windows use y');
    const l = x.shape[1]!;
    stride = opts.stride ?? l;
    if (!Number.isInteger(stride) || stride < 1 || stride > l) {
      throw config(`stride must be a whole number from 1 to the window length ${l}, got ${stride}`);
    }
    assertOverlapsAgree(x, stride, opts.x);
    mains = stitch(x, 0, stride, scale);
  } else {
    const cols = rank === 1 ? 1 : x.shape[1]!;
    const names = opts.columns ?? (cols === 1 ? ['mains'] : undefined);
    if (!names) {
      throw config(
        `${opts.x} has ${cols} columns; name them with columns (mains, appliance names or null)`,
      );
    }
    if (names.length !== cols) {
      throw new DataError(
        'DATA_MISMATCH',
        `${names.length} column names given for an array of shape ${shapeText(x.shape)}`,
        { file: opts.x },
      );
    }
    const cols2: Record<string, Float32Array> = {};
    names.forEach((name, c) => {
      const role = columnRole(name);
      if (role !== null) addChannel(cols2, role, column(x, c, cols, scale));
    });
    const { mains: m, ...rest } = cols2;
    if (!m) {
      throw new DataError(
        'DATA_MISSING_COLUMN',
        `no column is named mains or aggregate among [${names.join(', ')}]`,
        { file: opts.x },
      );
    }
    mains = m;
    Object.assign(appliances, rest);
  }

  if (opts.y) {
    const y = await readNpy(opts.y);
    assertFinite(y, opts.y);
    const yRank = y.shape.length;
    const ok =
      rank === 3
        ? yRank === 3 && y.shape[0] === x.shape[0] && y.shape[1] === x.shape[1]
        : (yRank === 1 || yRank === 2) && y.shape[0] === x.shape[0];
    if (!ok) {
      throw new DataError(
        'DATA_MISMATCH',
        `y of shape ${shapeText(y.shape)} does not match x of shape ${shapeText(x.shape)} ` +
          `(${opts.x}); y must be ${rank === 3 ? '(N, L, A)' : '(T,) or (T, A)'} with x's leading axes`,
        { file: opts.y },
      );
    }
    const features = rank === 3 ? y.shape[2]! : yRank === 1 ? 1 : y.shape[1]!;
    const names = opts.appliances;
    if (!names) throw config(`name the ${features} feature(s) of ${opts.y} with appliances`);
    if (names.length !== features) {
      throw new DataError(
        'DATA_MISMATCH',
        `${names.length} appliance names given for ${features} feature(s) of shape ${shapeText(y.shape)}`,
        { file: opts.y },
      );
    }
    names.forEach((name, a) => {
      const canonical = canonicalAppliance(name);
      const values = rank === 3 ? stitch(y, a, stride, scale) : column(y, a, features, scale);
      addChannel(appliances, canonical, values);
    });
  }

  return {
    startMs,
    periodS: opts.periodS,
    mains,
    appliances,
    source: opts.source ?? (opts.y ? `${opts.x} + ${opts.y}` : opts.x),
  };
}
