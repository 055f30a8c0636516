/**
 * Loading data sets for training and evaluation: one file, a directory or a glob, in any
 * format we read. Files of one house (e.g. one per month) are stitched in time order into a
 * single series with explicit NaN gaps between them; different houses stay separate series.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { globSync } from 'tinyglobby';
import { DataError } from '../errors.js';
import {
  readCsvSeries,
  readDatasetCsv,
  readDatasetCsvLenient,
  type CsvMapping,
} from './csv.reader.js';
import { readNpySeries } from './npy.reader.js';
import { readParquetSeries } from './parquet.reader.js';
import { readReddHouse } from './redd.reader.js';
import { resampleSeries } from './resample.js';
import type { Series } from './series.js';

/** What `loadDataset` reads: CSV (gzip or plain), Parquet, NumPy, and REDD/UK-DALE houses. */
const DATA_EXT = /\.(csv(\.gz)?|parquet|npy)$/i;

export interface LoadOptions {
  /** Resample every series to this period (seconds). Default: keep the files' period. */
  periodS?: number;
  /** Report progress (one line per file). */
  log?: (message: string) => void;
  /**
   * How to read `.npy` files, which carry no time axis: their period, and for 2-D arrays what
   * each column is (`mains`/`aggregate` or an appliance; see `readNpySeries`).
   */
  npy?: { periodS: number; columns?: string[]; startMs?: number; scaleW?: number };
  /** Read CSV files with this column mapping instead of detecting the dataset layout. */
  csv?: CsvMapping;
  /**
   * A dataset-layout column outside the appliance vocabulary: `error` stops the read
   * (APPLIANCE_UNKNOWN, the default); `warn` leaves the column out and tells `warn` (or `log`).
   */
  unknownColumns?: 'error' | 'warn';
  /** Warnings for people that must be seen even when progress is quiet (stderr in the CLI). */
  warn?: (message: string) => void;
}

/** Whether `dir` is a REDD / UK-DALE house folder (it has labels.dat). */
const isDatHouse = (dir: string): boolean => existsSync(join(dir, 'labels.dat'));

/**
 * Files (and REDD / UK-DALE house folders) that `spec` designates, sorted by name: a file, a
 * house folder, a folder of data files or of house folders, or a glob.
 */
export function resolveDataFiles(spec: string): string[] {
  let isDir = false;
  let isFile = false;
  try {
    const st = statSync(spec);
    isDir = st.isDirectory();
    isFile = st.isFile();
  } catch {
    // Not an existing path: treat it as a glob below.
  }
  let files: string[];
  if (isFile) files = [resolve(spec)];
  else if (isDir && isDatHouse(spec)) files = [resolve(spec)];
  else if (isDir) {
    files = globSync(['**/*.csv', '**/*.csv.gz', '**/*.parquet', '**/*.npy'], {
      cwd: spec,
      absolute: true,
    });
    files.push(
      ...globSync(['**/labels.dat'], { cwd: spec, absolute: true }).map((f) => dirname(f)),
    );
  } else {
    const hits = globSync([spec], { absolute: true, onlyFiles: false });
    files = hits.filter((f) => DATA_EXT.test(f) || isDatHouse(f)).map((f) => f.replace(/\/$/, ''));
  }
  files.sort();
  if (files.length === 0) {
    throw new DataError(
      'DATA_NOT_FOUND',
      isDir
        ? 'directory holds no .csv, .csv.gz, .parquet or .npy files and no labels.dat house'
        : 'no file matches this path or glob',
      { file: spec },
    );
  }
  return files;
}

