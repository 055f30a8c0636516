/**
 * CSV readers. The dataset layout of `../shared/data` (REFIT, IDEAL as resampled by DeviceScope:
 * `Time,Aggregate,<Appliance>...`, naive UTC times, gzip or plain) and generic CSV with a
 * column mapping. Files are streamed line by line; every bad line stops the read with the
 * file and line number and what to do.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { DataError } from '../errors.js';
import { canonicalAppliance, findAppliance } from './appliances.js';
import { markZeroMainsMissing, medianIntervalS, toGrid } from './resample.js';
import type { Series } from './series.js';

export type TimeFormat = 'auto' | 'naive' | 'iso' | 'unix_s' | 'unix_ms';

/** Which columns hold what. Appliance column names map to appliance names (canonicalised). */
export interface CsvMapping {
  time: string;
  mains: string;
  appliances?: Record<string, string>;
  timeFormat?: TimeFormat;
  delimiter?: string;
  /** Grid period; default: the median interval between rows. */
  periodS?: number;
  /** Mains of exactly 0 W means "no data" (true for the REFIT/IDEAL files). Default true. */
  zeroIsMissing?: boolean;
  /** Multiply power columns by this (e.g. 1000 for kW files). Default 1. */
  scale?: number;
}

/** Growable Float64 buffer: rows are appended without knowing the file length up front. */
class Column {
  data = new Float64Array(4096);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;

/** Parse a timestamp cell; NaN when it does not match the format. */
export function parseTime(cell: string, format: TimeFormat): number {
  const s = cell.trim();
  if (format === 'unix_s' || format === 'unix_ms') {
    if (!/^-?\d+(\.\d+)?$/.test(s)) return NaN;
    return format === 'unix_s' ? Number(s) * 1000 : Number(s);
  }
  const m = NAIVE.exec(s);
  if (m) {
    const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
    return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0, ms);
  }
  if (format === 'naive') return NaN;
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(s)) return Date.parse(s);
  if (format === 'auto' && /^\d{9,13}(\.\d+)?$/.test(s)) {
    // Ten digits are seconds until 2286; thirteen are milliseconds.
    const v = Number(s);
    return s.split('.')[0]!.length >= 12 ? v : v * 1000;
  }
  return NaN;
}

function parsePower(cell: string, file: string, line: number, column: string): number {
  const s = cell.trim();
  if (s === '') {
    throw new DataError(
      'DATA_MALFORMED',
      `empty value in column "${column}"; every row needs a number in every column`,
      { file, line, column },
    );
  }
  const v = Number(s);
  if (Number.isNaN(v)) {
    if (/^[-+]?(nan|inf(inity)?)$/i.test(s)) {
      throw new DataError(
        'DATA_NOT_FINITE',
        `value "${s}" in column "${column}" is not a finite number; leave gaps out or fill them with 0 for mains`,
        { file, line, column },
      );
    }
    throw new DataError('DATA_MALFORMED', `value "${s}" in column "${column}" is not a number`, {
      file,
      line,
      column,
    });
  }
  if (!Number.isFinite(v)) {
    throw new DataError('DATA_NOT_FINITE', `value "${s}" in column "${column}" is not finite`, {
      file,
      line,
      column,
    });
  }
  return v;
}

function lines(file: string): AsyncIterable<string> {
  const raw = createReadStream(file);
  const stream = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  // A broken gzip stream must reject the read, not crash the process.
  raw.on('error', (e) => stream.destroy(e));
  return createInterface({ input: stream, crlfDelay: Infinity });
}

