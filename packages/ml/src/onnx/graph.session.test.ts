// Proves the runtime side end to end on a tiny configuration of the shipped transformer: trained
// with AdamW on a synthetic disaggregation task it drives its loss well down (reproducibly from
// a seed), weights are read live from their arrays, and the exported inference model matches
// the training forward pass and runs at another batch size in a fresh session.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ArchitectureSchema } from '../transformer/transformer.config.js';
import {
  buildTransformerGraph,
  INPUT_MAINS,
  INPUT_TARGET_MASK,
  INPUT_TARGET_ON,
  INPUT_TARGET_POWER,
  OUTPUT_LOSS,
  OUTPUT_ON_PROB,
  OUTPUT_POWER,
} from '../transformer/transformer.graph.js';
import { AdamW, clipGradNorm } from './adamw.optimizer.js';
import { buildTrainingGraph } from './graph.autodiff.js';
import type { TrainingGraph } from './graph.autodiff.js';
import { bindDims, exportInferenceModel } from './graph.export.js';
import { decodeModel, OPSET_VERSION } from './graph.serialize.js';
import { asFloats, createInferenceSession, TrainingSession } from './graph.session.js';
import { warmupCosine } from './lr.schedule.js';
import { Random } from './random.generator.js';

const spec = {
  arch: ArchitectureSchema.parse({
    periodS: 60,
    window: 32,
    patch: 2,
    dModel: 16,
    heads: 2,
    layers: 1,
    ffDim: 32,
    headHidden: 16,
    kernel: 5,
    dropout: 0.1,
    inputScaleW: 1000,
  }),
  appliances: ['kettle', 'microwave'],
  powerScaleW: [1000, 2000],
};
const LENGTH = spec.arch.window;
const APPLIANCES = spec.appliances.length;
/** Rated power of the two synthetic appliances, W. */
const RATED = [1000, 2000];

/** The transformer plus its training loss, differentiated. */
function buildTraining(batch: number, seed: number): TrainingGraph {
  const built = buildTransformerGraph(spec, { batch, seed, loss: { bce: 1, posWeight: [1, 1] } });
  return buildTrainingGraph(built.graph, {
    loss: built.loss!,
    outputs: [built.power, built.onProb],
  });
}

/**
 * Synthetic windows: two appliances with rated power 1 and 2 kW switch on for random stretches;
 * the mains are their sum plus a noisy 50 W baseload, the targets each appliance's power and state.
 */
function fillBatch(rng: Random, batch: number, feeds: Record<string, Float32Array>): void {
  const mains = feeds[INPUT_MAINS]!;
  const power = feeds[INPUT_TARGET_POWER]!;
  const on = feeds[INPUT_TARGET_ON]!;
  for (let n = 0; n < batch; n++) {
    for (let t = 0; t < LENGTH; t++) mains[n * LENGTH + t] = 50 + 5 * rng.normal();
    for (let a = 0; a < APPLIANCES; a++) {
      const start = rng.int(LENGTH);
      const end = Math.min(LENGTH, start + 4 + rng.int(12));
      for (let t = 0; t < LENGTH; t++) {
        const active = t >= start && t < end ? 1 : 0;
        const k = (n * APPLIANCES + a) * LENGTH + t;
        on[k] = active;
        power[k] = active * RATED[a]!;
        mains[n * LENGTH + t]! += active * RATED[a]!;
      }
    }
  }
}

function allocateFeeds(batch: number): Record<string, Float32Array> {
  const size = batch * LENGTH * APPLIANCES;
  return {
    [INPUT_MAINS]: new Float32Array(batch * LENGTH),
    [INPUT_TARGET_POWER]: new Float32Array(size),
    [INPUT_TARGET_ON]: new Float32Array(size),
    [INPUT_TARGET_MASK]: new Float32Array(size).fill(1),
  };
}

