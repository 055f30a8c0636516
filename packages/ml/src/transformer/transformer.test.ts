// Proves the transformer end to end on tiny deterministic models: the exported .onnx matches
// the training graph's forward, a tiny model learns a synthetic two-appliance mix far better
// than the mean baseline, training is deterministic and resumable, and inference handles gaps
// and short series.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { Series } from '../data/series.js';
import { sliceSeries } from '../data/series.js';
import { evaluate } from '../eval/evaluate.js';
import { MeanBaseline } from '../models/mean.baseline.js';
import { exportInferenceModel } from '../onnx/graph.export.js';
import { createForwardSession } from '../onnx/graph.session.js';
import { ArchitectureSchema } from './transformer.config.js';
import { TransformerModel, windowStarts } from './transformer.disaggregator.js';
import {
  buildTransformerGraph,
  INPUT_MAINS,
  OUTPUT_ON_PROB,
  OUTPUT_POWER,
} from './transformer.graph.js';
import { trainTransformer } from './transformer.train.js';

const tmp = mkdtempSync(join(tmpdir(), 'nilm-tf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tiny = {
  periodS: 60,
  window: 32,
  patch: 4,
  dModel: 16,
  heads: 2,
  layers: 1,
  ffDim: 32,
  headHidden: 16,
  kernel: 3,
  dropout: 0.1,
  inputScaleW: 1000,
};

/** Two appliances on a noisy baseload: a 2 kW "kettle" for 3 min, a 500 W "washer" for 40 min. */
function synthetic(days: number, seed: number): Series {
  const n = days * 1440;
  let x = seed >>> 0;
  const rand = (): number => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const kettle = new Float32Array(n);
  const washer = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (rand() < 0.01) kettle.fill(2000, i, Math.min(n, i + 3));
    if (rand() < 0.002) washer.fill(500, i, Math.min(n, i + 40));
  }
  const mains = Float32Array.from(
    kettle,
    (k, i) => 150 + 30 * Math.sin(i / 200) + 10 * rand() + k + washer[i]!,
  );
  return {
    startMs: Date.UTC(2020, 0, 1),
    periodS: 60,
    mains,
    appliances: { kettle, washing_machine: washer },
    source: `synthetic-${seed}`,
  };
}

const settings = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  appliances: ['kettle', 'washing_machine'],
  model: tiny,
  batch: 16,
  stride: 4,
  optimizer: { lr: 0.003 },
  schedule: { epochs: 4, stepsPerEpoch: 100, warmupSteps: 20, minLr: 0.0001 },
  maxValWindows: 256,
  ...over,
});

describe('transformer graph', () => {
  it('exports an .onnx whose outputs match the training forward within 1e-5, at any batch', async () => {
    const arch = ArchitectureSchema.parse(tiny);
    const spec = { arch, appliances: ['kettle', 'washing_machine'], powerScaleW: [2500, 800] };
    const built = buildTransformerGraph(spec, { batch: 3, seed: 5 });
    const fwd = await createForwardSession(built.graph, [OUTPUT_POWER, OUTPUT_ON_PROB]);
    const mains = Float32Array.from({ length: 3 * 32 }, (_, i) => 200 + ((i * 37) % 11) * 150);
    const a = await fwd.run({ [INPUT_MAINS]: mains });
    const bytes = exportInferenceModel(built.graph, [built.power, built.onProb]);
    const session = await ort.InferenceSession.create(bytes);
    // Batch 5 in the exported model (dynamic batch): the first 3 windows are the same.
    const five = new Float32Array(5 * 32);
    five.set(mains);
    const b = await session.run({ [INPUT_MAINS]: new ort.Tensor('float32', five, [5, 32]) });
    const pa = a.get(OUTPUT_POWER) as Float32Array;
    const pb = b[OUTPUT_POWER]!.data as Float32Array;
    const oa = a.get(OUTPUT_ON_PROB) as Float32Array;
    const ob = b[OUTPUT_ON_PROB]!.data as Float32Array;
    expect(b[OUTPUT_POWER]!.dims).toEqual([5, 2, 32]);
    for (let i = 0; i < pa.length; i++) {
      const scale = i % 64 < 32 ? 2500 : 800;
      expect(Math.abs(pa[i]! - pb[i]!) / scale).toBeLessThan(1e-5);
      expect(Math.abs(oa[i]! - ob[i]!)).toBeLessThan(1e-5);
    }
    await session.release();
    await fwd.release();
  });

  it('covers any span with windows whose last one ends at the span end', () => {
    expect(windowStarts(0, 10, 32, 16)).toEqual([0]);
    expect(windowStarts(0, 64, 32, 16)).toEqual([0, 16, 32]);
    expect(windowStarts(5, 75, 32, 16)).toEqual([5, 21, 37, 43]);
  });
});

