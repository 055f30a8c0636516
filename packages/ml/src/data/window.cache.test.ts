// Proves that a window cache reads back bit-exactly what was written (samples, states, mask, stats), rejects truncated or corrupted files by name, and that its key tracks its inputs.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NilmError } from '../errors.js';
import { applianceSpec, onOffStates } from './appliances.js';
import { validMask, type Series } from './series.js';
import { WINDOW_CACHE_HEADER_BYTES, windowCacheKey } from './window.cache.format.js';
import { WindowCache, openWindowCacheIfFresh } from './window.cache.reader.js';
import { writeWindowCache } from './window.cache.writer.js';

const APPS = ['kettle', 'fridge'] as const;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(join(tmpdir(), 'nilm-window-cache-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A deterministic series: fridge cycling, kettle boils, and NaN gaps where asked. */
function synthetic(n: number, startMs: number, source: string, nanAt: number[] = []): Series {
  const mains = new Float32Array(n);
  const kettle = new Float32Array(n);
  const fridge = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    kettle[t] = t % 97 < 3 ? 2400 + (t % 7) : 0.5;
    fridge[t] = t % 40 < 15 ? 90 + (t % 5) * 0.25 : 1;
    mains[t] = 150.125 + kettle[t]! + fridge[t]! + Math.sin(t / 10) * 20;
  }
  for (const t of nanAt) {
    // Gaps in different channels: mains, then an appliance, alternately.
    if (t % 2 === 0) mains[t] = NaN;
    else kettle[t] = NaN;
  }
  return { startMs, periodS: 60, mains, appliances: { kettle, fridge }, source };
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.length === ub.length && ua.every((v, i) => v === ub[i]);
}

/** The expected row-major [t][channel] block of a series window. */
function expectedRows(s: Series, offset: number, length: number): Float32Array {
  const chans = [s.mains, ...APPS.map((a) => s.appliances[a]!)];
  const out = new Float32Array(length * chans.length);
  for (let t = 0; t < length; t++) {
    chans.forEach((ch, c) => (out[t * chans.length + c] = ch[offset + t]!));
  }
  return out;
}

function expectNilm(fn: () => unknown, code: string, text: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(NilmError);
  expect((caught as NilmError).code).toBe(code);
  expect((caught as NilmError).message).toMatch(text);
}

describe('window cache round trip', () => {
  const segA = synthetic(1000, Date.UTC(2024, 0, 1), 'house1.csv', [5, 6, 7, 500, 501, 999]);
  const segB = synthetic(300, Date.UTC(2024, 5, 1), 'house2.csv', [0, 150]);
  let path: string;

  beforeAll(async () => {
    path = join(dir, 'roundtrip.nwc');
    // An async generator: the writer takes one segment at a time.
    async function* segments(): AsyncGenerator<Series> {
      yield segA;
      yield segB;
    }
    await writeWindowCache(path, segments(), { appliances: APPS, key: 'k1' });
  });

  it('stores period, channels, segments and the header contract', () => {
    const cache = WindowCache.open(path);
    try {
      expect(cache.meta.periodS).toBe(60);
      expect(cache.meta.channels).toEqual(['mains', 'kettle', 'fridge']);
      expect(cache.channelCount).toBe(3);
      expect(cache.segmentCount).toBe(2);
      expect(cache.meta.segments.map((s) => [s.source, s.startMs, s.length])).toEqual([
        ['house1.csv', segA.startMs, 1000],
        ['house2.csv', segB.startMs, 300],
      ]);
      expect(cache.meta.segments[0]!.samplesOffset).toBe(WINDOW_CACHE_HEADER_BYTES);
      expect(cache.meta.key).toBe('k1');
      const head = fs.readFileSync(path).subarray(0, 8);
      expect(head.toString('latin1')).toBe('NILMWIN\0');
      cache.verify();
    } finally {
      cache.close();
    }
  });

  it('reads whole segments and arbitrary windows bit-exactly, NaN included', () => {
    const cache = WindowCache.open(path);
    try {
      for (const [k, s] of [segA, segB].entries()) {
        const n = s.mains.length;
        const all = cache.readWindow(k, 0, n, new Float32Array(n * 3));
        expect(bitsEqual(all, expectedRows(s, 0, n))).toBe(true);
      }
      // A window written into the middle of a larger caller buffer leaves the rest untouched.
      const out = new Float32Array(100 * 3 + 10).fill(-7);
      cache.readWindow(0, 480, 100, out, 5);
      expect(bitsEqual(out.subarray(5, 305), expectedRows(segA, 480, 100))).toBe(true);
      expect(out[4]).toBe(-7);
      expect(out[305]).toBe(-7);
      expect(Number.isNaN(out[5 + (500 - 480) * 3])).toBe(true);
    } finally {
      cache.close();
    }
  });

  it('stores the on/off states of each appliance rule and the validity mask', () => {
    const cache = WindowCache.open(path);
    try {
      for (const [k, s] of [segA, segB].entries()) {
        const n = s.mains.length;
        const states = cache.readStates(k, 0, n, new Uint8Array(n * 2));
        APPS.forEach((name, a) => {
          const want = onOffStates(s.appliances[name]!, 60, applianceSpec(name));
          const got = Uint8Array.from({ length: n }, (_, t) => states[t * 2 + a]!);
          expect(got).toEqual(want);
        });
        expect(cache.readMask(k, 0, n, new Uint8Array(n))).toEqual(validMask(s, APPS));
      }
      expect(cache.meta.segments.map((s) => s.validCount)).toEqual([994, 298]);
    } finally {
      cache.close();
    }
  });

  it('stores mains statistics and on-fractions over valid samples only', () => {
    const cache = WindowCache.open(path);
    try {
      const vals: number[] = [];
      let kettleOn = 0;
      for (const s of [segA, segB]) {
        const mask = validMask(s, APPS);
        const on = onOffStates(s.appliances.kettle!, 60, applianceSpec('kettle'));
        for (let t = 0; t < s.mains.length; t++) {
          if (!mask[t]) continue;
          vals.push(s.mains[t]!);
          kettleOn += on[t]!;
        }
      }
      const mean = vals.reduce((x, y) => x + y, 0) / vals.length;
      const std = Math.sqrt(vals.reduce((x, y) => x + (y - mean) ** 2, 0) / vals.length);
      const st = cache.meta.stats;
      expect(st.validSamples).toBe(vals.length);
      expect(st.totalSamples).toBe(1300);
      expect(st.channels[0]!.name).toBe('mains');
      expect(st.channels[0]!.mean).toBeCloseTo(mean, 6);
      expect(st.channels[0]!.std).toBeCloseTo(std, 6);
      expect(st.channels[0]!.min).toBe(Math.min(...vals));
      expect(st.onFraction.kettle).toBeCloseTo(kettleOn / vals.length, 12);
      expect(st.onFraction.kettle).toBeGreaterThan(0.02);
    } finally {
      cache.close();
    }
  });

  it('rejects windows outside a segment and buffers that are too small', () => {
    const cache = WindowCache.open(path);
    try {
      expectNilm(
        () => cache.readWindow(1, 250, 51, new Float32Array(51 * 3)),
        'CONFIG_INVALID',
        /outside segment 1 of 300/,
      );
      expectNilm(
        () => cache.readWindow(2, 0, 1, new Float32Array(3)),
        'CONFIG_INVALID',
        /segment 2 does not exist/,
      );
      expectNilm(
        () => cache.readWindow(0, 0, 10, new Float32Array(29)),
        'CONFIG_INVALID',
        /room for 29/,
      );
    } finally {
      cache.close();
    }
    expectNilm(
      () => cache.readWindow(0, 0, 1, new Float32Array(3)),
      'CONFIG_INVALID',
      /after close/,
    );
  });

  describe('damaged files', () => {
    function damaged(name: string, edit: (bytes: Buffer) => Buffer): string {
      const p = join(dir, name);
      fs.writeFileSync(p, edit(fs.readFileSync(path)));
      return p;
    }

    it('rejects a file cut short anywhere, naming it', () => {
      const size = fs.statSync(path).size;
      for (const keep of [0, 10, 31, 32, 5000, size - 1]) {
        const p = damaged(`cut-${keep}.nwc`, (b) => b.subarray(0, keep));
        expectNilm(() => WindowCache.open(p), 'DATA_MALFORMED', new RegExp(`^${p}: .*truncated`));
      }
    });

    it('rejects bad magic, corrupted metadata and an unknown version', () => {
      const magic = damaged('magic.nwc', (b) => {
        b[0] = 0x58;
        return b;
      });
      expectNilm(() => WindowCache.open(magic), 'DATA_MALFORMED', /bad magic/);
      const meta = damaged('meta.nwc', (b) => {
        b[b.length - 20]! ^= 0x01;
        return b;
      });
      expectNilm(() => WindowCache.open(meta), 'DATA_MALFORMED', /metadata fails its CRC-32/);
      const version = damaged('version.nwc', (b) => {
        b.writeUInt32LE(99, 8);
        return b;
      });
      expectNilm(() => WindowCache.open(version), 'DATA_UNSUPPORTED', /version 99/);
      const notCache = join(dir, 'notes.txt');
      fs.writeFileSync(notCache, 'hello, this is not a window cache at all, just text');
      expectNilm(() => WindowCache.open(notCache), 'DATA_MALFORMED', /bad magic/);
      expectNilm(
        () => WindowCache.open(join(dir, 'absent.nwc')),
        'DATA_NOT_FOUND',
        /absent\.nwc: .*does not exist/,
      );
    });

    it('opens a file with a damaged sample but verify() finds it', () => {
      const p = damaged('sample.nwc', (b) => {
        b[WINDOW_CACHE_HEADER_BYTES + 400]! ^= 0x10;
        return b;
      });
      const cache = WindowCache.open(p);
      try {
        expect(() => cache.verify()).toThrow(/segment 0 \(house1\.csv\) fails its CRC-32/);
      } finally {
        cache.close();
      }
    });
  });
});

describe('writeWindowCache input checks', () => {
  it('rejects a segment with another period or a missing appliance and leaves no file', async () => {
    const sub = fs.mkdtempSync(join(dir, 'bad-'));
    const p = join(sub, 'bad.nwc');
    const other = { ...synthetic(50, 0, 'b.csv'), periodS: 6 };
    await expect(
      writeWindowCache(p, [synthetic(50, 0, 'a.csv'), other], { appliances: APPS }),
    ).rejects.toMatchObject({ code: 'DATA_MISMATCH', message: /^b\.csv: period 6 s/ });
    const noFridge = synthetic(50, 0, 'c.csv');
    delete noFridge.appliances.fridge;
    await expect(writeWindowCache(p, [noFridge], { appliances: APPS })).rejects.toMatchObject({
      code: 'DATA_MISSING_COLUMN',
    });
    await expect(
      writeWindowCache(p, [synthetic(50, 0, 'd.csv')], { appliances: ['hifi'] }),
    ).rejects.toMatchObject({ code: 'APPLIANCE_UNKNOWN' });
    expect(fs.readdirSync(sub)).toEqual([]);
  });

  it('uses rule overrides for the states and records them', async () => {
    const p = join(dir, 'rules.nwc');
    const s = synthetic(200, 0, 'r.csv');
    const rule = { onPowerW: 80, minOnS: 0, minOffS: 0 };
    await writeWindowCache(p, [s], { appliances: ['fridge'], rules: { fridge: rule } });
    const cache = WindowCache.open(p);
    try {
      expect(cache.meta.rules.fridge).toEqual(rule);
      const got = cache.readStates(0, 0, 200, new Uint8Array(200));
      expect(got).toEqual(onOffStates(s.appliances.fridge!, 60, rule));
      expect(cache.meta.stats.onFraction.fridge).toBeCloseTo(15 / 40, 2);
    } finally {
      cache.close();
    }
  });
});

describe('windowCacheKey and openWindowCacheIfFresh', () => {
  it('changes when a source, its size or mtime, the period, appliances or rules change', () => {
    const a = join(dir, 'src-a.csv');
    const b = join(dir, 'src-b.csv');
    fs.writeFileSync(a, 'time,mains\n1,2\n');
    fs.writeFileSync(b, 'time,mains\n1,2\n');
    const opts = { periodS: 60, appliances: ['kettle'] };
    const k = windowCacheKey([a, b], opts);
    expect(k).toMatch(/^[0-9a-f]{32}$/);
    expect(windowCacheKey([a, b], { ...opts })).toBe(k);
    expect(windowCacheKey([b, a], opts)).not.toBe(k);
    expect(windowCacheKey([a], opts)).not.toBe(k);
    expect(windowCacheKey([a, b], { ...opts, periodS: 6 })).not.toBe(k);
    expect(windowCacheKey([a, b], { ...opts, appliances: ['fridge'] })).not.toBe(k);
    const rules = { kettle: { onPowerW: 1500, minOnS: 60, minOffS: 0 } };
    expect(windowCacheKey([a, b], { ...opts, rules })).not.toBe(k);
    const t = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(a, t, t);
    const touched = windowCacheKey([a, b], opts);
    expect(touched).not.toBe(k);
    fs.appendFileSync(a, '2,3\n');
    fs.utimesSync(a, t, t);
    expect(windowCacheKey([a, b], opts)).not.toBe(touched);
    expectNilm(() => windowCacheKey([join(dir, 'gone.csv')], opts), 'DATA_NOT_FOUND', /gone\.csv/);
  });

  it('opens a cache only when it exists, is valid and carries the key', async () => {
    const p = join(dir, 'fresh.nwc');
    expect(openWindowCacheIfFresh(p, 'abc')).toBeUndefined();
    await writeWindowCache(p, [synthetic(100, 0, 'x.csv')], { appliances: APPS, key: 'abc' });
    const cache = openWindowCacheIfFresh(p, 'abc');
    expect(cache).toBeInstanceOf(WindowCache);
    cache!.close();
    expect(openWindowCacheIfFresh(p, 'other')).toBeUndefined();
    fs.truncateSync(p, 100);
    expect(openWindowCacheIfFresh(p, 'abc')).toBeUndefined();
  });
});
