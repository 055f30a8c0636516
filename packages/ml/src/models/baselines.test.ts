// Proves the mean and CO baselines on synthetic houses with known answers, their save/load
// round trip, and spec resolution (shipped files, model directories, bad specs).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Series } from '../data/series.js';
import { CoBaseline, kmeans1d, learnStates } from './co.baseline.js';
import { MeanBaseline } from './mean.baseline.js';
import { loadModelDir, resolveModel } from './model.spec.js';

const dir = mkdtempSync(join(tmpdir(), 'nilm-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A house of 2 days at 60 s: baseload 100 W, a 2000 W kettle and a 500/1000 W washer. */
function house(seed: number): Series {
  const n = 2880;
  const kettle = new Float32Array(n);
  const washer = new Float32Array(n);
  let x = seed;
  const rand = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < n; i += 97) kettle.fill(2000, i, i + 3);
  for (let i = 40; i < n; i += 700) {
    washer.fill(500, i, i + 60);
    washer.fill(1000, i + 60, i + 80);
  }
  const mains = Float32Array.from(kettle, (k, i) => 100 + k + washer[i]! + rand());
  mains[5] = NaN;
  return {
    startMs: Date.UTC(2020, 0, 1),
    periodS: 60,
    mains,
    appliances: { kettle, washing_machine: washer },
    source: `house${seed}`,
  };
}

describe('MeanBaseline', () => {
  it('predicts each appliance training mean over valid samples, NaN where mains is missing', async () => {
    const h = house(1);
    const m = new MeanBaseline();
    await m.fit([h]);
    let sum = 0;
    let cnt = 0;
    h.appliances.kettle!.forEach((v, i) => {
      if (i !== 5) {
        sum += v;
        cnt++;
      }
    });
    const out = await m.disaggregate(h);
    expect(out.appliances.kettle!.power[0]).toBeCloseTo(sum / cnt, 3);
    expect(out.appliances.kettle!.power[5]).toBeNaN();
    expect(m.appliances).toEqual(['kettle', 'washing_machine']);
  });

  it('refuses to run unfitted and refuses unknown appliances', async () => {
    await expect(new MeanBaseline().disaggregate(house(1))).rejects.toThrow(/has not been fitted/);
    await expect(new MeanBaseline().fit([house(1)], { appliances: ['fridge'] })).rejects.toThrow(
      /"fridge" is not in the training data/,
    );
  });
});

describe('CoBaseline', () => {
  it('learns the power states of each appliance', () => {
    expect(kmeans1d(Float64Array.from([0, 0, 1, 10, 11, 12]), 2).map(Math.round)).toEqual([0, 11]);
    const s = learnStates(
      Float64Array.from([...Array(500).fill(0), ...Array(60).fill(500), ...Array(20).fill(1000)]),
    );
    expect(s).toEqual([0, 500, 1000]);
  });

  it('recovers every appliance exactly on a clean synthetic house', async () => {
    const h = house(2);
    const co = new CoBaseline();
    await co.fit([house(3)]);
    expect(co.powerStates.kettle).toEqual([0, 2000]);
    expect(co.powerStates.washing_machine).toEqual([0, 500, 1000]);
    const out = await co.disaggregate(h);
    for (const name of ['kettle', 'washing_machine']) {
      const p = out.appliances[name]!.power;
      const t = h.appliances[name]!;
      for (let i = 0; i < t.length; i++) if (i !== 5) expect(p[i]).toBe(t[i]);
      expect(p[5]).toBeNaN();
    }
  });

  it('saves and loads back the same model', async () => {
    const co = new CoBaseline();
    await co.fit([house(4)]);
    await co.save(join(dir, 'co'));
    const back = (await loadModelDir(join(dir, 'co'))) as CoBaseline;
    expect(back.kind).toBe('baseline:co');
    expect(back.powerStates).toEqual(co.powerStates);
    const h = house(5);
    expect((await back.disaggregate(h)).appliances).toEqual((await co.disaggregate(h)).appliances);
  });
});

describe('resolveModel', () => {
  const modelsDir = resolve(import.meta.dirname, '../../../../models');

  it('loads the shipped baselines, or fits them on training data when given', async () => {
    const shipped = await resolveModel('baseline:co', { modelsDir });
    expect(shipped.appliances).toEqual(['dishwasher', 'kettle', 'microwave', 'washing_machine']);
    const fitted = await resolveModel('baseline:mean', { modelsDir, train: [house(6)] });
    expect(fitted.appliances).toEqual(['kettle', 'washing_machine']);
  });

  it('refuses bad specs and bad model directories with a clear message', async () => {
    await expect(resolveModel('baseline:xyz', { modelsDir })).rejects.toThrow(
      /neither baseline:mean, baseline:co, default, a registered id@version, nor a model directory/,
    );
    await expect(resolveModel(dir, { modelsDir })).rejects.toThrow(
      /has neither card.json \(transformer\) nor model.json/,
    );
    writeFileSync(join(dir, 'model.json'), '{"kind": "magic"}');
    await expect(resolveModel(dir, { modelsDir })).rejects.toThrow(/unknown kind "magic"/);
    writeFileSync(join(dir, 'model.json'), '{oops');
    await expect(resolveModel(dir, { modelsDir })).rejects.toThrow(/is not valid JSON/);
  });
});
