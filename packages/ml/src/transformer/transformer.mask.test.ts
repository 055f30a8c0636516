// Proves the per-appliance loss mask of the shipped transformer graph (a tiny configuration):
// its gradients match finite differences with a mask that hides whole heads and single
// samples, and a masked head's targets change neither the loss nor any gradient.
import { describe, expect, it } from 'vitest';
import { buildTrainingGraph } from '../onnx/graph.autodiff.js';
import { checkGradients } from '../onnx/gradient.check.js';
import { TrainingSession } from '../onnx/graph.session.js';
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
  layers: 1,
  ffDim: 6,
  headHidden: 4,
  kernel: 3,
  dropout: 0,
  inputScaleW: 1000,
});
const B = 2;
const A = 3;
const L = arch.window;
const spec = {
  arch,
  appliances: ['kettle', 'fridge_freezer', 'ev_charger'],
  powerScaleW: [2500, 150, 7400],
};

function feeds(maskedTargets: number): Record<string, Float32Array> {
  const mains = Float32Array.from({ length: B * L }, (_, i) => 300 + ((i * 53) % 17) * 140);
  const on = Float32Array.from({ length: B * A * L }, (_, i) => ((i * 7) % 5 < 2 ? 1 : 0));
  const power = Float32Array.from(on, (o, i) => o * (500 + ((i * 31) % 13) * 100));
  // Window 0: head 1 (fridge_freezer) unknown; window 1: head 2 unknown, and 3 samples of head 0.
  const mask = new Float32Array(B * A * L).fill(1);
  mask.fill(0, (0 * A + 1) * L, (0 * A + 2) * L);
  mask.fill(0, (1 * A + 2) * L, (1 * A + 3) * L);
  mask.fill(0, (1 * A + 0) * L, (1 * A + 0) * L + 3);
  // Targets under the mask set to an arbitrary value: they must not matter.
  for (let i = 0; i < mask.length; i++)
    if (!mask[i]) {
      power[i] = maskedTargets;
      on[i] = maskedTargets > 0 ? 1 : 0;
    }
  return {
    [INPUT_MAINS]: mains,
    [INPUT_TARGET_POWER]: power,
    [INPUT_TARGET_ON]: on,
    [INPUT_TARGET_MASK]: mask,
  };
}

describe('per-appliance loss mask', () => {
  const built = buildTransformerGraph(spec, {
    batch: B,
    seed: 3,
    loss: { bce: 1, posWeight: [3, 2, 5] },
  });

  it('has gradients that match finite differences with heads and samples masked', async () => {
    // float32 central differences with eps 1e-2: the |error| and relu kinks of the loss put a
    // few elements about 1 % off, so the relative tolerance is 2 % (the op tests are stricter).
    const result = await checkGradients(built.graph, built.loss!, {
      eps: 1e-2,
      rtol: 2e-2,
      atol: 2e-4,
      feeds: feeds(0),
    });
    const params = built.graph.initializers.filter((i) => i.trainable);
    expect(result.checked).toBe(params.reduce((n, p) => n + p.data.length, 0));
    expect(result.failures).toEqual([]);
  });

  it('ignores the targets of masked samples: same loss and gradients', async () => {
    const training = buildTrainingGraph(built.graph, {
      loss: built.loss!,
      outputs: [built.headLoss!],
    });
    const session = await TrainingSession.create(training);
    const a = await session.run(feeds(0));
    const b = await session.run(feeds(3000));
    expect(b.loss).toBeCloseTo(a.loss, 6);
    for (const [name, g] of a.grads) {
      const h = b.grads.get(name)!;
      for (let i = 0; i < g.length; i++) expect(h[i]).toBeCloseTo(g[i]!, 6);
    }
    // An all-unknown batch trains nothing: loss 0 and every gradient 0.
    const none = feeds(0);
    none[INPUT_TARGET_MASK]!.fill(0);
    const c = await session.run(none);
    expect(c.loss).toBe(0);
    for (const g of c.grads.values()) expect(Math.max(...Array.from(g, Math.abs))).toBe(0);
    await session.release();
  });
});
