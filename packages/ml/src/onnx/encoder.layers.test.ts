// Proves the encoder layers produce the documented shapes and that the gradient of a whole
// transformer encoder model (conv embedding, positions, pre-norm attention, GELU feed-forward,
// dropout, two heads, MSE + BCE) matches finite differences for every parameter element.
import { describe, expect, it } from 'vitest';
import { encoderModel, sinusoidalPositions } from './encoder.layers.js';
import type { EncoderModelConfig } from './encoder.layers.js';
import { GraphBuilder } from './graph.builder.js';
import { checkGradients } from './gradient.check.js';
import { bceWithLogitsLoss, mseLoss } from './loss.blocks.js';
import { fillDropoutMask, Random, randomNormal } from './random.generator.js';

const config: EncoderModelConfig = {
  inputChannels: 1,
  length: 8,
  dModel: 8,
  heads: 2,
  layers: 1,
  ffHidden: 16,
  appliances: 2,
  dropout: 0.1,
};

describe('encoder layers', () => {
  it('builds a model whose outputs keep the symbolic batch dim', () => {
    const g = new GraphBuilder({ dims: { batch: 4 } });
    const model = encoderModel({ g, rng: new Random(1) }, { ...config, layers: 2 });
    expect(model.input.shape).toEqual(['batch', 1, 8]);
    expect(model.power.shape).toEqual(['batch', 8, 2]);
    expect(model.onLogits.shape).toEqual(['batch', 8, 2]);
    const graph = g.build();
    const masks = graph.inputs.filter((i) => i.role === 'dropoutMask').map((i) => i.name);
    expect(masks).toEqual([
      'block0.attn_drop.mask',
      'block0.ff_drop.mask',
      'block1.attn_drop.mask',
      'block1.ff_drop.mask',
    ]);
  });

  it('uses the sin/cos position table', () => {
    const t = sinusoidalPositions(4, 6);
    expect(t[0]).toBe(0);
    expect(t[1]).toBe(1);
    expect(t[3 * 6 + 2]).toBeCloseTo(Math.sin(3 / Math.pow(10000, 2 / 6)), 12);
    expect(t[3 * 6 + 5]).toBeCloseTo(Math.cos(3 / Math.pow(10000, 4 / 6)), 12);
  });

  it('rejects a feature size that heads do not divide', () => {
    const g = new GraphBuilder({ dims: { batch: 1 } });
    expect(() => encoderModel({ g, rng: new Random(1) }, { ...config, heads: 3 })).toThrow(/heads/);
  });
});

describe('whole-model gradient', () => {
  it('matches central differences for every parameter of a 1-block encoder (float32)', async () => {
    const batch = 2;
    const g = new GraphBuilder({ dims: { batch } });
    const rng = new Random(7);
    const model = encoderModel({ g, rng }, config);
    const shape = ['batch', config.length, config.appliances];
    const powerTarget = g.input('power_target', shape);
    const onTarget = g.input('on_target', shape);
    const loss = g.output(
      g.add(mseLoss(g, model.power, powerTarget), bceWithLogitsLoss(g, model.onLogits, onTarget)),
      'loss',
    );
    const graph = g.build();
    const size = batch * config.length * config.appliances;
    const feeds: Record<string, Float32Array> = {
      input: randomNormal(rng, batch * config.length, 1),
      power_target: randomNormal(rng, size, 1),
      on_target: Float32Array.from({ length: size }, () => (rng.uniform() < 0.5 ? 1 : 0)),
    };
    for (const input of graph.inputs.filter((i) => i.role === 'dropoutMask')) {
      feeds[input.name] = fillDropoutMask(
        rng,
        new Float32Array(batch * config.length * config.dModel),
        0.1,
      );
    }
    const result = await checkGradients(graph, loss, { eps: 1e-2, rtol: 5e-3, atol: 1e-4, feeds });
    const params = graph.initializers.filter((i) => i.trainable);
    expect(result.checked).toBe(params.reduce((n, p) => n + p.data.length, 0));
    expect(result.failures).toEqual([]);
  });
});
