// Proves the CSV readers on the committed REFIT excerpt and on small files, and that every bad
// input stops with a coded error naming the file and line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { parseTime, readCsvSeries, readDatasetCsv } from './csv.reader.js';

const EXCERPT = resolve(
  import.meta.dirname,
  '../../../../data/REFIT_House20_2014-09-03_14d.csv.gz',
);
const dir = mkdtempSync(join(tmpdir(), 'nilm-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(text: string, ext = '.csv'): string {
  const p = join(dir, `f${n++}${ext}`);
  writeFileSync(p, ext.endsWith('.gz') ? gzipSync(text) : text);
  return p;
}

async function failure(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('expected a DataError');
}

describe('dataset layout (REFIT excerpt)', () => {
  it('reads the committed excerpt onto a 60 s grid with canonical names', async () => {
    const s = await readDatasetCsv(EXCERPT);
    expect(s.periodS).toBe(60);
    expect(s.mains.length).toBe(20160);
    expect(s.startMs).toBe(Date.UTC(2014, 8, 3));
    expect(Object.keys(s.appliances).sort()).toEqual([
      'dishwasher',
      'kettle',
      'microwave',
      'washing_machine',
    ]);
    expect(s.mains[0]).toBe(117); // first row: 2014-09-03 00:00:00,117.0,...
    expect(s.mains[20159]).toBe(363); // last row
    expect(s.mains.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe('readDatasetCsv', () => {
  const head = 'Time,Aggregate,Kettle,WashingMachine\n';

  it('reads plain and gzip files alike; zero mains becomes missing; a missing row is bridged', async () => {
    const body =
      '2020-01-01 00:00:00,100,0,5\n2020-01-01 00:01:00,0,0,0\n2020-01-01 00:03:00,300.5,2000,0\n';
    for (const ext of ['.csv', '.csv.gz']) {
      const s = await readDatasetCsv(file(head + body, ext));
      expect(Array.from(s.mains)).toEqual([100, NaN, NaN, 300.5]);
      expect(Array.from(s.appliances.kettle!)).toEqual([0, 0, 0, 2000]);
      expect(Array.from(s.appliances.washing_machine!)).toEqual([5, 0, 0, 0]);
    }
  });

  it('makes a long hole in the file an explicit gap', async () => {
    const s = await readDatasetCsv(
      file(
        head +
          '2020-01-01 00:00:00,100,0,0\n2020-01-01 00:01:00,100,0,0\n2020-01-01 00:10:00,200,0,0\n',
      ),
    );
    expect(s.mains.length).toBe(11);
    expect(Number.isNaN(s.mains[5]!)).toBe(true);
    expect(s.mains[10]).toBe(200);
  });

  it('rejects a file without a mains column, naming what it has', async () => {
    const e = await failure(readDatasetCsv(file('Time,Kettle\n2020-01-01 00:00:00,1\n')));
    expect(e.code).toBe('DATA_MISSING_COLUMN');
    expect(e.message).toMatch(/f\d+\.csv:1: no mains column .* the header has: Time, Kettle/);
  });

  it('rejects an unknown appliance column', async () => {
    const e = await failure(readDatasetCsv(file('Time,Aggregate,HiFi\n2020-01-01 00:00:00,1,1\n')));
    expect(e.code).toBe('APPLIANCE_UNKNOWN');
    expect(e.message).toMatch(/:1: column "HiFi" is not a known appliance/);
  });

  it.each([
    [
      'a short line',
      '2020-01-01 00:00:00,1,1,1\n2020-01-01 00:01:00,1,1\n',
      'DATA_MALFORMED',
      3,
      /expected 4 fields/,
    ],
    [
      'a bad number',
      '2020-01-01 00:00:00,1,abc,1\n',
      'DATA_MALFORMED',
      2,
      /value "abc" in column "Kettle" is not a number/,
    ],
    [
      'an empty cell',
      '2020-01-01 00:00:00,1,,1\n',
      'DATA_MALFORMED',
      2,
      /empty value in column "Kettle"/,
    ],
    ['a bad time', '2020-13-45 99:00:00x,1,1,1\n', 'DATA_MALFORMED', 2, /is not a valid timestamp/],
    [
      'NaN',
      '2020-01-01 00:00:00,NaN,1,1\n',
      'DATA_NOT_FINITE',
      2,
      /"NaN" in column "Aggregate" is not a finite number/,
    ],
    ['Infinity', '2020-01-01 00:00:00,1,inf,1\n', 'DATA_NOT_FINITE', 2, /not a finite number/],
    [
      'time going back',
      '2020-01-01 00:01:00,1,1,1\n2020-01-01 00:00:00,1,1,1\n',
      'DATA_TIME_ORDER',
      3,
      /earlier than the row before/,
    ],
    [
      'a duplicated time',
      '2020-01-01 00:01:00,1,1,1\n2020-01-01 00:01:00,1,1,1\n',
      'DATA_TIME_ORDER',
      3,
      /duplicated time/,
    ],
  ])('rejects %s with file and line', async (_what, body, code, line, msg) => {
    const p = file(head + body);
    const e = await failure(readDatasetCsv(p));
    expect(e.code).toBe(code);
    expect(e.location).toMatchObject({ file: p, line });
    expect(e.message).toMatch(msg);
    expect(e.message.startsWith(`${p}:${line}: `)).toBe(true);
  });

  it('rejects empty and header-only files, and missing files', async () => {
    expect((await failure(readDatasetCsv(file('')))).code).toBe('DATA_EMPTY');
    expect((await failure(readDatasetCsv(file(head)))).message).toMatch(/header but no data rows/);
    expect((await failure(readDatasetCsv(join(dir, 'nope.csv')))).code).toBe('DATA_NOT_FOUND');
  });

  it('rejects a corrupt gzip file', async () => {
    const p = join(dir, 'bad.csv.gz');
    writeFileSync(p, 'not gzip at all');
    expect((await failure(readDatasetCsv(p))).code).toBe('DATA_MALFORMED');
  });
});

describe('readCsvSeries with a mapping', () => {
  it('reads unix seconds, kW scaled to W, other delimiters and column names', async () => {
    const p = file('ts;house_kw;k\n0;0.5;0\n10;0.7;0.2\n20;0.9;0.4\n');
    const s = await readCsvSeries(p, {
      time: 'ts',
      mains: 'house_kw',
      appliances: { k: 'Kettle' },
      delimiter: ';',
      timeFormat: 'unix_s',
      scale: 1000,
    });
    expect(s.periodS).toBe(10);
    expect(Array.from(s.mains)).toEqual([500, 700, 900].map((v) => Math.fround(v)));
    expect(Array.from(s.appliances.kettle!)).toEqual([0, 200, 400].map((v) => Math.fround(v)));
  });

  it('resamples irregular rows to the requested period', async () => {
    const p = file(
      'time,mains\n2020-01-01T00:00:05Z,100\n2020-01-01T00:00:35Z,200\n2020-01-01T00:01:10Z,400\n',
    );
    const s = await readCsvSeries(p, { time: 'time', mains: 'mains', periodS: 60 });
    expect(Array.from(s.mains)).toEqual([150, 400]);
  });

  it('names the missing mapped column', async () => {
    const e = await failure(readCsvSeries(file('a,b\n1,2\n'), { time: 'a', mains: 'power' }));
    expect(e.code).toBe('DATA_MISSING_COLUMN');
    expect(e.message).toMatch(/column "power" not found; the header has: a, b/);
  });
});

describe('parseTime', () => {
  it('reads naive, ISO with zone, unix seconds and milliseconds', () => {
    expect(parseTime('2014-09-03 00:01:00', 'auto')).toBe(Date.UTC(2014, 8, 3, 0, 1));
    expect(parseTime('2014-09-03T01:01:00+01:00', 'auto')).toBe(Date.UTC(2014, 8, 3, 0, 1));
    expect(parseTime('1409702460', 'auto')).toBe(Date.UTC(2014, 8, 3, 0, 1));
    expect(parseTime('1409702460000', 'auto')).toBe(Date.UTC(2014, 8, 3, 0, 1));
    expect(parseTime('yesterday', 'auto')).toBeNaN();
  });
});
