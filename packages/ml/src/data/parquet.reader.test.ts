// Proves that Parquet files written by pyarrow (TIMESTAMP, integer epoch and ISO string times;
// nulls; several row groups) become the hand-computed 60 s grid, and that unordered, duplicated,
// NaN, empty and wrongly mapped files fail with the right code, naming the file and row.
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { parseIsoMs, readParquetSeries } from './parquet.reader.js';

const FIXTURES = fileURLToPath(new URL('../../test-fixtures/parquet/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);
/** 2014-01-01T00:00:00Z, the first row of every fixture. */
const T0_MS = 1_388_534_400_000;

const tmpDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Values as plain numbers, NaN kept, so that toEqual compares them exactly. */
const values = (a: Float32Array | undefined) => Array.from(a ?? []);

async function dataError(p: Promise<unknown>): Promise<DataError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

describe('readParquetSeries', () => {
  it('detects REFIT-style columns and bins rows by mean onto a 60 s grid', async () => {
    const file = fixture('refit_like.parquet');
    const { series, skipped } = await readParquetSeries(file, { periodS: 60 });
    expect(series.startMs).toBe(T0_MS);
    expect(series.periodS).toBe(60);
    expect(series.source).toBe(file);
    // Rows every 20 s: each minute averages three rows (row groups of 5 split the minutes).
    expect(values(series.mains)).toEqual([110, 210, 300, 410]);
    expect(Object.keys(series.appliances).sort()).toEqual(['kettle', 'washing_machine']);
    expect(values(series.appliances.kettle)).toEqual([0, Math.fround(4000 / 3), 0, 0]);
    // The null in row 2 is a missing sample: minute 0 averages 10 and 20 only.
    expect(values(series.appliances.washing_machine)).toEqual([15, 30, 0, 5]);
    expect(skipped).toEqual([
      { column: 'Unix', reason: 'not a known appliance name' },
      { column: 'Issues', reason: 'not a known appliance name' },
    ]);
  });

  it('detects the period as the median row interval and holds a value across a null', async () => {
    const { series } = await readParquetSeries(fixture('refit_like.parquet'));
    expect(series.periodS).toBe(20);
    expect(values(series.mains)).toEqual([
      100, 110, 120, 200, 210, 220, 300, 300, 300, 400, 410, 420,
    ]);
    expect(values(series.appliances.washing_machine).slice(0, 4)).toEqual([10, 20, 20, 30]);
  });

  it('uses a mapping with epoch seconds: sums one appliance, holds short gaps, NaN for long', async () => {
    const mapping = {
      time: 'ts',
      mains: 'house_w',
      appliances: { fridge_w: 'refrigerator', fridge2_w: 'fridge', dw: 'dishwasher' },
      timeUnit: 's' as const,
    };
    const { series, skipped } = await readParquetSeries(fixture('unix_seconds.parquet'), {
      mapping,
      periodS: 60,
    });
    expect(series.startMs).toBe(T0_MS);
    // Rows at 0,20,40 | 60,100 | 140,160 | 180,200,220 | - | - | - | - | 520 | 540,560 s.
    // Minute 4 has no row; the last (220 s) is 20 s old, within 3 median intervals: held.
    // Minutes 5-7 are more than 60 s after the last row: missing.
    const N = NaN;
    expect(values(series.mains)).toEqual([90, 315, 380, 400, 400, N, N, N, 500, 515]);
    // fridge_w + fridge2_w (1 W) row by row.
    expect(values(series.appliances.fridge)).toEqual([1, 91, 91, 1, 1, N, N, N, 81, 81]);
    expect(values(series.appliances.dishwasher)).toEqual([1, 2, 2.5, 3, 3, N, N, N, 4, 4]);
    expect(skipped).toEqual([{ column: 'ts_ms', reason: 'not in the mapping' }]);
  });

  it('reads epoch ms given or guessed from magnitude the same as seconds', async () => {
    const base = { time: 'ts_ms', mains: 'house_w' };
    const given = await readParquetSeries(fixture('unix_seconds.parquet'), {
      mapping: { ...base, timeUnit: 'ms' },
      periodS: 60,
    });
    const guessed = await readParquetSeries(fixture('unix_seconds.parquet'), {
      mapping: base,
      periodS: 60,
    });
    for (const { series } of [given, guessed]) {
      expect(series.startMs).toBe(T0_MS);
      expect(values(series.mains).slice(0, 5)).toEqual([90, 315, 380, 400, 400]);
    }
  });

  it('reads ISO 8601 strings with Z, offsets, fractions and naive times as UTC', async () => {
    const { series } = await readParquetSeries(fixture('iso_strings.parquet'), { periodS: 60 });
    expect(series.startMs).toBe(T0_MS);
    // 00:00:00Z and naive 00:00:30 | 01:01:00+01:00 (= 00:01:00Z) and 00:01:30.5Z.
    expect(values(series.mains)).toEqual([150, 400]);
    expect(values(series.appliances.microwave)).toEqual([0, 500]);
  });

  it('reads TIMESTAMP(MICROS, UTC) columns with their own unit', async () => {
    const { series } = await readParquetSeries(fixture('timestamp_us.parquet'), { periodS: 60 });
    expect(series.startMs).toBe(T0_MS);
    // 100..119 W every 6 s: minute means of 100..109 and 110..119.
    expect(values(series.mains)).toEqual([104.5, 114.5]);
    const detected = await readParquetSeries(fixture('timestamp_us.parquet'));
    expect(detected.series.periodS).toBe(6);
    expect(detected.series.mains.length).toBe(20);
    // A unit in the mapping does not override the one the file declares.
    const mapped = await readParquetSeries(fixture('timestamp_us.parquet'), {
      mapping: { time: 'time', mains: 'mains', timeUnit: 's' },
      periodS: 60,
    });
    expect(mapped.series.startMs).toBe(T0_MS);
  });

  it('refuses rows going back in time or repeating, naming the row', async () => {
    const unsorted = fixture('unsorted.parquet');
    let err = await dataError(readParquetSeries(unsorted));
    expect(err.code).toBe('DATA_TIME_ORDER');
    expect(err.message).toContain(unsorted);
    expect(err.message).toContain(
      'row 3 (0-based): time goes back to 2014-01-01T00:00:09.000Z after 2014-01-01T00:00:12.000Z in row 2',
    );

    const dup = fixture('duplicate_time.parquet');
    err = await dataError(readParquetSeries(dup));
    expect(err.code).toBe('DATA_TIME_ORDER');
    expect(err.message).toContain(dup);
    expect(err.message).toContain('row 2 (0-based): time repeats');
  });

  it('refuses NaN values, naming the row and column', async () => {
    const file = fixture('nan_value.parquet');
    const err = await dataError(readParquetSeries(file));
    expect(err.code).toBe('DATA_NOT_FINITE');
    expect(err.message).toContain(file);
    expect(err.message).toContain('row 4 (0-based) of column "mains" is NaN');
  });

  it('refuses an empty file', async () => {
    const err = await dataError(readParquetSeries(fixture('empty.parquet')));
    expect(err.code).toBe('DATA_EMPTY');
    expect(err.message).toContain('empty.parquet');
  });

  it('lists the existing columns when a mapped or expected column is absent', async () => {
    const file = fixture('unix_seconds.parquet');
    let err = await dataError(
      readParquetSeries(file, { mapping: { time: 'ts', mains: 'Aggregate' } }),
    );
    expect(err.code).toBe('DATA_MISSING_COLUMN');
    expect(err.message).toContain('"Aggregate" not found');
    expect(err.message).toContain('[ts, ts_ms, house_w, fridge_w, dw, fridge2_w]');

    err = await dataError(readParquetSeries(file));
    expect(err.code).toBe('DATA_MISSING_COLUMN');
    expect(err.message).toContain('no time column');
    expect(err.message).toContain('house_w');
  });

  it('refuses non-numeric power, a wrong time unit, unknown appliances and non-Parquet files', async () => {
    const iso = fixture('iso_strings.parquet');
    let err = await dataError(
      readParquetSeries(iso, { mapping: { time: 'power_w', mains: 'timestamp' } }),
    );
    expect(err.code).toBe('DATA_MALFORMED');
    expect(err.message).toContain('column "timestamp" holds string values');

    err = await dataError(
      readParquetSeries(fixture('unix_seconds.parquet'), {
        mapping: { time: 'ts', mains: 'house_w', timeUnit: 'iso' },
      }),
    );
    expect(err.code).toBe('DATA_MALFORMED');
    expect(err.message).toContain('row 0 (0-based) of time column "ts"');

    await expect(
      readParquetSeries(iso, {
        mapping: { time: 'timestamp', mains: 'power_w', appliances: { microwave: 'hifi' } },
      }),
    ).rejects.toMatchObject({ code: 'APPLIANCE_UNKNOWN' });

    const dir = await mkdtemp(join(tmpdir(), 'parquet-reader-'));
    tmpDirs.push(dir);
    const csv = join(dir, 'not.parquet');
    await writeFile(csv, 'time,mains\n0,1\n');
    err = await dataError(readParquetSeries(csv));
    expect(err.code).toBe('DATA_MALFORMED');
    expect(err.message).toContain(csv);

    err = await dataError(readParquetSeries(join(dir, 'absent.parquet')));
    expect(err.code).toBe('DATA_NOT_FOUND');
  });
});

describe('parseIsoMs', () => {
  it('reads UTC, offsets, naive times as UTC, dates alone, and rejects other text', () => {
    expect(parseIsoMs('2014-01-01T00:00:00Z')).toBe(T0_MS);
    expect(parseIsoMs('2014-01-01 00:00:00')).toBe(T0_MS);
    expect(parseIsoMs('2014-01-01')).toBe(T0_MS);
    expect(parseIsoMs('2013-12-31T19:30:00-04:30')).toBe(T0_MS);
    expect(parseIsoMs('2014-01-01T05:30:00+0530')).toBe(T0_MS);
    expect(parseIsoMs('2014-01-01T00:00:00.250Z')).toBe(T0_MS + 250);
    expect(parseIsoMs('01/01/2014 00:00')).toBeNaN();
    expect(parseIsoMs('yesterday')).toBeNaN();
  });
});
