// Proves the multi-house training data path: grouped heads sum their members' sub-meters, the
// window cache keeps houses that lack an appliance (channel 0 W, outside the mask) and the
// sampler marks that head unknown in their windows, and the mixing plan is seeded, adds only
// appliances a house does not meter, and keeps mains = house + added loads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Activation } from './activations.extractor.js';
import { groupAppliances, normaliseGroups } from './appliance.groups.js';
import type { Series } from './series.js';
import { mixHouses, type MixPlan } from './training.mix.js';
import { WindowCache } from './window.cache.reader.js';
import { writeWindowCache } from './window.cache.writer.js';
import { createBatchBuffers, WindowSampler } from './window.sampler.js';

const tmp = mkdtempSync(join(tmpdir(), 'nilm-mix-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function house(n: number, source: string, appliances: Record<string, number>): Series {
  const out: Record<string, Float32Array> = {};
  for (const [a, w] of Object.entries(appliances)) out[a] = new Float32Array(n).fill(w);
  return {
    startMs: Date.UTC(2015, 0, 8),
    periodS: 60,
    mains: Float32Array.from({ length: n }, (_, i) => 300 + (i % 7) * 10),
    appliances: out,
    source,
  };
}

describe('appliance groups', () => {
  const groups = normaliseGroups({
    fridge_freezer: ['fridge', 'Freezer'],
    cooker: ['oven', 'hob'],
  });

  it('sums the members present into the head and drops the members', () => {
    const s = house(5, 'h', { fridge: 80, freezer: 90, kettle: 0 });
    s.appliances.freezer![2] = NaN;
    const g = groupAppliances(s, groups);
    expect(Object.keys(g.appliances).sort()).toEqual(['fridge_freezer', 'kettle']);
    expect(Array.from(g.appliances.fridge_freezer!)).toEqual([170, 170, NaN, 170, 170]);
    // A house with no member keeps no head channel (masked in training, not scored).
    expect(groupAppliances(house(3, 'k', { kettle: 0 }), groups).appliances.cooker).toBeUndefined();
  });

  it('refuses an appliance in two groups', () => {
    expect(() => normaliseGroups({ fridge_freezer: ['fridge'], freezer: ['fridge'] })).toThrow(
      /in the groups of both/,
    );
  });
});

describe('window cache and sampler with unmetered appliances', () => {
  it('keeps a house without a sub-meter and marks that head unknown in its windows', async () => {
    const a = house(300, 'A', { kettle: 0, fridge_freezer: 100 });
    const b = house(300, 'B', { kettle: 0 });
    b.appliances.kettle!.fill(2500, 100, 103);
    const path = join(tmp, 'm.win');
    const meta = await writeWindowCache(path, [a, b], {
      appliances: ['kettle', 'fridge_freezer'],
      allowMissing: true,
    });
    expect(meta.segments[0]!.metered).toBeUndefined();
    expect(meta.segments[1]!.metered).toEqual(['kettle']);
    expect(meta.segments[1]!.validCount).toBe(300);
    await expect(
      writeWindowCache(join(tmp, 'x.win'), [b], { appliances: ['kettle', 'fridge_freezer'] }),
    ).rejects.toThrow(/missing/);
    const sampler = new WindowSampler(WindowCache.open(path), { length: 32, stride: 32 });
    const buf = createBatchBuffers(2, 32, 2);
    const first = sampler.windowCount / 2; // 9 windows per house
    sampler.fillWindows([0, first], buf);
    expect(buf.known.subarray(0, 64).every((v) => v === 1)).toBe(true);
    expect(buf.known.subarray(64, 96).every((v) => v === 1)).toBe(true); // B: kettle known
    expect(buf.known.subarray(96, 128).every((v) => v === 0)).toBe(true); // B: fridge_freezer not
    expect(buf.power.subarray(96, 128).every((v) => v === 0)).toBe(true);
    expect(sampler.isKnown(first, 1)).toBe(false);
    expect(sampler.segmentOf(first)).toBe(1);
  });
});

describe('mixHouses', () => {
  const shower: Activation = {
    appliance: 'electric_shower',
    periodS: 60,
    power: new Float32Array(8).fill(9000),
    source: 'test',
    startMs: 0,
  };
  const plan = (seed: number): MixPlan => ({
    seed,
    copies: 2,
    activations: [{ appliance: 'electric_shower', pool: [shower], perDay: 2, share: 1 }],
    generators: [{ load: 'ev_charger', share: 1 }],
  });
  const houses = [
    house(3 * 1440, 'lacks both', { kettle: 0 }),
    house(3 * 1440, 'has a shower', { kettle: 0, electric_shower: 0 }),
  ];

  it('adds labelled loads only to houses that lack them, mains = house + loads', () => {
    const out = mixHouses(houses, plan(5));
    expect(out).toHaveLength(2 + 2 * 2);
    expect(out.slice(0, 2)).toEqual(houses);
    const mixed = out[2]!;
    expect(mixed.source).toMatch(/^lacks both \+ mix 1 \(6 electric_shower, ev_charger\)$/);
    const sh = mixed.appliances.electric_shower!;
    const ev = mixed.appliances.ev_charger!;
    let showerKwh = 0;
    for (let i = 0; i < sh.length; i++) {
      expect(mixed.mains[i]).toBeCloseTo(houses[0]!.mains[i]! + sh[i]! + ev[i]!, 2);
      showerKwh += sh[i]! / 60_000;
    }
    expect(showerKwh).toBeCloseTo((6 * 8 * 9000) / 60_000, 6); // 2 a day for 3 days, 8 min each
    // The house with a shower sub-meter gets the EV only; its shower channel is untouched.
    const other = out.find((s) => s.source.startsWith('has a shower + mix 1'))!;
    expect(other.source).toMatch(/\(ev_charger\)$/);
    expect(other.appliances.electric_shower).toBe(houses[1]!.appliances.electric_shower);
  });

  it('is seeded: the same seed gives the same series, another seed other placements', () => {
    const a = mixHouses(houses, plan(5));
    const b = mixHouses(houses, plan(5));
    const c = mixHouses(houses, plan(6));
    expect(Array.from(a[2]!.mains)).toEqual(Array.from(b[2]!.mains));
    expect(Array.from(a[2]!.mains)).not.toEqual(Array.from(c[2]!.mains));
  });

  it('counts a group member as metering the head', () => {
    const heated = [house(1440, 'heater', { electric_heater: 0 })];
    const out = mixHouses(
      heated,
      { seed: 1, copies: 1, activations: [], generators: [{ load: 'heat_pump', share: 1 }] },
      normaliseGroups({ electric_heater: ['heat_pump', 'storage_heater'] }),
    );
    expect(out).toHaveLength(1); // nothing added, so no copy
  });
});
