// Proves that the sampler indexes only fully valid windows inside one segment, fills batches with the source values, samples reproducibly per seed, balances rare appliances to the target on-fraction, and keeps memory far below the cache size.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NilmError } from '../errors.js';
import { applianceSpec, onOffStates } from './appliances.js';
import { validMask, type Series } from './series.js';
import { WindowCache } from './window.cache.reader.js';
import { writeWindowCache } from './window.cache.writer.js';
import { SeededRandom, WindowSampler, createBatchBuffers } from './window.sampler.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(join(tmpdir(), 'nilm-window-sampler-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Kettle: 3-sample boils every `kettleEvery` samples (on 3 / kettleEvery of the time).
 * Fridge: on 15 of every 40 samples. Mains is their sum plus a base load, NaN at `nanAt`.
 */
function synthetic(n: number, source: string, nanAt: number[] = [], kettleEvery = 97): Series {
  const mains = new Float32Array(n);
  const kettle = new Float32Array(n);
  const fridge = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    kettle[t] = t % kettleEvery < 3 ? 2400 : 0;
    fridge[t] = t % 40 < 15 ? 90 : 1;
    mains[t] = 200 + kettle[t]! + fridge[t]! + (t % 13);
  }
  for (const t of nanAt) mains[t] = NaN;
  return { startMs: 0, periodS: 60, mains, appliances: { kettle, fridge }, source };
}

async function cacheOf(name: string, series: Series[]): Promise<WindowCache> {
  const path = join(dir, name);
  await writeWindowCache(path, series, { appliances: ['kettle', 'fridge'] });
  return WindowCache.open(path);
}

/**
 * The index rule restated by brute force: every start whose window is all valid, counted on a
 * stride grid anchored just after the last invalid sample before it.
 */
function expectedStarts(mask: Uint8Array, L: number, stride: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s + L <= mask.length; s++) {
    if (!mask.subarray(s, s + L).every((v) => v === 1)) continue;
    let anchor = 0;
    for (let j = s - 1; j >= 0; j--) {
      if (!mask[j]) {
        anchor = j + 1;
        break;
      }
    }
    if ((s - anchor) % stride === 0) starts.push(s);
  }
  return starts;
}

function allWindows(sampler: WindowSampler): [number, number][] {
  return Array.from({ length: sampler.windowCount }, (_, i) => {
    const w = sampler.window(i);
    return [w.segment, w.offset] as [number, number];
  });
}