/** Read one CSV file with an explicit column mapping into a regular-grid series. */
export async function readCsvSeries(file: string, mapping: CsvMapping): Promise<Series> {
  const delimiter = mapping.delimiter ?? ',';
  const format = mapping.timeFormat ?? 'auto';
  const scale = mapping.scale ?? 1;
  let header: string[] | undefined;
  let idx:
    | { time: number; mains: number; apps: Array<{ col: number; name: string; header: string }> }
    | undefined;
  const times = new Column();
  const mains = new Column();
  let apps: Column[] = [];
  let lineNo = 0;
  let prev = -Infinity;
  try {
    for await (const text of lines(file)) {
      lineNo++;
      if (text.trim() === '') continue;
      const cells = text.split(delimiter);
      if (!header) {
        header = cells.map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
        const find = (name: string): number => {
          const i = header!.indexOf(name);
          if (i < 0) {
            throw new DataError(
              'DATA_MISSING_COLUMN',
              `column "${name}" not found; the header has: ${header!.join(', ')}`,
              { file, line: 1, column: name },
            );
          }
          return i;
        };
        const time = find(mapping.time);
        const mainsCol = find(mapping.mains);
        const entries = Object.entries(mapping.appliances ?? {});
        const seen = new Map<string, string>();
        const appCols = entries.map(([col, name]) => {
          const canonical = canonicalAppliance(name);
          const other = seen.get(canonical);
          if (other) {
            throw new DataError(
              'DATA_MISMATCH',
              `columns "${other}" and "${col}" both map to appliance "${canonical}"`,
              { file, line: 1 },
            );
          }
          seen.set(canonical, col);
          return { col: find(col), name: canonical, header: col };
        });
        idx = { time, mains: mainsCol, apps: appCols };
        apps = appCols.map(() => new Column());
        continue;
      }
      if (cells.length !== header.length) {
        throw new DataError(
          'DATA_MALFORMED',
          `expected ${header.length} fields (${header.join(',')}), found ${cells.length}`,
          { file, line: lineNo },
        );
      }
      const t = parseTime(cells[idx!.time]!, format);
      if (Number.isNaN(t)) {
        throw new DataError(
          'DATA_MALFORMED',
          `time "${cells[idx!.time]}" is not a valid timestamp (expected YYYY-MM-DD HH:MM:SS, ISO-8601 with zone, or unix seconds/ms)`,
          { file, line: lineNo, column: mapping.time },
        );
      }
      if (t <= prev) {
        throw new DataError(
          'DATA_TIME_ORDER',
          t === prev
            ? `duplicated time "${cells[idx!.time]}"`
            : `time "${cells[idx!.time]}" is earlier than the row before; sort the file by time`,
          { file, line: lineNo, column: mapping.time },
        );
      }
      prev = t;
      times.push(t);
      mains.push(parsePower(cells[idx!.mains]!, file, lineNo, mapping.mains) * scale);
      for (let a = 0; a < idx!.apps.length; a++) {
        const spec = idx!.apps[a]!;
        apps[a]!.push(parsePower(cells[spec.col]!, file, lineNo, spec.header) * scale);
      }
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new DataError('DATA_NOT_FOUND', 'file not found', { file });
    throw new DataError('DATA_MALFORMED', `cannot read file: ${err.message}`, {
      file,
      line: lineNo || undefined,
    });
  }
  if (!header)
    throw new DataError('DATA_EMPTY', 'file is empty; expected a header line and data rows', {
      file,
    });
  if (times.length === 0)
    throw new DataError('DATA_EMPTY', 'file has a header but no data rows', { file });
  const tv = times.view();
  // One row has no interval to measure: assume the dataset layout's 60 s.
  const periodS =
    mapping.periodS ?? (tv.length >= 2 ? Math.max(1, Math.round(medianIntervalS(tv))) : 60);
  const channels: Record<string, { timesMs: Float64Array; values: Float64Array }> = {
    __mains: { timesMs: tv, values: mains.view() },
  };
  idx!.apps.forEach((spec, a) => (channels[spec.name] = { timesMs: tv, values: apps[a]!.view() }));
  // Rows are exactly on the grid in the dataset layout; the fill limit only bridges a single
  // missing row, longer holes become explicit gaps.
  const grid = toGrid(channels, {
    periodS,
    spanChannel: '__mains',
    fillLimitS: Math.max(periodS, 2 * medianIntervalS(tv)),
  });
  const { __mains, ...appliances } = grid.channels;
  const series: Series = {
    startMs: grid.startMs,
    periodS,
    mains: __mains!,
    appliances,
    source: file,
  };
  return mapping.zeroIsMissing === false ? series : markZeroMainsMissing(series);
}

/** Read the first line of a CSV file (gzip or plain). */
export async function readCsvHeader(file: string, delimiter = ','): Promise<string[]> {
  try {
    for await (const text of lines(file)) {
      if (text.trim() === '') continue;
      return text.split(delimiter).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new DataError('DATA_NOT_FOUND', 'file not found', { file });
    throw new DataError('DATA_MALFORMED', `cannot read file: ${err.message}`, { file });
  }
  throw new DataError('DATA_EMPTY', 'file is empty; expected a header line and data rows', {
    file,
  });
}

const TIME_NAMES = ['time', 'timestamp', 'datetime', 'date', 'ts', 'unix'];
const MAINS_NAMES = ['aggregate', 'mains', 'power', 'powerw', 'total', 'use', 'site meter'];

/**
 * The mapping for the dataset layout (`Time,Aggregate,<Appliance>...`): time and mains columns
 * found by name, every other column an appliance. A column that is no known appliance stops the
 * read (rename it, or read the file with an explicit mapping); {@link detectDatasetColumns}
 * lists such columns instead.
 */
export function detectMapping(file: string, header: string[]): CsvMapping {
  const { mapping, unknown } = detectDatasetColumns(file, header);
  const h = unknown[0];
  if (h !== undefined) {
    throw new DataError(
      'APPLIANCE_UNKNOWN',
      `column "${h}" is not a known appliance; rename it to a known name (kettle, microwave, dishwasher, washing_machine, fridge, ...) or give an explicit column mapping`,
      { file, line: 1, column: h },
    );
  }
  return mapping;
}

/**
 * The dataset layout's mapping and the columns outside the appliance vocabulary (left out of
 * the mapping, in header order). Time and mains columns missing still stop the read.
 */
export function detectDatasetColumns(
  file: string,
  header: string[],
): { mapping: CsvMapping; unknown: string[] } {
  const key = (h: string): string => h.toLowerCase().replace(/[^a-z ]/g, '');
  const time = header.find((h) => TIME_NAMES.includes(key(h)));
  const mains = header.find((h) => MAINS_NAMES.includes(key(h)));
  if (!time) {
    throw new DataError(
      'DATA_MISSING_COLUMN',
      `no time column (one of ${TIME_NAMES.join(', ')}); the header has: ${header.join(', ')}`,
      { file, line: 1 },
    );
  }
  if (!mains) {
    throw new DataError(
      'DATA_MISSING_COLUMN',
      `no mains column (Aggregate or mains); the header has: ${header.join(', ')}`,
      { file, line: 1 },
    );
  }
  const appliances: Record<string, string> = {};
  const unknown: string[] = [];
  for (const h of header) {
    if (h === time || h === mains) continue;
    const spec = findAppliance(h);
    if (spec) appliances[h] = spec.name;
    else unknown.push(h);
  }
  return { mapping: { time, mains, appliances }, unknown };
}

/** Read a file in the dataset layout, detecting its columns from the header. */
export async function readDatasetCsv(
  file: string,
  overrides: Partial<CsvMapping> = {},
): Promise<Series> {
  const header = await readCsvHeader(file, overrides.delimiter);
  return readCsvSeries(file, { ...detectMapping(file, header), ...overrides });
}

/**
 * Read a file in the dataset layout, leaving out the columns outside the appliance vocabulary
 * and naming them (the caller decides whether that is worth a warning).
 */
export async function readDatasetCsvLenient(
  file: string,
  overrides: Partial<CsvMapping> = {},
): Promise<{ series: Series; unknown: string[] }> {
  const header = await readCsvHeader(file, overrides.delimiter);
  const { mapping, unknown } = detectDatasetColumns(file, header);
  return { series: await readCsvSeries(file, { ...mapping, ...overrides }), unknown };
}
