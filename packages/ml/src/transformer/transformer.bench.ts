/**
 * Speed of the transformer on this machine: inference windows/s through the exported ONNX
 * model at batch 64, and full training steps (forward+backward graph, dropout masks, gradient
 * clipping, AdamW) at batch 32, each timed over a fixed wall-clock budget after a warm-up.
 * FLOPs are counted analytically (transformer.flops.ts); training is taken as 3x a forward.
 * Each is also given as a share of the runtime's own MatMul peak (one 512 x 512 x 512 product,
 * same threads) measured in the same run: for inference in alternating slices, so that load
 * from other processes falls on both alike (training: against the peak of all slices).
 */
import * as ort from 'onnxruntime-node';
import { AdamW, clipGradNorm } from '../onnx/adamw.optimizer.js';
import { buildTrainingGraph } from '../onnx/graph.autodiff.js';
import { GraphBuilder } from '../onnx/graph.builder.js';
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
  inference: {
    batch: number;
    windows_per_s: number;
    gflop_per_s: number;
    ms_per_batch: number;
    /** Median over 8 alternating slices of model / MatMul-peak GFLOP/s, and their range. */
    of_peak: number;
    of_peak_range: [number, number];
  };
  training: {
    batch: number;
    windows_per_s: number;
    gflop_per_s: number;
    ms_per_step: number;
    of_peak: number;
  };
  /** GFLOP/s of one 512^3 MatMul in the same runtime, same threads, same run. */
  matmul_peak_gflop_per_s: number;
  threads: number;
  /** Resident set size of the process at the end, MiB. */
  rss_mib: number;
}

/** One large square MatMul in ONNX Runtime (the ceiling for this model): a session to time. */
async function matmulPeakSession(
  threads: number,
): Promise<{ run: () => Promise<void>; flop: number; release: () => Promise<void> }> {
  const N = 512;
  const rng = new Random(3);
  const g = new GraphBuilder();
  const a = g.input('a', [N, N]);
  const w = g.param(
    'w',
    [N, N],
    Float32Array.from({ length: N * N }, () => rng.normal()),
  );
  const y = g.output(g.matmul(a, w), 'y');
  const session = await ort.InferenceSession.create(exportInferenceModel(g.build(), [y]), {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const input = new ort.Tensor(
    'float32',
    Float32Array.from({ length: N * N }, () => rng.normal()),
    [N, N],
  );
  return {
    run: async () => {
      await session.run({ a: input });
    },
    flop: 2 * N * N * N,
    release: () => session.release(),
  };
}

/** Middle value (the mean of the two middle ones for an even count). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
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
  const threads = opts.threads ?? 1;
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
  // The model and the MatMul peak alternate in short slices, so that load from other processes
  // falls on both alike; each pair of slices gives one ratio.
  const peakSession = await matmulPeakSession(threads);
  const infer = async (): Promise<void> => {
    await session.run({ [INPUT_MAINS]: input });
  };
  await timed(0, 3, infer);
  await timed(0, 3, peakSession.run);
  const SLICES = 8;
  const ratios: number[] = [];
  const ti = { runs: 0, s: 0 };
  const tp = { runs: 0, s: 0 };
  for (let i = 0; i < SLICES; i++) {
    const inf = await timed(seconds / SLICES, 0, infer);
    const pk = await timed(seconds / SLICES / 2, 0, peakSession.run);
    ti.runs += inf.runs;
    ti.s += inf.s;
    tp.runs += pk.runs;
    tp.s += pk.s;
    ratios.push((inf.runs * IB * flops) / inf.s / ((pk.runs * peakSession.flop) / pk.s));
  }
  await session.release();
  await peakSession.release();
  const infWps = (ti.runs * IB) / ti.s;
  const peak = (tp.runs * peakSession.flop) / tp.s / 1e9;

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
  const infGflops = (infWps * flops) / 1e9;
  const trainGflops = (3 * trainWps * flops) / 1e9;
  return {
    architecture: arch,
    appliances,
    parameters: training.params.reduce((a, p) => a + p.data.length, 0),
    gflop_per_window: flops / 1e9,
    inference: {
      batch: IB,
      windows_per_s: infWps,
      gflop_per_s: infGflops,
      ms_per_batch: (ti.s * 1000) / ti.runs,
      of_peak: median(ratios),
      of_peak_range: [Math.min(...ratios), Math.max(...ratios)],
    },
    training: {
      batch: TB,
      windows_per_s: trainWps,
      gflop_per_s: trainGflops,
      ms_per_step: (tt.s * 1000) / tt.runs,
      of_peak: trainGflops / peak,
    },
    matmul_peak_gflop_per_s: peak,
    threads,
    rss_mib: process.memoryUsage().rss / 2 ** 20,
  };
}
