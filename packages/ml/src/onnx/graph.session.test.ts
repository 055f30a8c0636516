// Proves the runtime side end to end: a tiny encoder trained with AdamW on a synthetic
// disaggregation task drives its loss well down (reproducibly from a seed), weights are read
// live from their arrays, and the exported inference model matches the training forward pass
// and runs at another batch size in a fresh session.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { AdamW, clipGradNorm } from './adamw.optimizer.js';
import { encoderModel } from './encoder.layers.js';
import type { EncoderModelConfig } from './encoder.layers.js';
import { buildTrainingGraph } from './graph.autodiff.js';
import type { TrainingGraph } from './graph.autodiff.js';
import { GraphBuilder } from './graph.builder.js';
import { bindDims, exportInferenceModel } from './graph.export.js';
import { decodeModel, OPSET_VERSION } from './graph.serialize.js';
import { asFloats, createInferenceSession, TrainingSession } from './graph.session.js';
import { bceWithLogitsLoss, mseLoss } from './loss.blocks.js';
import { warmupCosine } from './lr.schedule.js';
import { Random } from './random.generator.js';

const config: EncoderModelConfig = {
  inputChannels: 1,
  length: 32,
  dModel: 16,
  heads: 2,
  layers: 1,
  ffHidden: 32,
  appliances: 2,
  embedKernel: 5,
  dropout: 0.1,
};
const RATED = [1, 2];

/** A model plus MSE(power) + BCE(on/off) loss, differentiated. */
function buildTraining(batch: number, seed: number): TrainingGraph {
  const g = new GraphBuilder({ name: 'tiny_nilm', dims: { batch } });
  const model = encoderModel({ g, rng: new Random(seed) }, config);
  const shape = ['batch', config.length, config.appliances];
  const power = g.input('power_target', shape);
  const on = g.input('on_target', shape);
  const loss = g.output(
    g.add(mseLoss(g, model.power, power), bceWithLogitsLoss(g, model.onLogits, on)),
    'loss',
  );
  return buildTrainingGraph(g.build(), { loss, outputs: [model.power, model.onLogits] });
}

/**
 * Synthetic windows: two appliances with rated power 1 and 2 switch on for random stretches;
 * the input is their sum plus noise, the targets are each appliance's power and state.
 */
function fillBatch(rng: Random, batch: number, feeds: Record<string, Float32Array>): void {
  const { length, appliances } = config;
  const input = feeds.input!;
  const power = feeds.power_target!;
  const on = feeds.on_target!;
  for (let n = 0; n < batch; n++) {
    for (let t = 0; t < length; t++) input[n * length + t] = 0.05 * rng.normal();
    for (let a = 0; a < appliances; a++) {
      const start = rng.int(length);
      const end = Math.min(length, start + 4 + rng.int(12));
      for (let t = 0; t < length; t++) {
        const active = t >= start && t < end ? 1 : 0;
        const k = (n * length + t) * appliances + a;
        on[k] = active;
        power[k] = active * RATED[a]!;
        input[n * length + t]! += active * RATED[a]!;
      }
    }
  }
}

function allocateFeeds(batch: number): Record<string, Float32Array> {
  const size = batch * config.length * config.appliances;
  return {
    input: new Float32Array(batch * config.length),
    power_target: new Float32Array(size),
    on_target: new Float32Array(size),
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
  it('drives the loss of a tiny encoder well down in 300 AdamW steps', async () => {
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
    const bias = training.params.find((p) => p.name === 'power_head.bias')!;
    // Moving the (zero-initialised) power-head bias to 1e-3 changes the loss by about 1e-3
    // times the sum of its gradient, which only happens if the run read the new values.
    const grad = Float64Array.from((await session.run(all)).grads.get(bias.name)!);
    bias.data.fill(1e-3);
    const after = (await session.run(all)).loss;
    const predicted = 1e-3 * (grad[0]! + grad[1]!);
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
      loss: 'loss',
      outputs: ['power', 'on_logits'],
    });
    const session = await TrainingSession.create(b4);
    const feeds = allocateFeeds(batch);
    fillBatch(new Random(99), batch, feeds);
    const step = await session.run({ ...feeds, ...session.dropoutFeeds() });
    const expectedPower = Float32Array.from(asFloats(step.outputs.get('power')));
    const expectedOn = Float32Array.from(asFloats(step.outputs.get('on_logits')));

    const bytes = exportInferenceModel(forward, ['power', 'on_logits']);
    const model = decodeModel(bytes);
    const inputs = model.graph?.input ?? [];
    expect(Number(model.opsetImport[0]?.version)).toBe(OPSET_VERSION);
    expect(inputs.map((i) => i.name)).toEqual(['input']);
    expect(inputs[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam).toBe('batch');
    expect((model.graph?.output ?? []).map((o) => o.name)).toEqual(['power', 'on_logits']);

    const inference = await createInferenceSession(bytes);
    const run = async (n: number): Promise<[Float32Array, Float32Array]> => {
      const x = feeds.input!.subarray(0, n * config.length);
      const out = await inference.run({
        input: new ort.Tensor('float32', x, [n, 1, config.length]),
      });
      return [out.power!.data as Float32Array, out.on_logits!.data as Float32Array];
    };
    const maxDiff = (a: Float32Array, b: Float32Array): number =>
      a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

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
