/**
 * Speed of the transformer on this machine: inference windows/s through the exported ONNX
 * model at batch 64, and full training steps (forward+backward graph, dropout masks, gradient
 * clipping, AdamW) at batch 32, each timed over a fixed wall-clock budget after a warm-up.
 * FLOPs are counted analytically (transformer.flops.ts); training is taken as 3x a forward.
 */
import * as ort from 'onnxruntime-node';
import { AdamW, clipGradNorm } from '../onnx/adamw.optimizer.js';
import { buildTrainingGraph } from '../onnx/graph.autodiff.js';
import { exportInferenceModel } from '../onnx/graph.export.js';
import { TrainingSession } from '../onnx/graph.session.js';
import { fillDropoutMask, Random } from '../onnx/random.generator.js';
import type { Architecture } from './transformer.config.js';
import { forwardFlops } from './transformer.flops.js';
import {
  buildTransformerGraph,
  INPUT_MAINS,
  INPUT_TARGET_MASK,
  INPUT_TARGET_ON,
  INPUT_TARGET_POWER,
} from './transformer.graph.js';

export interface BenchResult {
  architecture: Architecture;
  appliances: number;
  parameters: number;
  gflop_per_window: number;
  inference: { batch: number; windows_per_s: number; gflop_per_s: number; ms_per_batch: number };
  training: { batch: number; windows_per_s: number; gflop_per_s: number; ms_per_step: number };
  threads: number;
}

async function timed(
  seconds: number,
  warmup: number,
  fn: () => Promise<void>,
): Promise<{ runs: number; s: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const t0 = performance.now();
  let runs = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await fn();
    runs++;
  }
  return { runs, s: (performance.now() - t0) / 1000 };
}

/** Synthetic mains: a baseload with random appliance-like steps (values only matter for realism). */
function fillMains(rng: Random, out: Float32Array): void {
  let level = 300;
  for (let i = 0; i < out.length; i++) {
    if (rng.uniform() < 0.02) level = 150 + rng.uniform() * 3000;
    out[i] = level + rng.normal() * 20;
  }
}

/** Measure inference and training speed of `arch` with `appliances` heads. */
export async function benchTransformer(
  arch: Architecture,
  appliances = 4,
  opts: { seconds?: number; threads?: number } = {},
): Promise<BenchResult> {
  const seconds = opts.seconds ?? 10;
  const threads = opts.threads ?? 2;
  const names = Array.from({ length: appliances }, (_, i) => `appliance${i}`);
  const spec = { arch, appliances: names, powerScaleW: names.map(() => 2000) };
  const rng = new Random(7);
  const L = arch.window;
  const flops = forwardFlops(arch, appliances);

  // Inference: the exported standalone model, as the engine runs it.
  const inf = buildTransformerGraph(spec, { seed: 1 });
  const bytes = exportInferenceModel(inf.graph, [inf.power, inf.onProb]);
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const IB = 64;
  const mains = new Float32Array(IB * L);
  fillMains(rng, mains);
  const input = new ort.Tensor('float32', mains, [IB, L]);
  const ti = await timed(seconds, 3, async () => {
    await session.run({ [INPUT_MAINS]: input });
  });
  await session.release();
  const infWps = (ti.runs * IB) / ti.s;

  // Training: the full step the trainer takes.
  const TB = 32;
  const built = buildTransformerGraph(spec, {
    batch: TB,
    seed: 1,
    loss: { bce: 1, posWeight: names.map(() => 5) },
  });
  const training = buildTrainingGraph(built.graph, { loss: built.loss! });
  const ts = await TrainingSession.create(training, { intraOpNumThreads: threads });
  const optimizer = new AdamW(
    training.params.map((p) => ({ name: p.name, data: p.data, decay: p.decay })),
    { lr: 1e-4 },
  );
  const feeds: Record<string, Float32Array> = {
    [INPUT_MAINS]: new Float32Array(TB * L),
    [INPUT_TARGET_POWER]: new Float32Array(TB * appliances * L),
    [INPUT_TARGET_ON]: new Float32Array(TB * appliances * L),
    [INPUT_TARGET_MASK]: new Float32Array(TB * appliances * L).fill(1),
  };
  fillMains(rng, feeds[INPUT_MAINS]!);
  for (let i = 0; i < feeds[INPUT_TARGET_ON]!.length; i++) {
    const on = rng.uniform() < 0.2 ? 1 : 0;
    feeds[INPUT_TARGET_ON]![i] = on;
    feeds[INPUT_TARGET_POWER]![i] = on * 1500;
  }
  const masks = ts.inputs.filter((i) => i.name.endsWith('.mask'));
  for (const m of masks)
    feeds[m.name] = new Float32Array(m.shape.reduce<number>((a, d) => a * (d as number), 1));
  const tt = await timed(seconds, 2, async () => {
    for (const m of masks) fillDropoutMask(rng, feeds[m.name]!, arch.dropout);
    const step = await ts.run(feeds);
    clipGradNorm(step.grads, 1);
    optimizer.step(step.grads);
  });
  await ts.release();
  const trainWps = (tt.runs * TB) / tt.s;
  return {
    architecture: arch,
    appliances,
    parameters: training.params.reduce((a, p) => a + p.data.length, 0),
    gflop_per_window: flops / 1e9,
    inference: {
      batch: IB,
      windows_per_s: infWps,
      gflop_per_s: (infWps * flops) / 1e9,
      ms_per_batch: (ti.s * 1000) / ti.runs,
    },
    training: {
      batch: TB,
      windows_per_s: trainWps,
      gflop_per_s: (3 * trainWps * flops) / 1e9,
      ms_per_step: (tt.s * 1000) / tt.runs,
    },
    threads,
  };
}
