/**
 * Reading power data from Parquet: one row per timestamp, one column per channel (the layout of
 * REFIT-style tables once converted with pandas, and of our own exports). Rows are binned onto a
 * regular grid by `toGrid`; a null cell is a missing sample, a NaN cell is an error.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData, ParquetParsers, SchemaElement } from 'hyparquet';
import { DataError, NilmError } from '../errors.js';
import { canonicalAppliance, findAppliance } from './appliances.js';
import { medianIntervalS, toGrid } from './resample.js';
import type { SampledChannel } from './resample.js';
import type { Series } from './series.js';

/** How numeric times are counted; `iso` for ISO 8601 strings. TIMESTAMP columns carry their own. */
export type TimeUnit = 'ms' | 's' | 'us' | 'ns' | 'iso';

/** Which columns hold what. */
export interface ParquetColumnMapping {
  /** Time column: TIMESTAMP, epoch numbers (see `timeUnit`) or ISO 8601 strings. */
  time: string;
  /** Whole-house power column, W. */
  mains: string;
  /** Sub-metered columns: column name -> appliance name or alias. Same appliance: summed. */
  appliances?: Record<string, string>;
  /**
   * Unit of a numeric time column. Default: guessed from the first value's magnitude (seconds
   * up to 1e11, then ms, us, ns). Ignored for TIMESTAMP/DATE columns, which carry their unit.
   */
  timeUnit?: TimeUnit;
}

/** Options of {@link readParquetSeries}. */
export interface ParquetSeriesOptions {
  /** Column mapping; default detected by {@link detectParquetMapping}. */
  mapping?: ParquetColumnMapping;
  /** Grid period in seconds; default the median interval between rows. */
  periodS?: number;
  /** Passed to `toGrid`: how long a value is held across a gap (default three intervals). */
  fillLimitS?: number;
  /** Description for `Series.source` (default: the file path). */
  source?: string;
}

/** A column that was not read, and why. */
export interface SkippedColumn {
  column: string;
  reason: string;
}

/** The series and the columns left out of it. */
export interface ParquetSeriesResult {
  series: Series;
  skipped: SkippedColumn[];
}

/** What we need to know of one top-level column. */
export interface ParquetColumnInfo {
  name: string;
  kind: 'timestamp' | 'number' | 'string' | 'other';
}

const TIME_NAMES = ['time', 'timestamp', 'datetime'];
const MAINS_NAMES = ['aggregate', 'mains', 'power_w'];

/** Parsers that turn TIMESTAMP/DATE cells into epoch ms numbers instead of Date objects. */
const MS_PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1e3,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
  dateFromDays: (days: number) => days * 86_400_000,
};

function columnKind(el: SchemaElement): ParquetColumnInfo['kind'] {
  const logical = el.logical_type?.type;
  if (logical === 'TIMESTAMP' || logical === 'DATE' || el.type === 'INT96') return 'timestamp';
  const converted = el.converted_type;
  if (
    converted === 'TIMESTAMP_MILLIS' ||
    converted === 'TIMESTAMP_MICROS' ||
    converted === 'DATE'
  ) {
    return 'timestamp';
  }
  if (logical === 'STRING' || converted === 'UTF8') return 'string';
  if (el.type === 'FLOAT' || el.type === 'DOUBLE' || el.type === 'INT32' || el.type === 'INT64') {
    // Decimals are scaled integers and need their scale: not power readings we know of.
    return logical === 'DECIMAL' || converted === 'DECIMAL' ? 'other' : 'number';
  }
  return 'other';
}

/** Top-level columns of a Parquet file with the kind of values they hold. */
export function parquetColumns(metadata: FileMetaData): ParquetColumnInfo[] {
  return parquetSchema(metadata).children.map((c) => ({
    name: c.element.name,
    kind: c.children.length > 0 ? 'other' : columnKind(c.element),
  }));
}

/**
 * The default mapping: time from `Time`/`time`/`timestamp`/`datetime` (any case; else the first
 * TIMESTAMP column), mains from `Aggregate`/`mains`/`power_w`, and every other numeric column
 * whose name is a known appliance or alias. Other columns are listed as skipped.
 */
