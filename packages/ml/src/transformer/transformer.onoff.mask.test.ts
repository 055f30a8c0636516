// Proves the on/off-only loss mask of the shipped transformer graph (`target_power_mask`, for
// "this was the <appliance>" labels, a tiny configuration): its gradients match finite
// differences with some samples' power masked; the target power of a power-masked sample
// changes neither the loss nor any gradient, while its on/off target still does.
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
  INPUT_TARGET_POWER_MASK,
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
const A = 2;
const L = arch.window;
const spec = { arch, appliances: ['kettle', 'electric_shower'], powerScaleW: [2500, 9000] };

/** Window 0's shower head and 3 samples of window 1's kettle are labelled on, power unknown. */
function feeds(labelledPower: number, labelledOn = 1): Record<string, Float32Array> {
  const mains = Float32Array.from({ length: B * L }, (_, i) => 300 + ((i * 53) % 17) * 140);
  const on = Float32Array.from({ length: B * A * L }, (_, i) => ((i * 7) % 5 < 2 ? 1 : 0));
  const power = Float32Array.from(on, (o, i) => o * (500 + ((i * 31) % 13) * 100));
  const powerMask = new Float32Array(B * A * L).fill(1);
  powerMask.fill(0, (0 * A + 1) * L, (0 * A + 2) * L);
  powerMask.fill(0, (1 * A + 0) * L, (1 * A + 0) * L + 3);
  for (let i = 0; i < powerMask.length; i++)
    if (!powerMask[i]) {
      power[i] = labelledPower;
      on[i] = labelledOn;
    }
  return {
    [INPUT_MAINS]: mains,
    [INPUT_TARGET_POWER]: power,
    [INPUT_TARGET_ON]: on,
    [INPUT_TARGET_MASK]: new Float32Array(B * A * L).fill(1),
    [INPUT_TARGET_POWER_MASK]: powerMask,
  };
}

describe('on/off-only loss mask', () => {
  const built = buildTransformerGraph(spec, {
    batch: B,
    seed: 3,
    loss: { bce: 1, posWeight: [3, 5] },
    powerMask: true,
  });

  it('has gradients that match finite differences with some samples on/off only', async () => {
    expect(built.graph.inputs.map((i) => i.name)).toContain(INPUT_TARGET_POWER_MASK);
    // float32 central differences: eps 3e-3 as the whole-model check (transformer.gradient.test.ts).
    const result = await checkGradients(built.graph, built.loss!, {
      eps: 3e-3,
      rtol: 2e-2,
      atol: 2e-4,
      feeds: feeds(0),
    });
    const params = built.graph.initializers.filter((i) => i.trainable);
    expect(result.checked).toBe(params.reduce((n, p) => n + p.data.length, 0));
    expect(result.failures).toEqual([]);
  });

  it('ignores the power of on/off-only samples but learns their state', async () => {
    const training = buildTrainingGraph(built.graph, {
      loss: built.loss!,
      outputs: [built.headLoss!],
    });
    const session = await TrainingSession.create(training);
    const a = await session.run(feeds(0));
    const b = await session.run(feeds(7000));
    expect(b.loss).toBeCloseTo(a.loss, 6);
    for (const [name, g] of a.grads) {
      const h = b.grads.get(name)!;
      for (let i = 0; i < g.length; i++) expect(h[i]).toBeCloseTo(g[i]!, 6);
    }
    // Their on/off target still counts: saying "off" there changes the loss.
    const off = await session.run(feeds(0, 0));
    expect(Math.abs(off.loss - a.loss)).toBeGreaterThan(1e-3);
    // A power mask of all ones is the plain loss (the graph without `powerMask`).
    const plain = buildTransformerGraph(spec, {
      batch: B,
      seed: 3,
      loss: { bce: 1, posWeight: [3, 5] },
    });
    const plainSession = await TrainingSession.create(
      buildTrainingGraph(plain.graph, { loss: plain.loss!, outputs: [plain.headLoss!] }),
    );
    const all = feeds(0);
    all[INPUT_TARGET_POWER_MASK]!.fill(1);
    const { [INPUT_TARGET_POWER_MASK]: _unused, ...plainFeeds } = all;
    const p = await plainSession.run(plainFeeds);
    const q = await session.run(all);
    expect(q.loss).toBeCloseTo(p.loss, 6);
    await session.release();
    await plainSession.release();
  });
});