describe('window index', () => {
  const seg0 = synthetic(400, 'a.csv', [50, 51, 52, 203, 399]);
  const seg1 = synthetic(150, 'b.csv', [70]);
  let cache: WindowCache;
  beforeAll(async () => {
    cache = await cacheOf('index.nwc', [seg0, seg1]);
  });
  afterAll(() => cache.close());

  it('holds exactly the valid windows on the re-anchored stride grid', () => {
    for (const [L, stride] of [
      [32, 1],
      [32, 8],
      [40, 40],
      [1, 3],
    ] as const) {
      const sampler = new WindowSampler(cache, { length: L, stride });
      const want = [seg0, seg1].flatMap((s, k) =>
        expectedStarts(validMask(s), L, stride).map((o) => [k, o] as [number, number]),
      );
      expect(allWindows(sampler)).toEqual(want);
    }
  });

  it('never includes a sample of a gap', () => {
    const sampler = new WindowSampler(cache, { length: 48, stride: 5 });
    const mask = [validMask(seg0), validMask(seg1)];
    expect(sampler.windowCount).toBeGreaterThan(10);
    for (const [k, o] of allWindows(sampler)) {
      expect(mask[k]!.subarray(o, o + 48).every((v) => v === 1)).toBe(true);
    }
    // The gap at 50..52 is bridged by no window; the first window after it starts at 53.
    const starts0 = allWindows(sampler)
      .filter(([k]) => k === 0)
      .map(([, o]) => o);
    expect(starts0.some((o) => o <= 52 && o + 48 > 50)).toBe(false);
    expect(starts0).toContain(53);
  });

  it('never lets a window straddle two segments', async () => {
    const c = await cacheOf('bounds.nwc', [synthetic(100, 'x'), synthetic(70, 'y')]);
    try {
      expect(allWindows(new WindowSampler(c, { length: 32 }))).toEqual([
        [0, 0],
        [0, 32],
        [0, 64],
        [1, 0],
        [1, 32],
      ]);
      expect(allWindows(new WindowSampler(c, { length: 32, segments: [1] }))).toEqual([
        [1, 0],
        [1, 32],
      ]);
      expect(new WindowSampler(c, { length: 101 }).windowCount).toBe(0);
    } finally {
      c.close();
    }
  });

  it("marks windows on at any sample ('any') or at the midpoint ('midpoint')", () => {
    const L = 20;
    const states = [seg0, seg1].map((s) =>
      ['kettle', 'fridge'].map((a) => onOffStates(s.appliances[a]!, 60, applianceSpec(a))),
    );
    for (const onAt of ['any', 'midpoint'] as const) {
      const sampler = new WindowSampler(cache, { length: L, stride: 3, onAt });
      for (let id = 0; id < sampler.windowCount; id++) {
        const { segment, offset } = sampler.window(id);
        for (let a = 0; a < 2; a++) {
          const st = states[segment]![a]!;
          const want =
            onAt === 'any'
              ? st.subarray(offset, offset + L).some((v) => v === 1)
              : st[offset + L / 2] === 1;
          expect(sampler.isOn(id, a)).toBe(want);
        }
      }
      expect(sampler.onWindowCount(0)).toBeGreaterThan(0);
      expect(sampler.onWindowIds(0).every((id) => sampler.isOn(id, 0))).toBe(true);
    }
  });

  it('rejects bad options with CONFIG_INVALID', () => {
    const bad = [
      { length: 0 },
      { length: 10, stride: 0 },
      { length: 10, appliances: ['microwave'] },
      { length: 10, segments: [2] },
      { length: 10, normalise: { mean: 0, std: 0 } },
    ];
    for (const opts of bad) {
      expect(() => new WindowSampler(cache, opts)).toThrow(NilmError);
    }
    const sampler = new WindowSampler(cache, { length: 10 });
    expect(() => sampler.fillSequential(0, createBatchBuffers(2, 11, 2))).toThrow(
      /createBatchBuffers\(B, 10, 2\)/,
    );
    const empty = new WindowSampler(cache, { length: 400 });
    expect(() => empty.random({ seed: 1 })).toThrow(/no valid windows of 400 samples/);
  });
});

describe('batch filling', () => {
  const seg0 = synthetic(500, 'a.csv', [100]);
  const seg1 = synthetic(300, 'b.csv');
  let cache: WindowCache;
  beforeAll(async () => {
    cache = await cacheOf('fill.nwc', [seg0, seg1]);
  });
  afterAll(() => cache.close());

  it('writes mains (normalised), power and on/off of each window in [B, L] and [B, A, L]', () => {
    const L = 16;
    const norm = { mean: 300, std: 250 };
    // Targets in the reverse of the cache's order, to check the channel mapping.
    const sampler = new WindowSampler(cache, {
      length: L,
      stride: 7,
      appliances: ['fridge', 'kettle'],
      normalise: norm,
    });
    const out = createBatchBuffers(5, L, 2);
    const ids = [0, 3, sampler.windowCount - 1, 40, 41];
    sampler.fillWindows(ids, out);
    const series = [seg0, seg1];
    ids.forEach((id, b) => {
      const { segment, offset } = sampler.window(id);
      const s = series[segment]!;
      expect(out.windowIds[b]).toBe(id);
      ['fridge', 'kettle'].forEach((name, a) => {
        const on = onOffStates(s.appliances[name]!, 60, applianceSpec(name));
        for (let t = 0; t < L; t++) {
          const x = s.mains[offset + t]!;
          expect(out.mains[b * L + t]).toBeCloseTo((x - norm.mean) / norm.std, 5);
          expect(out.power[(b * 2 + a) * L + t]).toBe(s.appliances[name]![offset + t]);
          expect(out.onOff[(b * 2 + a) * L + t]).toBe(on[offset + t]);
        }
      });
    });
    expect(out.onOff.some((v) => v === 1)).toBe(true);
    expect(out.mains.every(Number.isFinite)).toBe(true);
    const before = Float32Array.from(out.mains);
    expect(() => sampler.fillWindows([1, sampler.windowCount], out)).toThrow(/does not exist/);
    expect(out.mains).toEqual(before);
  });

  it('fills sequential batches in index order and pads the last one', () => {
    const sampler = new WindowSampler(cache, { length: 50, stride: 50 });
    const W = sampler.windowCount;
    expect(W).toBe(9 + 6); // 0..450 minus the window holding sample 100, re-anchored at 101
    const out = createBatchBuffers(4, 50, 2);
    const seen: number[] = [];
    let first = 0;
    let n: number;
    while ((n = sampler.fillSequential(first, out)) === 4) {
      seen.push(...out.windowIds);
      first += n;
    }
    // The last batch had W % 4 = 3 windows; the fourth slot is cleared.
    expect(n).toBe(3);
    expect(Array.from(out.windowIds)).toEqual([12, 13, 14, -1]);
    expect(out.mains.subarray(150).every((v) => v === 0)).toBe(true);
    seen.push(...out.windowIds.subarray(0, n));
    expect(seen).toEqual(Array.from({ length: W }, (_, i) => i));
    expect(sampler.fillSequential(W, out)).toBe(0);
    expect(out.windowIds.every((id) => id === -1)).toBe(true);
  });
});

