// The inference model is laid out for ONNX Runtime's fused kernels (linear layers as 2-D
// products with 1-D biases, one pair of them per appliance head) and still computes what the
// training graph computes: the same weights give the same power and on-probabilities, and the
// runtime's own profile shows every linear layer and head run as one Gemm kernel.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportInferenceModel } from '../onnx/graph.export.js';
import { createForwardSession } from '../onnx/graph.session.js';
import { profileKernels } from '../onnx/kernel.profile.js';
import { ArchitectureSchema } from './transformer.config.js';
import {
  buildTransformerGraph,
  INPUT_MAINS,
  OUTPUT_ON_PROB,
  OUTPUT_POWER,
} from './transformer.graph.js';

const arch = ArchitectureSchema.parse({
  periodS: 60,
  window: 32,
  patch: 4,
  dModel: 16,
  heads: 2,
  layers: 2,
  ffDim: 32,
  headHidden: 8,
  kernel: 3,
  dropout: 0.1,
  inputScaleW: 1000,
});
const appliances = ['kettle', 'washing_machine', 'fridge'];
const spec = { arch, appliances, powerScaleW: [2500, 800, 120] };
const calibration = { scale: [1.2, 0.8, 1], offset: [-0.3, 0.1, 0] };
const batch = 3;
const mains = Float32Array.from(
  { length: batch * arch.window },
  (_, i) => 180 + 60 * Math.sin(i / 5) + (i % 32 < 6 ? 2400 : 0) + (i % 11 < 3 ? 450 : 0),
);

describe('inference layout of the transformer', () => {
  it('computes what the training graph computes, from the same weights', async () => {
    // The training graph (with its loss) from a seed; its weights build the inference model.
    const training = buildTransformerGraph(spec, {
      batch,
      seed: 11,
      loss: { bce: 1, posWeight: [5, 5, 5] },
      calibration,
    });
    const weights = new Map(
      training.graph.initializers
        .filter((i) => i.trainable)
        .map((i) => [i.name, i.data as Float32Array]),
    );
    const forward = await createForwardSession(training.graph, [OUTPUT_POWER, OUTPUT_ON_PROB]);
    const want = await forward.run({ [INPUT_MAINS]: mains });
    await forward.release();

    const inference = buildTransformerGraph(spec, { weights, calibration });
    const bytes = exportInferenceModel(inference.graph, [inference.power, inference.onProb]);
    const session = await ort.InferenceSession.create(bytes);
    const got = await session.run({
      [INPUT_MAINS]: new ort.Tensor('float32', mains, [batch, arch.window]),
    });
    await session.release();

    const power = got[OUTPUT_POWER]!.data as Float32Array;
    const onProb = got[OUTPUT_ON_PROB]!.data as Float32Array;
    const wantPower = want.get(OUTPUT_POWER) as Float32Array;
    const wantOn = want.get(OUTPUT_ON_PROB) as Float32Array;
    expect(got[OUTPUT_POWER]!.dims).toEqual([batch, appliances.length, arch.window]);
    expect(power.length).toBe(wantPower.length);
    for (let i = 0; i < power.length; i++) {
      const a = Math.floor(i / arch.window) % appliances.length;
      expect(Math.abs(power[i]! - wantPower[i]!) / spec.powerScaleW[a]!).toBeLessThan(1e-5);
      expect(Math.abs(onProb[i]! - wantOn[i]!)).toBeLessThan(1e-5);
    }
  });

  it('runs every linear layer and every head as one Gemm kernel', async () => {
    const inference = buildTransformerGraph(spec, { seed: 3 });
    const bytes = exportInferenceModel(inference.graph, [inference.power, inference.onProb]);
    const { kernels } = await profileKernels(bytes, {
      [INPUT_MAINS]: { data: mains, dims: [batch, arch.window] },
    });
    const count = (op: string): number => kernels.filter((k) => k.op === op).length;
    // Per encoder layer: q, k, v, out, ff1, ff2; per head: hidden and output layer.
    expect(count('Gemm')).toBe(6 * arch.layers + 2 * appliances.length);
    // The only other products are attention's scores and context, two per layer.
    expect(count('MatMul') + count('FusedMatMul')).toBe(2 * arch.layers);
    // No bias is added in a pass of its own: the Adds left are the positional encoding, the
    // residuals (two per layer) and the post-processing of the outputs.
    expect(count('Add')).toBeLessThanOrEqual(1 + 2 * arch.layers + 3);
  });
});
