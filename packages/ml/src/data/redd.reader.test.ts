// Proves that REDD- and UK-DALE-style house folders become the hand-computed 60 s grid (split-phase
// mains summed, aliases and twice-metered appliances merged, short gaps held, long gaps NaN) and
// that malformed, unordered or incomplete folders fail naming the file and line.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { readDatChannel, readLabels, readReddHouse } from './redd.reader.js';

const FIXTURES = fileURLToPath(new URL('../../test-fixtures/', import.meta.url));
const REDD = join(FIXTURES, 'redd/house_1');
const UKDALE = join(FIXTURES, 'ukdale/house_1');
/** Whole minutes at which the fixtures start (see test-fixtures/make_dat_fixtures.py). */
const REDD_T0_MS = 1_303_132_920_000;
const UKDALE_T0_MS = 1_363_547_520_000;
const N = NaN;

const values = (a: Float32Array | undefined) => Array.from(a ?? []);

const tmpDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A scratch copy of a fixture house whose files the test may spoil. */
async function copyHouse(from: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'redd-reader-'));
  tmpDirs.push(dir);
  await cp(from, dir, { recursive: true });
  return dir;
}

/** Replace line `lineNo` (1-based) of a text file. */
async function setLine(file: string, lineNo: number, text: string): Promise<void> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  lines[lineNo - 1] = text;
  await writeFile(file, lines.join('\n'));
}

async function dataError(p: Promise<unknown>): Promise<DataError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

describe('readReddHouse on a REDD house', () => {
  it('sums the two mains phases and bins every channel onto the 60 s grid', async () => {
    const { series } = await readReddHouse(REDD, { periodS: 60 });
    expect(series.startMs).toBe(REDD_T0_MS);
    expect(series.periodS).toBe(60);
    expect(series.source).toBe(REDD);
    // Phase A means 100, 200, ... 700. Phase B means 50, but it is silent from 110 s to 299 s:
    // minute 2 holds its last sample (55 W at 109 s, 11 s before); minutes 3-4 are too far.
    expect(values(series.mains)).toEqual([150, 250, 355, N, N, 650, 750]);
    expect(Object.keys(series.appliances).sort()).toEqual([
      'dishwasher',
      'fridge',
      'lighting',
      'microwave',
      'washer_dryer',
    ]);
  });

  it('maps REDD labels (refrigerator, the dishwaser typo) and holds a short pause', async () => {
    const { series } = await readReddHouse(REDD, { periodS: 60 });
    // Fridge samples before the mains start are outside the grid.
    expect(values(series.appliances.fridge)).toEqual([2, 2, 120, 120, 120, 2, 2]);
    // Value = seconds since T0, every 3 s; no sample from 58 s to 119 s, so minute 1 holds the
    // 57 s sample (3 s old). Minute means of 0..57, 120..177, ... and 360, 363.
    expect(values(series.appliances.dishwasher)).toEqual([
      28.5, 57, 148.5, 208.5, 268.5, 328.5, 361.5,
    ]);
    // 1000 W at 240, 244, 248 s out of 15 samples in minute 4.
    expect(values(series.appliances.microwave)).toEqual([0, 0, 0, 0, 200, 0, 0]);
  });

  it('sums both washer_dryer legs and is missing where one leg has stopped', async () => {
    const { series } = await readReddHouse(REDD, { periodS: 60 });
    // 10 W + 20 W; the 20 W leg's last sample is at 177 s: held in minute 3, gone from minute 4.
    expect(values(series.appliances.washer_dryer)).toEqual([30, 30, 30, 30, N, N, N]);
  });

  it('lists labels it does not know as skipped instead of failing', async () => {
    const { skipped } = await readReddHouse(REDD, { periodS: 60 });
    expect(skipped).toEqual([
      { channel: 5, label: 'kitchen_outlets', reason: 'not a known appliance label' },
    ]);
  });

  it('reads only the requested appliances', async () => {
    const { series, skipped } = await readReddHouse(REDD, {
      periodS: 60,
      appliances: ['Refrigerator'],
    });
    expect(Object.keys(series.appliances)).toEqual(['fridge']);
    expect(skipped.filter((s) => s.reason === 'not requested').map((s) => s.channel)).toEqual([
      4, 6, 7, 8, 9,
    ]);
  });

  it('defaults to the 6 s grid', async () => {
    const { series } = await readReddHouse(REDD);
    expect(series.periodS).toBe(6);
    // 0..363 s after T0: 61 cells. Phase A + B in cell 1 (6-11 s): 100 + 50.
    expect(series.mains.length).toBe(61);
    expect(series.mains[1]).toBe(150);
  });
});

