// Proves files, directories and globs resolve, months of one house stitch in time order with
// explicit gaps, houses stay separate, overlapping files are refused, and columns outside the
// appliance vocabulary stop the read or, when asked, become a warning.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { houseKey, loadDataset, resolveDataFiles } from './dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'nilm-ds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const head = 'Time,Aggregate,Kettle\n';
const rows = (day: string, values: number[]): string =>
  values.map((v, i) => `2020-01-${day} 00:0${i}:00,${v},${v / 10}`).join('\n') + '\n';

mkdirSync(join(dir, 'set'));
writeFileSync(join(dir, 'set', 'REFIT_House1_2020-02.csv'), head + rows('02', [10, 20]));
writeFileSync(join(dir, 'set', 'REFIT_House1_2020-01.csv'), head + rows('01', [1, 2, 3]));
writeFileSync(join(dir, 'set', 'REFIT_House7_2020-01.csv'), head + rows('01', [7]));

describe('loadDataset', () => {
  it('stitches the files of one house in time order with NaN between them', async () => {
    const all = await loadDataset(join(dir, 'set'));
    expect(all.map((s) => s.source)).toEqual([
      'REFIT_House1 (2 files)',
      join(dir, 'set', 'REFIT_House7_2020-01.csv'),
    ]);
    const h1 = all[0]!;
    expect(h1.startMs).toBe(Date.UTC(2020, 0, 1));
    expect(h1.mains.length).toBe(1440 + 2);
    expect(Array.from(h1.mains.subarray(0, 4))).toEqual([1, 2, 3, NaN]);
    expect(Array.from(h1.mains.subarray(1440))).toEqual([10, 20]);
    expect(h1.appliances.kettle![1441]).toBeCloseTo(2);
  });

  it('takes globs and resamples when asked', async () => {
    const [s] = await loadDataset(join(dir, 'set', '*House1_2020-01*'), { periodS: 180 });
    expect(s!.periodS).toBe(180);
    expect(Array.from(s!.mains)).toEqual([2]);
  });

  it('refuses files of one house that overlap in time', async () => {
    const d = join(dir, 'overlap');
    mkdirSync(d);
    writeFileSync(join(d, 'X_House1_a.csv'), head + rows('01', [1, 2, 3]));
    writeFileSync(join(d, 'X_House1_b.csv'), head + rows('01', [4]));
    await expect(loadDataset(d)).rejects.toThrow(DataError);
    await expect(loadDataset(d)).rejects.toThrow(/overlaps in time/);
  });

  it('stops on a column outside the vocabulary, or leaves it out with a warning when asked', async () => {
    const p = join(dir, 'X_House3_2020-01.csv');
    writeFileSync(p, 'Time,Aggregate,Kettle,HiFi\n2020-01-01 00:00:00,100,10,5\n');
    await expect(loadDataset(p)).rejects.toMatchObject({ code: 'APPLIANCE_UNKNOWN' });
    const warnings: string[] = [];
    const [s] = await loadDataset(p, { unknownColumns: 'warn', warn: (m) => warnings.push(m) });
    expect(Object.keys(s!.appliances)).toEqual(['kettle']);
    expect(warnings).toEqual([`${p}: columns outside the appliance vocabulary left out: HiFi`]);
  });

  it('says when nothing matches', () => {
    expect(() => resolveDataFiles(join(dir, 'nothing-*.csv'))).toThrow(
      /no file matches this path or glob/,
    );
    mkdirSync(join(dir, 'empty'));
    expect(() => resolveDataFiles(join(dir, 'empty'))).toThrow(/directory holds no .csv/);
  });

  it('keys houses by dataset and house number', () => {
    expect(houseKey('/x/REFIT_House20_2014-03.csv.gz')).toBe('REFIT_House20');
    expect(houseKey('/x/y/meter.csv')).toBe('/x/y');
  });
});

describe('loadDataset with other formats', () => {
  const FIX = join(import.meta.dirname, '../../test-fixtures');

  it('reads a REDD house folder, and a folder of houses as separate houses', async () => {
    const [house] = await loadDataset(join(FIX, 'redd', 'house_1'), { periodS: 60 });
    expect(house!.periodS).toBe(60);
    expect(house!.mains.length).toBeGreaterThan(0);
    // redd/house_1 and ukdale/house_1 share a folder name but are two houses.
    const houses = await loadDataset(join(FIX, '*', 'house_1'), { periodS: 60 });
    expect(houses.map((s) => s.source.split('/').slice(-2).join('/')).sort()).toEqual([
      'redd/house_1',
      'ukdale/house_1',
    ]);
  });

  it('reads Parquet files by extension', async () => {
    const [s] = await loadDataset(join(FIX, 'parquet', 'refit_like.parquet'));
    expect(s!.mains.length).toBeGreaterThan(0);
    expect(Object.keys(s!.appliances).length).toBeGreaterThan(0);
  });

  it('asks for the period of a .npy file, which has none', async () => {
    const p = join(dir, 'm.npy');
    // A v1.0 header for a float32 vector of 3 values, padded to 128 bytes, as numpy writes it.
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    const pad = 128 - 10 - header.length - 1;
    const head = Buffer.concat([
      Buffer.from([0x93]),
      Buffer.from('NUMPY'),
      Buffer.from([1, 0, 118, 0]),
      Buffer.from(header + ' '.repeat(pad) + '\n'),
    ]);
    writeFileSync(p, Buffer.concat([head, Buffer.from(new Float32Array([100, 200, 300]).buffer)]));
    await expect(loadDataset(p)).rejects.toThrow(/a .npy file has no time axis/);
    const [s] = await loadDataset(p, { npy: { periodS: 60 } });
    expect(Array.from(s!.mains)).toEqual([100, 200, 300]);
  });
});
