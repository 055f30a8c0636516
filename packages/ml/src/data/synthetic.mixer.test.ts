// Proves synthetic mixing keeps its contract: mains after = mains before + label, sample by
// sample; the label's energy is the added activations' energy; activations land whole inside
// present mains without overlapping; the same seed gives the same mix; amplitude scaling keeps
// each activation's shape and stays in its range; a house that meters the appliance, a mixed
// pool, another period or a bad scale is refused; generated loads are added the same way.
import { describe, expect, it } from 'vitest';
import { activationKwh, type Activation } from './activations.extractor.js';
import { generateEvCharger, gridOf } from './load.generators.js';
import type { Series } from './series.js';
import { addLoad, mixActivations } from './synthetic.mixer.js';

/** A day of a real-looking house: 200 W base with a 2-hour gap at 06:00. */
function house(): Series {
  const mains = new Float32Array(1440).fill(200);
  mains.fill(NaN, 360, 480);
  return {
    startMs: Date.UTC(2015, 0, 8),
    periodS: 60,
    mains,
    appliances: { kettle: new Float32Array(1440) },
    source: 'house A',
  };
}

const act = (appliance: string, power: number[], periodS = 60): Activation => ({
  appliance,
  periodS,
  power: Float32Array.from(power),
  source: `trace ${power.length}`,
  startMs: 0,
});
const dryer = [
  act('tumble_dryer', [300, 2500, 2500, 2500, 400]),
  act('tumble_dryer', [2400, 2400]),
];
const kwh = (p: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < p.length; i++) if (Number.isFinite(p[i]!)) s += p[i]!;
  return (s * 60) / 3.6e6;
};

describe('mixActivations', () => {
  const base = house();
  const { series, placed } = mixActivations(base, dryer, { seed: 11, count: 20 });
  const label = series.appliances.tumble_dryer!;

  it('adds the label to the mains sample by sample and keeps the other channels', () => {
    expect(series.mains).toHaveLength(1440);
    for (let i = 0; i < 1440; i++) {
      if (Number.isNaN(base.mains[i]!)) {
        expect(series.mains[i]).toBeNaN();
        expect(label[i]).toBeNaN();
      } else expect(series.mains[i]).toBe(Math.fround(base.mains[i]! + label[i]!));
    }
    expect(series.appliances.kettle).toBe(base.appliances.kettle);
    expect(base.appliances.tumble_dryer).toBeUndefined(); // the input is not changed
    expect(series.source).toBe('house A + 20 tumble_dryer activation(s), seed 11');
  });

  it('adds exactly the energy of the activations it placed, whole and apart', () => {
    expect(placed).toHaveLength(20);
    const want = placed.reduce((a, p) => a + activationKwh(dryer[p.activation]!), 0);
    expect(kwh(label)).toBeCloseTo(want, 9);
    const used = new Uint8Array(1440);
    for (const p of placed) {
      const len = dryer[p.activation]!.power.length;
      for (let i = p.start; i < p.start + len; i++) {
        expect(Number.isFinite(base.mains[i]!)).toBe(true);
        expect(used[i]).toBe(0);
        used[i] = 1;
      }
      expect(Array.from(label.subarray(p.start, p.start + len))).toEqual(
        Array.from(dryer[p.activation]!.power),
      );
    }
  });

  it('is seeded', () => {
    const again = mixActivations(house(), dryer, { seed: 11, count: 20 });
    expect(again.placed).toEqual(placed);
    expect(again.series.mains).toEqual(series.mains);
    expect(mixActivations(house(), dryer, { seed: 12, count: 20 }).placed).not.toEqual(placed);
  });

  it('scales each activation by its own factor in [lo, hi], labelled and added exactly', () => {
    const r = mixActivations(house(), dryer, { seed: 11, count: 20, scale: [0.6, 1.4] });
    const l = r.series.appliances.tumble_dryer!;
    expect(r.placed).toHaveLength(20);
    const factors = r.placed.map((p) => p.factor);
    for (const f of factors) {
      expect(f).toBeGreaterThanOrEqual(0.6);
      expect(f).toBeLessThanOrEqual(1.4);
    }
    expect(Math.max(...factors) - Math.min(...factors)).toBeGreaterThan(0.2); // drawn, not fixed
    const want = r.placed.reduce((a, p) => a + p.factor * activationKwh(dryer[p.activation]!), 0);
    expect(kwh(l)).toBeCloseTo(want, 6);
    for (const p of r.placed) {
      const src = dryer[p.activation]!.power;
      for (let i = 0; i < src.length; i++)
        expect(l[p.start + i]).toBeCloseTo(src[i]! * p.factor, 2);
    }
    for (let i = 0; i < 1440; i++)
      if (Number.isFinite(r.series.mains[i]!))
        expect(r.series.mains[i]).toBe(Math.fround(200 + l[i]!));
    // Without scale every factor is 1 and the mix is the one made before scaling existed.
    expect(placed.every((p) => p.factor === 1)).toBe(true);
    expect(() => mixActivations(house(), dryer, { seed: 1, count: 1, scale: [0, 1] })).toThrow(
      /0 < lo <= hi/,
    );
    expect(() => mixActivations(house(), dryer, { seed: 1, count: 1, scale: [1.4, 0.6] })).toThrow(
      /0 < lo <= hi/,
    );
  });

  it('keeps a gap between activations when asked, and stops when the house is full', () => {
    const long = [act('tumble_dryer', Array(500).fill(2000))];
    const r = mixActivations(house(), long, { seed: 1, count: 5, gapSamples: 10 });
    // 1320 present minutes in two stretches (360 and 960): at most one 500-minute run fits.
    expect(r.placed).toHaveLength(1);
    expect(r.placed[0]!.start).toBeGreaterThanOrEqual(480);
  });

  it('refuses a house that meters the appliance, mixed pools and other periods', () => {
    expect(() => mixActivations(house(), [act('kettle', [2000])], { seed: 1, count: 1 })).toThrow(
      /already has a sub-meter for kettle/,
    );
    expect(() =>
      mixActivations(house(), [...dryer, act('toaster', [800])], { seed: 1, count: 1 }),
    ).toThrow(/mix one appliance at a time/);
    expect(() =>
      mixActivations(house(), [act('tumble_dryer', [1], 6)], { seed: 1, count: 1 }),
    ).toThrow(/at 6 s, the house at 60 s/);
    expect(() => mixActivations(house(), [], { seed: 1, count: 1 })).toThrow(/pool is empty/);
  });
});

describe('addLoad', () => {
  it('adds a generated EV charger with its label, nothing where mains is missing', () => {
    const base = house();
    const { power } = generateEvCharger(gridOf(base), 3, { sessionsPerDay: 1, timerShare: 0 });
    const s = addLoad(base, 'EVCharger', power);
    const label = s.appliances.ev_charger!;
    let inGap = 0;
    for (let i = 0; i < 1440; i++) {
      if (Number.isNaN(base.mains[i]!)) inGap += power[i]!;
      else expect(s.mains[i]).toBe(Math.fround(base.mains[i]! + power[i]!));
    }
    expect(kwh(label)).toBeCloseTo(kwh(power) - (inGap * 60) / 3.6e6, 9);
    expect(kwh(label)).toBeGreaterThan(1);
    expect(() => addLoad(base, 'ev_charger', new Float32Array(3))).toThrow(/3 samples/);
  });
});
