/**
 * Loading data sets for training and evaluation: one file, a directory or a glob, in any
 * format we read. Files of one house (e.g. one per month) are stitched in time order into a
 * single series with explicit NaN gaps between them; different houses stay separate series.
 */
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { globSync } from 'tinyglobby';
import { DataError } from '../errors.js';
import { readDatasetCsv } from './csv.reader.js';
import { resampleSeries } from './resample.js';
import type { Series } from './series.js';

const CSV_EXT = /\.csv(\.gz)?$/i;

export interface LoadOptions {
  /** Resample every series to this period (seconds). Default: keep the files' period. */
  periodS?: number;
  /** Report progress (one line per file). */
  log?: (message: string) => void;
}

/** Files that `spec` (a file, a directory or a glob) designates, sorted by name. */
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
  else if (isDir) files = globSync(['**/*.csv', '**/*.csv.gz'], { cwd: spec, absolute: true });
  else files = globSync([spec], { absolute: true }).filter((f) => CSV_EXT.test(f));
  files.sort();
  if (files.length === 0) {
    throw new DataError(
      'DATA_NOT_FOUND',
      isDir ? 'directory holds no .csv or .csv.gz files' : 'no file matches this path or glob',
      { file: spec },
    );
  }
  return files;
}

/** The house a file belongs to: `<DATASET>_House<N>` from its name, else its directory. */
export function houseKey(file: string): string {
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
    const s = await readDatasetCsv(file);
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