describe('random batches', () => {
  let cache: WindowCache;
  beforeAll(async () => {
    // Kettle on 3 of every 300 samples (1 %), as rare as kettles and microwaves are.
    const series = [synthetic(60_000, 'a', [1000, 30_000], 300), synthetic(40_000, 'b', [], 300)];
    cache = await cacheOf('random.nwc', series);
  });
  afterAll(() => cache.close());

  function draw(sampler: WindowSampler, seed: number, batches: number): number[] {
    const stream = sampler.random({ seed, balance: { targetOnFraction: 0.5 } });
    const out = createBatchBuffers(16, sampler.length, 2);
    const ids: number[] = [];
    for (let i = 0; i < batches; i++) {
      stream.fill(out);
      ids.push(...out.windowIds);
    }
    return ids;
  }

  it('is reproducible for a seed and differs between seeds', () => {
    const sampler = new WindowSampler(cache, { length: 64, stride: 4, onAt: 'midpoint' });
    const a = draw(sampler, 42, 20);
    expect(draw(sampler, 42, 20)).toEqual(a);
    const b = draw(sampler, 43, 20);
    expect(b).not.toEqual(a);
    expect(b.filter((id, i) => id === a[i]).length).toBeLessThan(a.length / 10);
    const r1 = new SeededRandom(7);
    const r2 = new SeededRandom(7);
    const xs = Array.from({ length: 100 }, () => r1.below(1000));
    expect(Array.from({ length: 100 }, () => r2.below(1000))).toEqual(xs);
    expect(new Set(xs).size).toBeGreaterThan(80);
  });

  it('reaches the target on-fraction for a 1 % appliance and reports it', () => {
    const sampler = new WindowSampler(cache, { length: 64, stride: 1, onAt: 'midpoint' });
    const natural = sampler.onWindowCount(0) / sampler.windowCount;
    expect(natural).toBeGreaterThan(0.005);
    expect(natural).toBeLessThan(0.015);

    const out = createBatchBuffers(32, 64, 2);
    const balanced = sampler.random({
      seed: 1,
      balance: { targetOnFraction: 0.5, appliances: ['kettle'] },
    });
    let onInBatches = 0;
    for (let i = 0; i < 200; i++) onInBatches += balanced.fill(out);
    const rep = balanced.report();
    expect(rep.windows).toBe(6400);
    expect(rep.onWindows).toBe(onInBatches);
    expect(rep.achievedOnFraction).toBeGreaterThan(0.45);
    expect(rep.achievedOnFraction).toBeLessThan(0.55);
    expect(rep.perAppliance.kettle!.availableOn).toBe(sampler.onWindowCount(0));
    // The filled on/off targets agree: about half the slots have kettle on at the midpoint.
    let midOn = 0;
    for (let b = 0; b < 32; b++) midOn += out.onOff[(b * 2 + 0) * 64 + 32]!;
    expect(midOn).toBeGreaterThan(4);

    const uniform = sampler.random({ seed: 1 });
    for (let i = 0; i < 200; i++) uniform.fill(out);
    expect(uniform.report().perAppliance.kettle!.onWindows).toBeLessThan(0.03 * 3200);
  });

  it('cycles over appliances so each gets the target fraction', () => {
    const sampler = new WindowSampler(cache, { length: 64, stride: 8, onAt: 'midpoint' });
    const stream = sampler.random({ seed: 9, balance: { targetOnFraction: 0.3 } });
    const out = createBatchBuffers(32, 64, 2);
    for (let i = 0; i < 200; i++) stream.fill(out);
    const rep = stream.report();
    for (const name of ['kettle', 'fridge']) {
      const r = rep.perAppliance[name]!;
      expect(r.windows).toBe(3200);
      expect(r.onWindows / r.windows).toBeGreaterThan(0.25);
      expect(r.onWindows / r.windows).toBeLessThan(0.35);
    }
    // A head listed twice in the cycle gets twice the slots (training's balance.cycle).
    const weighted = sampler.random({
      seed: 9,
      balance: { targetOnFraction: 0.3, appliances: ['kettle', 'kettle', 'fridge'] },
    });
    for (let i = 0; i < 30; i++) weighted.fill(out);
    expect(weighted.report().perAppliance.kettle!.windows).toBe(640);
    expect(weighted.report().perAppliance.fridge!.windows).toBe(320);
    const all = sampler.random({ seed: 3, balance: { targetOnFraction: 1 } });
    all.fill(out);
    expect(all.report().achievedOnFraction).toBe(1);
    const none = sampler.random({ seed: 3, balance: { targetOnFraction: 0 } });
    none.fill(out);
    expect(none.report().achievedOnFraction).toBe(0);
  });

  it("falls back to on windows when an appliance has no off window ('any', fridge)", () => {
    // The fridge cycles every 40 samples, so it is on somewhere in every 64-sample window.
    const sampler = new WindowSampler(cache, { length: 64, stride: 8 });
    expect(sampler.onWindowCount(1)).toBe(sampler.windowCount);
    const stream = sampler.random({ seed: 2, balance: { targetOnFraction: 0.5 } });
    const out = createBatchBuffers(32, 64, 2);
    for (let i = 0; i < 50; i++) stream.fill(out);
    const rep = stream.report();
    expect(rep.perAppliance.fridge!.onWindows).toBe(800);
    expect(rep.perAppliance.kettle!.onWindows / 800).toBeGreaterThan(0.4);
    expect(rep.perAppliance.kettle!.onWindows / 800).toBeLessThan(0.6);
  });
});