export function detectParquetMapping(
  columns: readonly ParquetColumnInfo[],
  file: string,
): { mapping: ParquetColumnMapping; skipped: SkippedColumn[] } {
  const lower = (c: ParquetColumnInfo) => c.name.toLowerCase();
  const time =
    columns.find((c) => TIME_NAMES.includes(lower(c))) ??
    columns.find((c) => c.kind === 'timestamp');
  const mains = columns.find((c) => MAINS_NAMES.includes(lower(c)) && c.kind === 'number');
  const names = columns.map((c) => c.name).join(', ');
  if (!time) {
    throw new DataError(
      'DATA_MISSING_COLUMN',
      `no time column (looked for ${TIME_NAMES.join('/')} or a TIMESTAMP column) among [${names}]; ` +
        'pass a column mapping',
      { file },
    );
  }
  if (!mains) {
    throw new DataError(
      'DATA_MISSING_COLUMN',
      `no numeric mains column (looked for ${MAINS_NAMES.join('/')}) among [${names}]; ` +
        'pass a column mapping',
      { file },
    );
  }
  const appliances: Record<string, string> = {};
  const skipped: SkippedColumn[] = [];
  for (const c of columns) {
    if (c === time || c === mains) continue;
    const spec = findAppliance(c.name);
    if (c.kind !== 'number') skipped.push({ column: c.name, reason: 'not numeric' });
    else if (!spec) skipped.push({ column: c.name, reason: 'not a known appliance name' });
    else appliances[c.name] = spec.name;
  }
  return { mapping: { time: time.name, mains: mains.name, appliances }, skipped };
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Epoch ms of an ISO 8601 date-time; naive times are UTC (as `Series` says). Parsed here rather
 * than by `Date.parse`, which reads naive date-times as local time. NaN when not ISO 8601.
 */
export function parseIsoMs(text: string): number {
  const m = ISO.exec(text.trim());
  if (!m) return NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const ms =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) +
    (frac ? Number(frac) * 1000 : 0);
  if (zone.toUpperCase() === 'Z') return ms;
  const digits = zone.replace(':', '');
  const sign = digits[0] === '-' ? -1 : 1;
  const offsetMin = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || '0');
  return ms - sign * offsetMin * 60_000;
}

const UNIT_MS: Record<Exclude<TimeUnit, 'iso'>, number> = { s: 1e3, ms: 1, us: 1e-3, ns: 1e-6 };

/** Unit of epoch numbers from their magnitude: plausible dates (1973-5138) in each unit. */
function guessUnit(v: number): Exclude<TimeUnit, 'iso'> {
  const a = Math.abs(v);
  if (a < 1e11) return 's';
  if (a < 1e14) return 'ms';
  if (a < 1e17) return 'us';
  return 'ns';
}

/**
 * Read a Parquet file into a {@link Series} on a regular grid. Rows must be in strictly
 * increasing time order; values must be finite or null (null is a missing sample).
 */
export async function readParquetSeries(
  file: string,
  opts: ParquetSeriesOptions = {},
): Promise<ParquetSeriesResult> {
  if (opts.periodS !== undefined && !(opts.periodS > 0)) {
    throw new NilmError('CONFIG_INVALID', `periodS must be > 0, got ${opts.periodS}`);
  }
  const buffer = await asyncBufferFromFile(file).catch((err: Error) => {
    throw new DataError('DATA_NOT_FOUND', `cannot open Parquet file: ${err.message}`, { file });
  });
  const metadata = await parquetMetadataAsync(buffer).catch((err: Error) => {
    throw new DataError('DATA_MALFORMED', `not a readable Parquet file: ${err.message}`, { file });
  });
  const columns = parquetColumns(metadata);
  const byName = new Map(columns.map((c) => [c.name, c]));
  let mapping: ParquetColumnMapping;
  let skipped: SkippedColumn[];
  if (opts.mapping) {
    mapping = opts.mapping;
    const used = new Set([mapping.time, mapping.mains, ...Object.keys(mapping.appliances ?? {})]);
    const absent = [...used].filter((c) => !byName.has(c));
    if (absent.length > 0) {
      throw new DataError(
        'DATA_MISSING_COLUMN',
        `column(s) ${absent.map((c) => `"${c}"`).join(', ')} not found; the file has ` +
          `[${columns.map((c) => c.name).join(', ')}]`,
        { file, column: absent[0] },
      );
    }
    skipped = columns
      .filter((c) => !used.has(c.name))
      .map((c) => ({ column: c.name, reason: 'not in the mapping' }));
  } else {
    ({ mapping, skipped } = detectParquetMapping(columns, file));
  }
  // Canonical names first, so that a bad appliance name fails before any data is read.
  const applianceOf = Object.entries(mapping.appliances ?? {}).map(
    ([col, name]) => [col, canonicalAppliance(name)] as const,
  );
  for (const col of [mapping.mains, ...applianceOf.map(([c]) => c)]) {
    if (byName.get(col)!.kind !== 'number') {
      throw new DataError(
        'DATA_MALFORMED',
        `column "${col}" holds ${byName.get(col)!.kind} values, not numbers`,
        { file, column: col },
      );
    }
  }

  const rows = Number(metadata.num_rows);
  if (rows === 0) throw new DataError('DATA_EMPTY', 'the file holds no rows', { file });

  const valueCols = [...new Set([mapping.mains, ...applianceOf.map(([c]) => c)])];
  const chunks = await readColumnChunks(buffer, metadata, [
    mapping.time,
    ...valueCols.filter((c) => c !== mapping.time),
  ]);
  const timeKind = byName.get(mapping.time)!.kind;
  const timesMs = readTimes(file, mapping.time, timeKind, mapping.timeUnit, rows, chunks);
  const values = new Map(valueCols.map((c) => [c, readValues(file, c, rows, chunks)]));

  const channels: Record<string, SampledChannel> = {
    __mains: { timesMs, values: values.get(mapping.mains)! },
  };
  for (const [col, name] of applianceOf) {
    const v = values.get(col)!;
    const prev = channels[name]?.values as Float64Array | undefined;
    // Same grid rows, so channels of one appliance add row by row; a null in either is missing.
    channels[name] = { timesMs, values: prev ? prev.map((p, i) => p + v[i]!) : v };
  }

  let periodS = opts.periodS;
  if (periodS === undefined) {
    periodS = Math.round(medianIntervalS(timesMs) * 1000) / 1000;
    if (!(periodS > 0)) {
      throw new NilmError(
        'CONFIG_INVALID',
        `cannot detect a sampling period from ${rows} row(s) of ${file}; pass periodS`,
      );
    }
  }
  const grid = toGrid(channels, { periodS, fillLimitS: opts.fillLimitS, spanChannel: '__mains' });
  const { __mains: mains, ...appliances } = grid.channels;
  return {
    series: {
      startMs: grid.startMs,
      periodS,
      mains: mains!,
      appliances,
      source: opts.source ?? file,
    },
    skipped,
  };
}