describe('training', () => {
  const train = synthetic(20, 1);
  const valSeries = synthetic(4, 2);
  const data = {
    train: [train],
    val: [valSeries],
    describe: { train: ['synthetic'], licence: 'synthetic' },
  };
  let first: Awaited<ReturnType<typeof trainTransformer>>;

  it('learns a synthetic two-appliance mix far better than the mean baseline', async () => {
    first = await trainTransformer(settings(), data, { outDir: join(tmp, 'a') });
    expect(first.history).toHaveLength(4);
    expect(first.history[3]!.train_loss).toBeLessThan(first.history[0]!.train_loss);
    const model = await TransformerModel.load(first.modelDir);
    const test = synthetic(3, 3);
    const r = await evaluate(model, [test], 'tiny');
    const mean = new MeanBaseline();
    await mean.fit([train]);
    const base = await evaluate(mean, [test], 'mean');
    expect(base.mean.nde!).toBeGreaterThan(0.9);
    expect(r.mean.nde!).toBeLessThan(0.3 * base.mean.nde!);
    expect(r.appliances.kettle!.f1!).toBeGreaterThan(0.8);
    expect(r.appliances.washing_machine!.f1!).toBeGreaterThan(0.8);
    await model.release();
  });

  it('writes metrics per epoch, curves, checkpoint and a card with the weights hash', () => {
    const lines = readFileSync(join(tmp, 'a', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(lines[0].val_f1).sort()).toEqual(['kettle', 'washing_machine']);
    expect(readFileSync(join(tmp, 'a', 'curves.svg'), 'utf8')).toMatch(/^<svg/);
    expect(first.card.appliances.map((a) => a.name)).toEqual(['kettle', 'washing_machine']);
    expect(first.card.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.card.training.windows_seen).toBe(4 * 100 * 16);
  });

  it('is deterministic given a seed, and a resumed run ends where an uninterrupted one does', async () => {
    const again = await trainTransformer(settings(), data, { outDir: join(tmp, 'b') });
    expect(again.card.sha256).toBe(first.card.sha256);
    const partial = await trainTransformer(settings(), data, {
      outDir: join(tmp, 'd'),
      stopAfterEpoch: 2,
    });
    expect(partial.history).toHaveLength(2);
    const resumed = await trainTransformer(settings(), data, {
      outDir: join(tmp, 'd'),
      resume: true,
    });
    expect(resumed.history).toHaveLength(4);
    expect(resumed.card.sha256).toBe(first.card.sha256);
  });

  it('refuses a bad config and an existing run without --resume', async () => {
    await expect(
      trainTransformer(settings({ model: { ...tiny, window: 30 } }), data, {
        outDir: join(tmp, 'e'),
      }),
    ).rejects.toThrow(/window must be a multiple of patch/);
    await expect(
      trainTransformer(settings({ batch: 0 }), data, { outDir: join(tmp, 'e') }),
    ).rejects.toThrow(/training config: batch/);
    await expect(
      trainTransformer(settings({ appliances: ['fridge'] }), data, { outDir: join(tmp, 'e') }),
    ).rejects.toThrow(/no training series has a "fridge" sub-meter/);
    await expect(trainTransformer(settings(), data, { outDir: join(tmp, 'a') })).rejects.toThrow(
      /already holds a run; pass --resume/,
    );
  });

  it('disaggregates series with gaps and shorter than a window', async () => {
    const model = await TransformerModel.load(first.modelDir);
    const s = synthetic(1, 9);
    s.mains.fill(NaN, 100, 300);
    const out = await model.disaggregate(s);
    expect(out.appliances.kettle!.power[150]).toBeNaN();
    expect(Number.isFinite(out.appliances.kettle!.power[99]!)).toBe(true);
    expect(Number.isFinite(out.appliances.kettle!.power[300]!)).toBe(true);
    const short = await model.disaggregate(sliceSeries(synthetic(1, 4), 0, 10));
    expect(short.appliances.washing_machine!.onProb!.length).toBe(10);
    expect(short.appliances.washing_machine!.onProb!.every((p) => p >= 0 && p <= 1)).toBe(true);
    await model.release();
  });
});