async function train(
  steps: number,
  seed: number,
): Promise<{ losses: number[]; training: TrainingGraph; session: TrainingSession }> {
  const batch = 16;
  const training = buildTraining(batch, seed);
  const session = await TrainingSession.create(training);
  const opt = new AdamW(training.params, { weightDecay: 0.01 });
  const lr = warmupCosine({
    peakLr: 3e-3,
    warmupSteps: Math.min(20, steps),
    totalSteps: steps,
    minLr: 3e-4,
  });
  const rng = new Random(seed + 1);
  const feeds = allocateFeeds(batch);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    fillBatch(rng, batch, feeds);
    const result = await session.run({ ...feeds, ...session.dropoutFeeds(rng) });
    losses.push(result.loss);
    clipGradNorm(result.grads, 1);
    opt.step(result.grads, lr(step));
  }
  return { losses, training, session };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('training', () => {
  it('drives the loss of a tiny transformer well down in 300 AdamW steps', async () => {
    const { losses, session } = await train(300, 11);
    const first = mean(losses.slice(0, 10));
    const last = mean(losses.slice(-20));
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(last).toBeLessThan(0.1 * first);
    await session.release();
  });

  it('is reproducible from the seed', async () => {
    const a = await train(15, 5);
    const b = await train(15, 5);
    expect(b.losses).toEqual(a.losses);
    await a.session.release();
    await b.session.release();
  });

  it('reads weights live from the parameter arrays on every run', async () => {
    const training = buildTraining(2, 3);
    const session = await TrainingSession.create(training);
    const feeds = allocateFeeds(2);
    fillBatch(new Random(4), 2, feeds);
    const all = { ...feeds, ...session.dropoutFeeds() };
    const before = (await session.run(all)).loss;
    const bias = training.params.find((p) => p.name === 'head.b2')!;
    // Moving the power and logit biases of the heads by 1e-3 changes the loss by about 1e-3
    // times the sum of their gradient, which only happens if the run read the new values.
    const grad = Float64Array.from((await session.run(all)).grads.get(bias.name)!);
    for (let i = 0; i < bias.data.length; i++) bias.data[i]! += 1e-3;
    const after = (await session.run(all)).loss;
    const predicted = 1e-3 * grad.reduce((a, b) => a + b, 0);
    expect(Math.abs(predicted)).toBeGreaterThan(1e-4);
    expect(Math.abs(after - before - predicted)).toBeLessThan(0.01 * Math.abs(predicted));
    await session.release();
  });
});

describe('inference export', () => {
  it('matches the training forward pass and accepts another batch size', async () => {
    const batch = 4;
    // Train a little at batch 16, then re-bind the symbolic batch of the same forward graph
    // (same live weight arrays) to 4 for the reference forward pass.
    const trained = await train(10, 21);
    await trained.session.release();
    const forward = trained.training.forward;
    const b4 = buildTrainingGraph(bindDims(forward, { batch }), {
      loss: OUTPUT_LOSS,
      outputs: [OUTPUT_POWER, OUTPUT_ON_PROB],
    });
    const session = await TrainingSession.create(b4);
    const feeds = allocateFeeds(batch);
    fillBatch(new Random(99), batch, feeds);
    const step = await session.run({ ...feeds, ...session.dropoutFeeds() });
    const expectedPower = Float32Array.from(asFloats(step.outputs.get(OUTPUT_POWER)));
    const expectedOn = Float32Array.from(asFloats(step.outputs.get(OUTPUT_ON_PROB)));

    const bytes = exportInferenceModel(forward, [OUTPUT_POWER, OUTPUT_ON_PROB]);
    const model = decodeModel(bytes);
    const inputs = model.graph?.input ?? [];
    expect(Number(model.opsetImport[0]?.version)).toBe(OPSET_VERSION);
    expect(inputs.map((i) => i.name)).toEqual([INPUT_MAINS]);
    expect(inputs[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam).toBe('batch');
    expect((model.graph?.output ?? []).map((o) => o.name)).toEqual([OUTPUT_POWER, OUTPUT_ON_PROB]);

    const inference = await createInferenceSession(bytes);
    const run = async (n: number): Promise<[Float32Array, Float32Array]> => {
      const x = feeds[INPUT_MAINS]!.subarray(0, n * LENGTH);
      const out = await inference.run({ [INPUT_MAINS]: new ort.Tensor('float32', x, [n, LENGTH]) });
      return [out[OUTPUT_POWER]!.data as Float32Array, out[OUTPUT_ON_PROB]!.data as Float32Array];
    };
    // Power is in W (up to kW), so float32 rounding is compared relative to the value.
    const maxDiff = (a: Float32Array, b: Float32Array): number =>
      a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!) / Math.max(1, Math.abs(b[i]!))), 0);

    const [power4, on4] = await run(4);
    expect(power4.length).toBe(expectedPower.length);
    expect(maxDiff(power4, expectedPower)).toBeLessThanOrEqual(1e-5);
    expect(maxDiff(on4, expectedOn)).toBeLessThanOrEqual(1e-5);

    const [power3, on3] = await run(3);
    expect(power3.length).toBe((3 * expectedPower.length) / 4);
    expect(maxDiff(power3, expectedPower.subarray(0, power3.length))).toBeLessThanOrEqual(1e-5);
    expect(maxDiff(on3, expectedOn.subarray(0, on3.length))).toBeLessThanOrEqual(1e-5);
    await inference.release();
    await session.release();
  });
});
