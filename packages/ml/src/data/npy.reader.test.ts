// Proves that .npy files of every supported version and dtype read back exactly, that unsupported
// layouts are refused with a message saying what to do, and that readNpySeries builds the right
// series from mains, named tables and the original overlapping training windows.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, NilmError } from '../errors.js';
import { parseNpyHeader, readNpy, readNpySeries } from './npy.reader.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'npy-reader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface NpyWrite {
  descr: string;
  shape: number[];
  bytes: Uint8Array;
  version?: 1 | 2 | 3;
  fortran?: boolean;
}

/** Bytes of an .npy file laid out as numpy.lib.format writes it (checked against np.save). */
function npyBytes({ descr, shape, bytes, version = 1, fortran = false }: NpyWrite): Uint8Array {
  const shapeText = `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  const unpadded = prefix + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const header = dict + ' '.repeat(total - unpadded) + '\n';
  const out = new Uint8Array(total + bytes.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(bytes, total);
  return out;
}

function f4(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

async function save(name: string, w: NpyWrite): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, npyBytes(w));
  return file;
}

async function saveF4(name: string, shape: number[], values: number[]): Promise<string> {
  return save(name, { descr: '<f4', shape, bytes: f4(values) });
}

/** The DataError a promise rejects with (fails the test when it resolves). */
async function dataError(p: Promise<unknown>): Promise<DataError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

describe('readNpy', () => {
  it('reads a v1 little-endian float32 vector as a Float32Array', async () => {
    const file = await saveF4('v1.npy', [4], [1.5, -2, 1e6, 0.25]);
    const arr = await readNpy(file);
    expect(arr.shape).toEqual([4]);
    expect(arr.dtype).toBe('f4');
    expect(arr.data).toBeInstanceOf(Float32Array);
    expect(Array.from(arr.data)).toEqual([1.5, -2, 1e6, 0.25]);
  });

  it('reads version 2 and 3 headers and float64 matrices in C order', async () => {
    const bytes = new Uint8Array(new Float64Array([1, 2, 3, 4, 5, 6]).buffer);
    for (const version of [2, 3] as const) {
      const arr = await readNpy(
        await save(`v${version}.npy`, { descr: '<f8', shape: [2, 3], bytes, version }),
      );
      expect(arr.shape).toEqual([2, 3]);
      expect(arr.data).toBeInstanceOf(Float64Array);
      expect(Array.from(arr.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('widens integer dtypes to float64 with their sign', async () => {
    const cases: [string, ArrayBufferView, number[]][] = [
      ['<i2', new Int16Array([-300, 7]), [-300, 7]],
      ['<i4', new Int32Array([-70000, 70000]), [-70000, 70000]],
      ['<i8', new BigInt64Array([-5n, 2n ** 40n]), [-5, 2 ** 40]],
      ['|u1', new Uint8Array([0, 255]), [0, 255]],
      ['|i1', new Int8Array([-128, 5]), [-128, 5]],
      ['<u2', new Uint16Array([65535, 1]), [65535, 1]],
    ];
    for (const [descr, typed, expected] of cases) {
      const bytes = new Uint8Array(typed.buffer);
      const arr = await readNpy(
        await save(`int${descr.slice(1)}.npy`, { descr, shape: [2], bytes }),
      );
      expect(arr.data).toBeInstanceOf(Float64Array);
      expect(Array.from(arr.data), descr).toEqual(expected);
    }
  });

  it('reads a Fortran-ordered 1-D array, whose layout is the same as C order', async () => {
    const file = await save('fortran1d.npy', {
      descr: '<f4',
      shape: [3],
      bytes: f4([1, 2, 3]),
      fortran: true,
    });
    expect(Array.from((await readNpy(file)).data)).toEqual([1, 2, 3]);
  });

  it('refuses big-endian, Fortran-ordered matrices and object arrays, saying how to re-save', async () => {
    const big = await save('big.npy', { descr: '>f4', shape: [1], bytes: f4([1]) });
    let err = await dataError(readNpy(big));
    expect(err.code).toBe('DATA_UNSUPPORTED');
    expect(err.message).toContain(big);
    expect(err.message).toContain('big-endian');
    expect(err.message).toContain("astype('<f4')");

    const fortran = await save('fortran.npy', {
      descr: '<f4',
      shape: [2, 2],
      bytes: f4([1, 2, 3, 4]),
      fortran: true,
    });
    err = await dataError(readNpy(fortran));
    expect(err.code).toBe('DATA_UNSUPPORTED');
    expect(err.message).toContain(fortran);
    expect(err.message).toContain('np.ascontiguousarray');

    const obj = await save('object.npy', { descr: '|O', shape: [1], bytes: new Uint8Array(8) });
    err = await dataError(readNpy(obj));
    expect(err.code).toBe('DATA_UNSUPPORTED');
    expect(err.message).toContain('Python objects');

    const half = await save('half.npy', { descr: '<f2', shape: [1], bytes: new Uint8Array(2) });
    expect((await dataError(readNpy(half))).message).toContain("dtype '<f2' is not supported");
  });

  it('refuses files that are not .npy, truncated data and missing files', async () => {
    const text = join(dir, 'text.npy');
    await writeFile(text, 'time,mains\n0,1\n');
    let err = await dataError(readNpy(text));
    expect(err.code).toBe('DATA_MALFORMED');
    expect(err.message).toContain(text);

    const full = npyBytes({ descr: '<f4', shape: [4], bytes: f4([1, 2, 3, 4]) });
    const cut = join(dir, 'cut.npy');
    await writeFile(cut, full.subarray(0, full.length - 3));
    err = await dataError(readNpy(cut));
    expect(err.code).toBe('DATA_MALFORMED');
    expect(err.message).toContain('promises 16 data bytes');

    err = await dataError(readNpy(join(dir, 'absent.npy')));
    expect(err.code).toBe('DATA_NOT_FOUND');
  });

  it('parses the header alone and reports where the data starts', () => {
    const header = parseNpyHeader(
      npyBytes({ descr: '<f8', shape: [10, 2, 3], bytes: new Uint8Array(0), version: 2 }),
      'h.npy',
    );
    expect(header).toEqual({ version: [2, 0], dtype: 'f8', shape: [10, 2, 3], dataOffset: 128 });
  });
});

describe('readNpySeries', () => {
  it('reads a 1-D mains vector with the given period and start', async () => {
    const x = await saveF4('mains.npy', [3], [100, 200, 300]);
    const s = await readNpySeries({ x, periodS: 60, startMs: 1_700_000_000_000 });
    expect(s.startMs).toBe(1_700_000_000_000);
    expect(s.periodS).toBe(60);
    expect(Array.from(s.mains)).toEqual([100, 200, 300]);
    expect(s.appliances).toEqual({});
    expect(s.source).toBe(x);
  });

  it('reads a (T, 1) array as mains and scales kW to W', async () => {
    const x = await saveF4('mains_kw.npy', [2, 1], [0.5, 1.25]);
    const s = await readNpySeries({ x, periodS: 6, scaleW: 1000 });
    expect(Array.from(s.mains)).toEqual([500, 1250]);
  });

  it('maps named (T, C) columns: mains, aliases, ignored columns, duplicates summed', async () => {
    // Columns: aggregate, WashingMachine, hour-of-day feature, fridge, refrigerator (a second
    // fridge: the same appliance, so summed).
    const x = await saveF4(
      'table.npy',
      [2, 5],
      [300, 20, 7, 80, 40, /* row 2 */ 310, 25, 8, 0, 45],
    );
    const s = await readNpySeries({
      x,
      periodS: 60,
      columns: ['aggregate', 'WashingMachine', null, 'fridge', 'refrigerator'],
    });
    expect(Array.from(s.mains)).toEqual([300, 310]);
    expect(Object.keys(s.appliances).sort()).toEqual(['fridge', 'washing_machine']);
    expect(Array.from(s.appliances.washing_machine!)).toEqual([20, 25]);
    expect(Array.from(s.appliances.fridge!)).toEqual([120, 45]);
  });

  it('takes appliances from a separate y beside 1-D mains', async () => {
    const x = await saveF4('m.npy', [3], [100, 2100, 150]);
    const y = await saveF4('y.npy', [3, 2], [0, 1, 2000, 1, 0, 50]);
    const s = await readNpySeries({ x, y, appliances: ['kettle', 'fridge_freezer'], periodS: 60 });
    expect(Array.from(s.appliances.kettle!)).toEqual([0, 2000, 0]);
    expect(Array.from(s.appliances.fridge_freezer!)).toEqual([1, 1, 50]);
    expect(s.source).toBe(`${x} + ${y}`);
  });

  it('stitches overlapping training windows back into one series', async () => {
    // A 13-sample recording cut into windows of L = 5 every stride = 2 samples: N = 5.
    // Feature 1 of x is another input (ignored); y holds one appliance.
    const rec = Array.from({ length: 13 }, (_, i) => (i + 1) / 10); // kW
    const app = Array.from({ length: 13 }, (_, i) => (i % 3 === 0 ? 0.002 : 0));
    const n = 5;
    const l = 5;
    const stride = 2;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let w = 0; w < n; w++) {
      for (let k = 0; k < l; k++) {
        xs.push(rec[w * stride + k]!, -1);
        ys.push(app[w * stride + k]!);
      }
    }
    const x = await saveF4('win_x.npy', [n, l, 2], xs);
    const y = await saveF4('win_y.npy', [n, l, 1], ys);
    const s = await readNpySeries({
      x,
      y,
      appliances: ['kettle'],
      stride,
      scaleW: 1000,
      periodS: 6,
    });
    expect(s.mains.length).toBe((n - 1) * stride + l);
    const expectMains = rec.map((v) => Math.fround(v) * 1000);
    s.mains.forEach((v, i) => expect(v).toBeCloseTo(expectMains[i]!, 3));
    s.appliances.kettle!.forEach((v, i) => expect(v).toBeCloseTo(app[i]! * 1000, 3));
  });

  it('puts non-overlapping windows end to end by default', async () => {
    const x = await saveF4('blocks.npy', [2, 3, 1], [1, 2, 3, 4, 5, 6]);
    const s = await readNpySeries({ x, periodS: 60 });
    expect(Array.from(s.mains)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses windows that do not overlap as the stride says, naming the window', async () => {
    // Windows of L = 3 cut every 1 sample would repeat values; these are end to end.
    const x = await saveF4('notoverlap.npy', [2, 3, 1], [1, 2, 3, 4, 5, 6]);
    const err = await dataError(readNpySeries({ x, periodS: 60, stride: 1 }));
    expect(err.code).toBe('DATA_MISMATCH');
    expect(err.message).toContain(x);
    expect(err.message).toContain('window 0 sample 1 (2) differs from window 1 sample 0 (4)');
  });

  it('reports NaN and infinity with their flat index', async () => {
    const x = await saveF4('nan.npy', [2, 2, 2], [1, 1, 1, 1, 1, NaN, 1, 1]);
    let err = await dataError(readNpySeries({ x, periodS: 60 }));
    expect(err.code).toBe('DATA_NOT_FINITE');
    expect(err.message).toContain(x);
    expect(err.message).toContain('flat index 5 (index [1, 0, 1])');

    const m = await saveF4('ok.npy', [2], [1, 2]);
    const y = await saveF4('inf.npy', [2], [0, Infinity]);
    err = await dataError(readNpySeries({ x: m, y, appliances: ['kettle'], periodS: 60 }));
    expect(err.code).toBe('DATA_NOT_FINITE');
    expect(err.message).toContain(y);
    expect(err.message).toContain('flat index 1');
  });

  it('refuses shapes and names that do not fit', async () => {
    const table = await saveF4('t2.npy', [1, 2], [1, 2]);
    let err = await dataError(
      readNpySeries({ x: table, periodS: 60, columns: ['fridge', 'kettle'] }),
    );
    expect(err.code).toBe('DATA_MISSING_COLUMN');
    expect(err.message).toContain('no column is named mains');

    err = await dataError(readNpySeries({ x: table, periodS: 60, columns: ['mains'] }));
    expect(err.code).toBe('DATA_MISMATCH');

    await expect(readNpySeries({ x: table, periodS: 60 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });

    const win = await saveF4('w.npy', [2, 3, 1], [1, 2, 3, 4, 5, 6]);
    const badY = await saveF4('wy.npy', [2, 2, 1], [1, 2, 3, 4]);
    err = await dataError(readNpySeries({ x: win, y: badY, appliances: ['kettle'], periodS: 60 }));
    expect(err.code).toBe('DATA_MISMATCH');
    expect(err.message).toContain(badY);

    const empty = await saveF4('empty.npy', [0], []);
    expect((await dataError(readNpySeries({ x: empty, periodS: 60 }))).code).toBe('DATA_EMPTY');

    const y = await saveF4('y1.npy', [2], [1, 2]);
    const x = await saveF4('x1.npy', [2], [1, 2]);
    await expect(readNpySeries({ x, y, appliances: ['hifi'], periodS: 60 })).rejects.toMatchObject({
      code: 'APPLIANCE_UNKNOWN',
    });
    await expect(readNpySeries({ x, periodS: 0 })).rejects.toBeInstanceOf(NilmError);
    await expect(readNpySeries({ x: win, periodS: 60, stride: 4 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