/** One column's decoded chunks, by the row each starts at. */
type ColumnChunks = Map<string, { rowStart: number; data: ArrayLike<unknown> }[]>;

/** Read whole columns; timestamps arrive as epoch ms numbers (see MS_PARSERS). */
async function readColumnChunks(
  file: AsyncBuffer,
  metadata: FileMetaData,
  columns: string[],
): Promise<ColumnChunks> {
  const out: ColumnChunks = new Map(columns.map((c) => [c, []]));
  await parquetRead({
    file,
    metadata,
    columns,
    parsers: MS_PARSERS,
    onChunk: ({ columnName, columnData, rowStart }) => {
      out.get(columnName)?.push({ rowStart, data: columnData });
    },
  });
  // Row groups are decoded concurrently; put each column's pieces back in row order.
  for (const list of out.values()) list.sort((a, b) => a.rowStart - b.rowStart);
  return out;
}

/** Visit every cell of a column in row order. */
function forEachCell(
  chunks: ColumnChunks,
  col: string,
  visit: (v: unknown, row: number) => void,
): void {
  for (const { rowStart, data } of chunks.get(col) ?? []) {
    for (let k = 0; k < data.length; k++) visit(data[k], rowStart + k);
  }
}

/** A numeric column as float64, null cells as NaN (missing); a NaN or infinite cell throws. */
function readValues(file: string, col: string, rows: number, chunks: ColumnChunks): Float64Array {
  const out = new Float64Array(rows).fill(NaN);
  forEachCell(chunks, col, (v, row) => {
    if (v === null || v === undefined) return;
    const x = Number(v);
    if (!Number.isFinite(x)) {
      throw new DataError(
        'DATA_NOT_FINITE',
        `row ${row} (0-based) of column "${col}" is ${x}; write missing samples as null`,
        { file, column: col },
      );
    }
    out[row] = x;
  });
  return out;
}

/** Epoch ms of every row, checked to increase strictly. */
function readTimes(
  file: string,
  col: string,
  kind: ParquetColumnInfo['kind'],
  unit: TimeUnit | undefined,
  rows: number,
  chunks: ColumnChunks,
): Float64Array {
  const out = new Float64Array(rows);
  // TIMESTAMP cells arrive as epoch ms whatever the mapping says.
  if (kind === 'timestamp') unit = 'ms';
  let factor = unit && unit !== 'iso' ? UNIT_MS[unit] : 0;
  const bad = (row: number, what: string) =>
    new DataError('DATA_MALFORMED', `row ${row} (0-based) of time column "${col}": ${what}`, {
      file,
      column: col,
    });
  forEachCell(chunks, col, (v, row) => {
    let t: number;
    if (v === null || v === undefined) throw bad(row, 'no time (null)');
    if (typeof v === 'string') {
      if (unit !== undefined && unit !== 'iso') throw bad(row, `"${v}" is text, not ${unit}`);
      t = parseIsoMs(v);
      if (Number.isNaN(t)) throw bad(row, `"${v}" is not an ISO 8601 date-time`);
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      if (unit === 'iso') throw bad(row, `${v} is a number, not an ISO 8601 string`);
      const x = Number(v);
      if (!Number.isFinite(x)) throw bad(row, `${x} is not a time`);
      if (factor === 0) factor = UNIT_MS[guessUnit(x)];
      t = x * factor;
    } else if (v instanceof Date) {
      t = v.getTime();
    } else {
      throw bad(row, `unexpected value ${String(v)}`);
    }
    if (row > 0 && !(t > out[row - 1]!)) {
      const how = t === out[row - 1] ? 'repeats' : 'goes back to';
      throw new DataError(
        'DATA_TIME_ORDER',
        `row ${row} (0-based): time ${how} ${timeText(t)} after ` +
          `${timeText(out[row - 1]!)} in row ${row - 1}; sort the rows by time ` +
          'and drop duplicates',
        { file, column: col },
      );
    }
    out[row] = t;
  });
  return out;
}

/** An epoch ms time for messages; raw when out of the Date range (a wrong unit, say). */
function timeText(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms} ms` : d.toISOString();
}