describe('memory', () => {
  it('samples a 2 M x 5-channel cache with RSS growth far below the file size', async () => {
    const path = join(dir, 'big.nwc');
    const appliances = ['kettle', 'microwave', 'fridge', 'dishwasher'];
    const segLen = 250_000;
    // Streamed: one 250 k-sample segment exists at a time.
    function* segments(): Generator<Series> {
      for (let k = 0; k < 8; k++) {
        const mains = new Float32Array(segLen);
        const ch = appliances.map(() => new Float32Array(segLen));
        for (let i = 0; i < segLen; i++) {
          const t = k * segLen + i;
          ch[0]![i] = t % 500 < 3 ? 2500 : 0;
          ch[1]![i] = t % 700 < 2 ? 900 : 2;
          ch[2]![i] = t % 40 < 15 ? 90 : 1;
          ch[3]![i] = t % 3000 < 90 ? 800 : 0;
          mains[i] =
            t % 10_007 < 20 ? NaN : 180 + ch[0]![i]! + ch[1]![i]! + ch[2]![i]! + ch[3]![i]!;
        }
        const apps: Record<string, Float32Array> = {};
        appliances.forEach((a, j) => (apps[a] = ch[j]!));
        yield {
          startMs: k * segLen * 60_000,
          periodS: 60,
          mains,
          appliances: apps,
          source: `m${k}`,
        };
      }
    }
    await writeWindowCache(path, segments(), { appliances });
    const fileSize = fs.statSync(path).size;
    expect(fileSize).toBeGreaterThan(2_000_000 * 5 * 4);

    const rss0 = process.memoryUsage().rss;
    const cache = WindowCache.open(path);
    try {
      const { mean, std } = cache.meta.stats.channels[0]!;
      const sampler = new WindowSampler(cache, {
        length: 256,
        stride: 16,
        onAt: 'midpoint',
        normalise: { mean, std },
      });
      expect(sampler.windowCount).toBeGreaterThan(100_000);
      const out = createBatchBuffers(64, 256, 4);
      const stream = sampler.random({ seed: 5, balance: { targetOnFraction: 0.5 } });
      // 300 batches x 64 windows x 256 rows x 20 bytes: about twice the file is read.
      for (let i = 0; i < 300; i++) {
        stream.fill(out);
        if (!out.mains.every(Number.isFinite)) throw new Error(`batch ${i} holds a non-finite`);
      }
      const growth = process.memoryUsage().rss - rss0;
      expect(growth).toBeLessThan(fileSize / 2);
      expect(stream.report().achievedOnFraction).toBeGreaterThan(0.4);
    } finally {
      cache.close();
      fs.rmSync(path);
    }
  });
});
