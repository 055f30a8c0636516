// Proves the whole shipped architecture differentiates correctly: on a tiny configuration of the
// transformer graph (features, conv embedding, learned positions, two pre-norm attention layers
// with dropout, stacked per-appliance heads, power gating and the full training loss), every
// analytic gradient element matches central finite differences of the loss.
import { describe, expect, it } from 'vitest';
import { checkGradients } from '../onnx/gradient.check.js';
import { fillDropoutMask, Random } from '../onnx/random.generator.js';
import { ArchitectureSchema } from './transformer.config.js';
import {
  buildTransformerGraph,
  INPUT_MAINS,
  INPUT_TARGET_MASK,
  INPUT_TARGET_ON,
  INPUT_TARGET_POWER,
} from './transformer.graph.js';

const arch = ArchitectureSchema.parse({
  periodS: 60,
  window: 8,
  patch: 2,
  dModel: 4,
  heads: 2,
  layers: 2,
  ffDim: 6,
  headHidden: 4,
  kernel: 3,
  dropout: 0.2,
  inputScaleW: 1000,
});
const B = 2;
const A = 2;
const L = arch.window;
const spec = { arch, appliances: ['kettle', 'dishwasher'], powerScaleW: [2500, 2000] };

describe('whole-model gradient of the shipped transformer', () => {
  it('matches finite differences for every parameter element, dropout on', async () => {
    const built = buildTransformerGraph(spec, {
      batch: B,
      seed: 5,
      loss: { bce: 0.5, posWeight: [4, 2] },
    });
    // Fixed dropout masks (one draw), so the loss is a deterministic function of the weights.
    // Central differences are only valid where the loss is smooth within eps; the loss has kinks
    // (|error|, relu), and the draw of seed 9 puts one 3e-3 from a weight (its differences
    // converge to the analytic value only at eps 1e-3, where float32 noise nearly fills the
    // tolerance), so this draw is one with no kink that close.
    const rng = new Random(10);
    const masks: Record<string, Float32Array> = {};
    for (const input of built.graph.inputs.filter((i) => i.role === 'dropoutMask')) {
      const size = input.shape.reduce<number>((n, d) => n * (typeof d === 'number' ? d : B), 1);
      masks[input.name] = fillDropoutMask(rng, new Float32Array(size), arch.dropout);
    }
    // Attention weights and both residual branches of both layers.
    expect(Object.keys(masks)).toHaveLength(3 * arch.layers);
    const mains = Float32Array.from({ length: B * L }, (_, i) => 200 + ((i * 37) % 11) * 230);
    const on = Float32Array.from({ length: B * A * L }, (_, i) => ((i * 5) % 7 < 3 ? 1 : 0));
    const power = Float32Array.from(on, (o, i) => o * (800 + ((i * 13) % 9) * 150));
    const result = await checkGradients(built.graph, built.loss!, {
      // float32 central differences: eps 3e-3 balances truncation error against rounding noise
      // (worst element at about a quarter of the tolerance); the op tests are stricter.
      eps: 3e-3,
      rtol: 2e-2,
      atol: 2e-4,
      feeds: {
        [INPUT_MAINS]: mains,
        [INPUT_TARGET_POWER]: power,
        [INPUT_TARGET_ON]: on,
        [INPUT_TARGET_MASK]: new Float32Array(B * A * L).fill(1),
        ...masks,
      },
    });
    const params = built.graph.initializers.filter((i) => i.trainable);
    // Every block of the architecture has parameters in the check.
    for (const name of ['embed.pos', 'layer1.attn.q.w', 'layer1.ff2.w', 'final_norm.scale'])
      expect(params.map((p) => p.name)).toContain(name);
    expect(result.checked).toBe(params.reduce((n, p) => n + p.data.length, 0));
    expect(result.failures).toEqual([]);
  }, 300_000);
});