describe('readReddHouse on a UK-DALE house', () => {
  it('takes the aggregate channel as mains and maps UK-DALE labels', async () => {
    const { series, skipped } = await readReddHouse(UKDALE, { periodS: 60 });
    expect(series.startMs).toBe(UKDALE_T0_MS);
    expect(values(series.mains)).toEqual([300, 400, 500, 600, 700]);
    // 2500 W for 5 of the 10 samples of minute 2, 1 W otherwise.
    expect(values(series.appliances.kettle)).toEqual([1, 1, 1250.5, 1, 1]);
    expect(values(series.appliances.washing_machine)).toEqual([200, 200, 200, 200, 200]);
    expect(values(series.appliances.fridge_freezer)).toEqual([80, 80, 80, 80, 80]);
    expect(skipped).toEqual([
      { channel: 5, label: 'gas_oven', reason: 'not a known appliance label' },
    ]);
  });

  it('can take active power from mains.dat instead of the aggregate channel', async () => {
    const { series, skipped } = await readReddHouse(UKDALE, { periodS: 60, mains: 'mains.dat' });
    expect(values(series.mains)).toEqual([250, 350, 450, 550, 650]);
    expect(skipped[0]).toEqual({
      channel: 1,
      label: 'aggregate',
      reason: 'mains read from mains.dat',
    });
  });

  it('fails when a requested appliance has no channel', async () => {
    const err = await dataError(
      readReddHouse(UKDALE, { periodS: 60, appliances: ['kettle', 'microwave'] }),
    );
    expect(err.code).toBe('DATA_MISSING_COLUMN');
    expect(err.message).toContain('labels.dat');
    expect(err.message).toContain('no channel is labelled microwave');
  });
});

describe('bad house folders', () => {
  it('names the file and line of a malformed sample', async () => {
    const dir = await copyHouse(UKDALE);
    const file = join(dir, 'channel_3.dat');
    await setLine(file, 10, '1363547574 two-hundred');
    const err = await dataError(readReddHouse(dir, { periodS: 60 }));
    expect(err.code).toBe('DATA_MALFORMED');
    expect(err.location).toEqual({ file, line: 10 });
    expect(err.message).toContain(`${file}:10: `);
    expect(err.message).toContain('"1363547574 two-hundred"');
  });

  it('names the file and line where time goes backwards', async () => {
    const dir = await copyHouse(REDD);
    const file = join(dir, 'channel_4.dat');
    await setLine(file, 7, `${REDD_T0_MS / 1000 + 1} 1.00`);
    const err = await dataError(readReddHouse(dir, { periodS: 60 }));
    expect(err.code).toBe('DATA_TIME_ORDER');
    expect(err.location).toEqual({ file, line: 7 });
  });

  it('accepts a repeated time (both samples enter the mean)', async () => {
    const dir = await copyHouse(UKDALE);
    const file = join(dir, 'channel_2.dat');
    // Line 2 is at 6 s; make it a second sample at 0 s: minute 0 still averages 1 W.
    await setLine(file, 2, `${UKDALE_T0_MS / 1000} 1`);
    const { series } = await readReddHouse(dir, { periodS: 60 });
    expect(series.appliances.kettle![0]).toBe(1);
  });

  it('names the line of a malformed label and refuses a house without mains', async () => {
    const dir = await copyHouse(REDD);
    const labels = join(dir, 'labels.dat');
    await setLine(labels, 3, 'three refrigerator');
    let err = await dataError(readReddHouse(dir));
    expect(err.code).toBe('DATA_MALFORMED');
    expect(err.location).toEqual({ file: labels, line: 3 });

    await writeFile(labels, '3 refrigerator\n4 dishwaser\n');
    err = await dataError(readReddHouse(dir));
    expect(err.code).toBe('DATA_MISSING_COLUMN');
    expect(err.message).toContain('[3 refrigerator, 4 dishwaser]');
  });

  it('refuses a missing labels.dat or channel file, and an empty mains file', async () => {
    const dir = await copyHouse(UKDALE);
    await rm(join(dir, 'channel_4.dat'));
    let err = await dataError(readReddHouse(dir));
    expect(err.code).toBe('DATA_NOT_FOUND');
    expect(err.message).toContain('channel_4.dat');

    await writeFile(join(dir, 'channel_1.dat'), '');
    err = await dataError(readReddHouse(dir, { appliances: ['kettle'] }));
    expect(err.code).toBe('DATA_EMPTY');
    expect(err.message).toContain('channel_1.dat');

    err = await dataError(readReddHouse(join(dir, 'no-such-house')));
    expect(err.code).toBe('DATA_NOT_FOUND');
    expect(err.message).toContain('labels.dat');
  });
});

describe('readLabels and readDatChannel', () => {
  it('parse the published formats, extra fields and blank lines included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redd-dat-'));
    tmpDirs.push(dir);
    const labels = join(dir, 'labels.dat');
    await writeFile(labels, '1 aggregate\n\n12 washer dryer\n');
    expect(await readLabels(labels)).toEqual([
      { channel: 1, label: 'aggregate' },
      { channel: 12, label: 'washer dryer' },
    ]);
    const dat = join(dir, 'mains.dat');
    await writeFile(dat, '1363547520.5 250.5 300 240.1\r\n1363547521 251 301 240.2\r\n\r\n');
    const active = await readDatChannel(dat);
    expect(Array.from(active.timesMs)).toEqual([1_363_547_520_500, 1_363_547_521_000]);
    expect(Array.from(active.values)).toEqual([250.5, 251]);
    expect(Array.from((await readDatChannel(dat, 2)).values)).toEqual([300, 301]);
  });
});