/** Read one file or house folder of any supported format. */
export async function readDataFile(file: string, opts: LoadOptions = {}): Promise<Series> {
  if (isDatHouse(file)) {
    const { series, skipped } = await readReddHouse(file, { periodS: opts.periodS ?? 6 });
    if (skipped.length)
      opts.log?.(
        `${file}: skipped channels ${skipped.map((c) => `${c.channel} (${c.label})`).join(', ')}`,
      );
    return series;
  }
  if (/\.parquet$/i.test(file)) {
    const { series, skipped } = await readParquetSeries(file, { periodS: opts.periodS });
    if (skipped.length)
      opts.log?.(`${file}: skipped columns ${skipped.map((c) => c.column).join(', ')}`);
    return series;
  }
  if (/\.npy$/i.test(file)) {
    if (!opts.npy) {
      throw new DataError(
        'CONFIG_INVALID',
        'a .npy file has no time axis: give its sample period (--npy-period) and, for a 2-D array, what each column is (--npy-columns mains,kettle,...)',
        { file },
      );
    }
    return readNpySeries({
      x: file,
      periodS: opts.npy.periodS,
      columns: opts.npy.columns,
      startMs: opts.npy.startMs,
      scaleW: opts.npy.scaleW,
    });
  }
  if (opts.csv) return readCsvSeries(file, opts.csv);
  if (opts.unknownColumns !== 'warn') return readDatasetCsv(file);
  const { series, unknown } = await readDatasetCsvLenient(file);
  if (unknown.length) {
    (opts.warn ?? opts.log)?.(
      `${file}: columns outside the appliance vocabulary left out: ${unknown.join(', ')}`,
    );
  }
  return series;
}

/**
 * The house a file belongs to: a REDD / UK-DALE folder is its own house; otherwise
 * `<DATASET>_House<N>` from the file name, else the file's directory.
 */
export function houseKey(file: string): string {
  if (isDatHouse(file)) return file;
  const m = /^([A-Za-z0-9-]+_House\d+)_/i.exec(basename(file));
  return m ? m[1]! : dirname(file);
}

/**
 * Join series of one house in time order. Period must agree; files may not overlap in time.
 * The time between two files becomes NaN (missing), never zeros.
 */
export function stitch(parts: readonly Series[], source: string): Series {
  if (parts.length === 1) return { ...parts[0]!, source };
  const sorted = [...parts].sort((a, b) => a.startMs - b.startMs);
  const periodS = sorted[0]!.periodS;
  const periodMs = periodS * 1000;
  const names = [...new Set(sorted.flatMap((s) => Object.keys(s.appliances)))];
  let total = 0;
  const offsets: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    if (s.periodS !== periodS) {
      throw new DataError(
        'DATA_MISMATCH',
        `sample period ${s.periodS} s differs from ${periodS} s of ${sorted[0]!.source}; resample the files to one period`,
        { file: s.source },
      );
    }
    const off = Math.round((s.startMs - sorted[0]!.startMs) / periodMs);
    if (off < total) {
      throw new DataError(
        'DATA_TIME_ORDER',
        `overlaps in time with ${sorted[i - 1]!.source}; each time may appear in one file only`,
        { file: s.source },
      );
    }
    offsets.push(off);
    total = off + s.mains.length;
  }
  const mains = new Float32Array(total).fill(NaN);
  const appliances: Record<string, Float32Array> = {};
  for (const n of names) appliances[n] = new Float32Array(total).fill(NaN);
  sorted.forEach((s, i) => {
    mains.set(s.mains, offsets[i]);
    for (const n of names) if (s.appliances[n]) appliances[n]!.set(s.appliances[n]!, offsets[i]);
  });
  return { startMs: sorted[0]!.startMs, periodS, mains, appliances, source };
}

/** Load every house that `spec` designates, each as one stitched series. */
export async function loadDataset(spec: string, opts: LoadOptions = {}): Promise<Series[]> {
  const files = resolveDataFiles(spec);
  const byHouse = new Map<string, Series[]>();
  for (const file of files) {
    opts.log?.(`reading ${file}`);
    const s = await readDataFile(file, opts);
    const key = houseKey(file);
    byHouse.set(key, [...(byHouse.get(key) ?? []), s]);
  }
  const out: Series[] = [];
  for (const [key, parts] of byHouse) {
    const s = stitch(
      parts,
      parts.length === 1 ? parts[0]!.source : `${key} (${parts.length} files)`,
    );
    out.push(opts.periodS ? resampleSeries(s, opts.periodS) : s);
  }
  return out;
}
