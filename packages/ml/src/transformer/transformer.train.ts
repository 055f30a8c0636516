/**
 * Training the multi-head transformer from TypeScript: windows come from a disk-backed cache
 * through a balanced, seeded sampler; each step runs our generated forward+backward ONNX graph
 * in ONNX Runtime and AdamW updates the weights in JS. Every epoch is validated, logged as one
 * JSON line, plotted, and checkpointed, so a run can resume and gives the same result for the
 * same seed. The best epoch's weights are exported as a plain `model.onnx` with its card.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { normaliseGroups } from '../data/appliance.groups.js';
import { applianceSpec, canonicalAppliance, onOffStates } from '../data/appliances.js';
import type { Series } from '../data/series.js';
import { WindowCache } from '../data/window.cache.reader.js';
import { writeWindowCache } from '../data/window.cache.writer.js';
import { createBatchBuffers, WindowSampler } from '../data/window.sampler.js';
import { NilmError } from '../errors.js';
import { AdamW, clipGradNorm, type AdamWState } from '../onnx/adamw.optimizer.js';
import { buildTrainingGraph } from '../onnx/graph.autodiff.js';
import { exportInferenceModel } from '../onnx/graph.export.js';
import { createForwardSession, TrainingSession } from '../onnx/graph.session.js';
import { warmupCosine } from '../onnx/lr.schedule.js';
import { fillDropoutMask, Random } from '../onnx/random.generator.js';
import {
  applyIsotonic,
  BAND_EDGES,
  bestF1Threshold,
  isotonicFit,
  LEVEL_FRACTIONS,
  levelOf,
  plattFit,
  residualBandOn,
  type IsotonicMap,
} from './calibration.js';
import { sha256Hex, type ModelCard } from './model.card.js';
import { ArchitectureSchema, type ModelSpec } from './transformer.config.js';
import { forwardFlops } from './transformer.flops.js';
import {
  buildTransformerGraph,
  INPUT_MAINS,
  INPUT_TARGET_MASK,
  INPUT_TARGET_ON,
  INPUT_TARGET_POWER,
  INPUT_TARGET_POWER_MASK,
  OUTPUT_HEAD_LOSS,
  OUTPUT_LOSS,
  OUTPUT_ON_PROB,
  OUTPUT_POWER,
} from './transformer.graph.js';
import { trainingCurvesSvg } from './training.plot.js';

/** Everything a training run needs besides the data, validated once. */
export const TrainSettingsSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash, underscore')
      .default('nilm-transformer'),
    version: z.string().min(1).optional(),
    appliances: z.array(z.string()).min(1),
    /**
     * Heads that stand for several appliances (`appliance.groups.ts`): head -> members. The
     * data's member channels are summed into the head's; the card records the members.
     */
    groups: z.record(z.string(), z.array(z.string())).default({}),
    model: z.unknown().optional(),
    batch: z.number().int().min(1).max(1024).default(32),
    /** Samples between training window starts (default: window / 8). */
    stride: z.number().int().min(1).optional(),
    optimizer: z
      .object({
        lr: z.number().positive().default(1e-3),
        weightDecay: z.number().min(0).default(0.01),
        beta1: z.number().min(0).max(1).default(0.9),
        beta2: z.number().min(0).max(1).default(0.999),
        clipNorm: z.number().positive().default(1),
      })
      .strict()
      .default({ lr: 1e-3, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, clipNorm: 1 }),
    schedule: z
      .object({
        epochs: z.number().int().min(1).default(20),
        stepsPerEpoch: z.number().int().min(1).default(200),
        warmupSteps: z.number().int().min(0).default(100),
        minLr: z.number().min(0).default(1e-5),
      })
      .strict()
      .default({ epochs: 20, stepsPerEpoch: 200, warmupSteps: 100, minLr: 1e-5 }),
    earlyStopping: z
      .object({
        patience: z.number().int().min(1).default(5),
        minDelta: z.number().min(0).default(0),
        /**
         * What "better" means: the validation loss, or the mean of the heads' validation F1
         * (the score users see; the loss mixes power and on/off terms).
         */
        metric: z.enum(['val_loss', 'val_f1']).default('val_loss'),
      })
      .strict()
      .default({ patience: 5, minDelta: 0, metric: 'val_loss' }),
    balance: z
      .object({
        targetOnFraction: z.number().min(0).max(1).default(0.5),
        /**
         * The heads that batch slots target, in turn (default: each head once). A head listed
         * twice gets twice the slots, e.g. to keep heads with much real data from being crowded
         * out by many new ones.
         */
        cycle: z.array(z.string()).optional(),
      })
      .strict()
      .default({ targetOnFraction: 0.5 }),
    loss: z
      .object({ bce: z.number().min(0).default(1), posWeightMax: z.number().min(1).default(10) })
      .strict()
      .default({ bce: 1, posWeightMax: 10 }),
    seed: z.number().int().default(1),
    /** Post-process estimates into runs at inference (`runs.postprocess.ts`); recorded in the card. */
    postprocess: z.boolean().default(false),
    /** Samples between validation window starts (default: window / 4). */
    valStride: z.number().int().min(1).optional(),
    /** Windows per validation pass at most (evenly spread), to bound epoch time. */
    maxValWindows: z.number().int().min(1).default(2000),
  })
  .strict();

export interface TrainData {
  train: Series[];
  val: Series[];
  test?: Series[];
  /** Descriptions of the data for the card (file globs), and its licence. */
  describe: { train: string[]; test?: string[]; licence: string };
}

export interface TrainOptions {
  outDir: string;
  resume?: boolean;
  /** The command that started the run, for the card. */
  command?: string;
  log?: (line: string) => void;
  /** Progress updates (the CLI draws a bar). */
  progress?: (p: {
    epoch: number;
    epochs: number;
    step: number;
    steps: number;
    loss: number;
    lr: number;
    windowsPerS: number;
    etaS: number;
  }) => void;
  /** Stop (checkpointed, resumable) after this epoch; used to test resuming. */
  stopAfterEpoch?: number;
  /** Extra scores for the card's test section (e.g. baselines), computed by the caller. */
  evaluateTest?: (bytes: Uint8Array, card: ModelCard) => Promise<ModelCard['test']>;
}

export interface EpochLog {
  epoch: number;
  step: number;
  lr: number;
  train_loss: number;
  val_loss: number;
  val_head_loss: Record<string, number>;
  val_f1: Record<string, number | null>;
  val_mae_w: Record<string, number>;
  /** Per validation house (series source): per head it meters, F1 at 0.5 and MAE W. */
  val_houses: Record<string, Record<string, { f1: number | null; mae_w: number }>>;
  windows_per_s: number;
  seconds: number;
}

export interface TrainResult {
  modelDir: string;
  card: ModelCard;
  history: EpochLog[];
}

interface CheckpointState {
  epoch: number;
  step: number;
  bestEpoch: number;
  /** Best monitored value so far (lower is better; see earlyStopping.metric). */
  bestValLoss: number;
  badEpochs: number;
  history: EpochLog[];
  posWeight: number[];
  powerScaleW: number[];
  seconds: number;
}

/** Power that a head's output 1.0 stands for: a high percentile of the appliance when on. */
export function powerScale(series: readonly Series[], name: string): number {
  const rule = applianceSpec(name);
  const on: number[] = [];
  for (const s of series) {
    const p = s.appliances[name];
    if (!p) continue;
    const st = onOffStates(p, s.periodS, rule);
    for (let i = 0; i < p.length; i++) if (st[i] && Number.isFinite(p[i])) on.push(p[i]!);
  }
  if (on.length === 0)
    throw new NilmError(
      'DATA_EMPTY',
      `"${name}" is never on in the training data; it cannot be learned`,
    );
  on.sort((a, b) => a - b);
  return Math.max(100, Math.round(on[Math.min(on.length - 1, Math.floor(on.length * 0.99))]!));
}

export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}

export function packParams(
  params: ReadonlyArray<{ data: Float32Array | Float64Array }>,
): Uint8Array {
  const total = params.reduce((a, p) => a + p.data.length, 0);
  const out = new Float32Array(total);
  let o = 0;
  for (const p of params) {
    out.set(p.data, o);
    o += p.data.length;
  }
  return new Uint8Array(out.buffer);
}

export function unpackParams(
  bytes: Uint8Array,
  params: ReadonlyArray<{ name: string; data: Float32Array | Float64Array }>,
): void {
  const all = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const total = params.reduce((a, p) => a + p.data.length, 0);
  if (all.length !== total)
    throw new NilmError(
      'MODEL_FILE_INVALID',
      `checkpoint holds ${all.length} weights, the model has ${total}; was the config changed?`,
    );
  let o = 0;
  for (const p of params) {
    p.data.set(all.subarray(o, o + p.data.length));
    o += p.data.length;
  }
}

export function packAdam(state: AdamWState, names: readonly string[]): Uint8Array {
  const parts = names.flatMap((n) => [state.m[n]!, state.v[n]!]);
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float64Array(total + 1);
  out[0] = state.step;
  let o = 1;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return new Uint8Array(out.buffer);
}

export function unpackAdam(
  bytes: Uint8Array,
  params: ReadonlyArray<{ name: string; data: { length: number } }>,
): AdamWState {
  const all = new Float64Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const m: Record<string, Float64Array> = {};
  const v: Record<string, Float64Array> = {};
  let o = 1;
  for (const p of params) {
    m[p.name] = all.slice(o, o + p.data.length);
    o += p.data.length;
    v[p.name] = all.slice(o, o + p.data.length);
    o += p.data.length;
  }
  if (o !== all.length)
    throw new NilmError(
      'MODEL_FILE_INVALID',
      'optimizer checkpoint does not match the model; was the config changed?',
    );
  return { step: all[0]!, m, v };
}

/** Train, validate every epoch, checkpoint, and export the best epoch as a model directory. */
export async function trainTransformer(
  settingsIn: unknown,
  data: TrainData,
  opts: TrainOptions,
): Promise<TrainResult> {
  const parsed = TrainSettingsSchema.safeParse(settingsIn);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new NilmError(
      'CONFIG_INVALID',
      `training config: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const cfg = parsed.data;
  const archParsed = ArchitectureSchema.safeParse(cfg.model ?? {});
  if (!archParsed.success) {
    const issue = archParsed.error.issues[0]!;
    throw new NilmError(
      'CONFIG_INVALID',
      `training config: model.${issue.path.join('.')}: ${issue.message}`,
    );
  }
  const arch = archParsed.data;
  const appliances = cfg.appliances.map(canonicalAppliance);
  const log = opts.log ?? ((): void => undefined);
  for (const [what, list] of [
    ['train', data.train],
    ['val', data.val],
  ] as const) {
    if (list.length === 0) throw new NilmError('DATA_EMPTY', `no ${what} data`);
    for (const s of list) {
      if (s.periodS !== arch.periodS)
        throw new NilmError(
          'DATA_MISMATCH',
          `${what} series ${s.source} has period ${s.periodS} s, the model ${arch.periodS} s`,
        );
    }
  }
  // A house without a sub-meter for an appliance trains the other heads (its loss is masked),
  // but every head needs some house that meters it.
  for (const a of appliances)
    if (!data.train.some((s) => s.appliances[a]))
      throw new NilmError(
        'DATA_MISSING_COLUMN',
        `no training series has a "${a}" sub-meter; add a house that meters it, or mix it in (data.mix)`,
      );
  const L = arch.window;
  const A = appliances.length;
  const B = cfg.batch;
  await mkdir(join(opts.outDir, 'checkpoint'), { recursive: true });
  const ckptDir = join(opts.outDir, 'checkpoint');
  const resuming = !!opts.resume && existsSync(join(ckptDir, 'state.json'));
  if (!opts.resume && existsSync(join(ckptDir, 'state.json'))) {
    throw new NilmError(
      'CONFIG_INVALID',
      `${opts.outDir} already holds a run; pass --resume to continue it or choose another --out`,
    );
  }
  let state: CheckpointState | undefined = resuming
    ? (JSON.parse(await readFile(join(ckptDir, 'state.json'), 'utf8')) as CheckpointState)
    : undefined;

  // Window caches on disk: training reads windows by offset, never the whole set in memory.
  const trainCachePath = join(opts.outDir, 'cache', 'train.win');
  const valCachePath = join(opts.outDir, 'cache', 'val.win');
  await mkdir(join(opts.outDir, 'cache'), { recursive: true });
  if (!resuming || !existsSync(trainCachePath))
    await writeWindowCache(trainCachePath, data.train, {
      appliances,
      periodS: arch.periodS,
      allowMissing: true,
    });
  if (!resuming || !existsSync(valCachePath))
    await writeWindowCache(valCachePath, data.val, {
      appliances,
      periodS: arch.periodS,
      allowMissing: true,
    });
  const trainCache = WindowCache.open(trainCachePath);
  const valCache = WindowCache.open(valCachePath);
  const stride = cfg.stride ?? Math.max(1, Math.floor(L / 8));
  const sampler = new WindowSampler(trainCache, { length: L, stride, appliances });
  const valSampler = new WindowSampler(valCache, {
    length: L,
    stride: cfg.valStride ?? Math.max(1, Math.floor(L / 4)),
    appliances,
  });
  if (sampler.windowCount === 0)
    throw new NilmError('DATA_EMPTY', `the training data has no gap-free window of ${L} samples`);
  if (valSampler.windowCount === 0)
    throw new NilmError('DATA_EMPTY', `the validation data has no gap-free window of ${L} samples`);
  log(
    `windows: ${sampler.windowCount} train (stride ${stride}), ${valSampler.windowCount} validation`,
  );

  const powerScaleW = state?.powerScaleW ?? appliances.map((a) => powerScale(data.train, a));
  const buffers = createBatchBuffers(B, L, A);
  // Positive weights from the on-fraction of balanced batches, so the cross-entropy is not
  // dominated by "off" even after balancing.
  let posWeight = state?.posWeight;
  if (!posWeight) {
    const probe = sampler.random({
      seed: cfg.seed,
      balance: {
        targetOnFraction: cfg.balance.targetOnFraction,
        appliances: cfg.balance.cycle?.map(canonicalAppliance),
      },
    });
    const on = new Float64Array(A);
    const seen = new Float64Array(A);
    for (let k = 0; k < 20; k++) {
      probe.fill(buffers);
      for (let b = 0; b < B; b++)
        for (let a = 0; a < A; a++)
          for (let t = 0; t < L; t++) {
            const i = (b * A + a) * L + t;
            on[a] += buffers.onOff[i]! * buffers.known[i]!;
            seen[a] += buffers.known[i]!;
          }
    }
    posWeight = Array.from(on, (c, a) => {
      const f = seen[a]! > 0 ? c / seen[a]! : 0;
      return f <= 0
        ? cfg.loss.posWeightMax
        : Math.min(cfg.loss.posWeightMax, Math.max(1, (1 - f) / f));
    });
  }
  log(
    `power scales ${appliances.map((a, i) => `${a} ${powerScaleW[i]} W`).join(', ')}; positive weights ${posWeight.map((w) => w.toFixed(1)).join(', ')}`,
  );

  const spec: ModelSpec = { arch, appliances, powerScaleW };
  const built = buildTransformerGraph(spec, {
    batch: B,
    seed: cfg.seed,
    loss: { bce: cfg.loss.bce, posWeight },
  });
  const training = buildTrainingGraph(built.graph, {
    loss: built.loss!,
    outputs: [built.headLoss!],
  });
  const session = await TrainingSession.create(training);
  const evalSession = await createForwardSession(built.graph, [
    OUTPUT_LOSS,
    OUTPUT_HEAD_LOSS,
    OUTPUT_POWER,
    OUTPUT_ON_PROB,
  ]);
  const params = training.params;
  const optimizer = new AdamW(
    params.map((p) => ({ name: p.name, data: p.data, decay: p.decay })),
    {
      lr: cfg.optimizer.lr,
      weightDecay: cfg.optimizer.weightDecay,
      beta1: cfg.optimizer.beta1,
      beta2: cfg.optimizer.beta2,
    },
  );
  const totalSteps = cfg.schedule.epochs * cfg.schedule.stepsPerEpoch;
  const lrAt = warmupCosine({
    peakLr: cfg.optimizer.lr,
    warmupSteps: Math.min(cfg.schedule.warmupSteps, totalSteps),
    totalSteps,
    minLr: Math.min(cfg.schedule.minLr, cfg.optimizer.lr),
  });
  if (state) {
    unpackParams(await readFile(join(ckptDir, 'params.bin')), params);
    optimizer.load(unpackAdam(await readFile(join(ckptDir, 'adam.bin')), params));
    log(`resuming after epoch ${state.epoch} (step ${state.step})`);
  }
  state ??= {
    epoch: 0,
    step: 0,
    bestEpoch: 0,
    bestValLoss: Infinity,
    badEpochs: 0,
    history: [],
    posWeight,
    powerScaleW,
    seconds: 0,
  };

  const maskInputs = session.inputs.filter((i) => i.name.endsWith('.mask'));
  const masks: Record<string, Float32Array> = {};
  for (const m of maskInputs)
    masks[m.name] = new Float32Array(m.shape.reduce<number>((a, d) => a * (d as number), 1));
  const feeds = {
    [INPUT_MAINS]: buffers.mains,
    [INPUT_TARGET_POWER]: buffers.power,
    [INPUT_TARGET_ON]: buffers.onOff,
    [INPUT_TARGET_MASK]: buffers.known,
    ...masks,
  };

  const valIds = Array.from(
    { length: Math.min(valSampler.windowCount, cfg.maxValWindows) },
    (_, k) =>
      Math.floor(
        (k * valSampler.windowCount) / Math.min(valSampler.windowCount, cfg.maxValWindows),
      ),
  );
  const houses = data.val.map((s) => s.source);
  const validate = async (): Promise<
    Pick<EpochLog, 'val_loss' | 'val_head_loss' | 'val_f1' | 'val_mae_w' | 'val_houses'>
  > => {
    let lossSum = 0;
    const headSum = new Float64Array(A);
    // Per house (cache segment) and head: |error| sum, known samples, tp, fp, fn.
    const H = houses.length;
    const absErr = new Float64Array(H * A);
    const count = new Float64Array(H * A);
    const tp = new Float64Array(H * A);
    const fp = new Float64Array(H * A);
    const fn = new Float64Array(H * A);
    let batches = 0;
    // The repeats that top up the last batch count in the loss with the batch's share, not in
    // the JS metrics.
    await forEachValidationBatch(evalSession, valSampler, valIds, buffers, B, (out, real) => {
      const share = real / B;
      lossSum += share * Number(out.get(OUTPUT_LOSS)![0]);
      const hl = out.get(OUTPUT_HEAD_LOSS)! as Float32Array;
      for (let a = 0; a < A; a++) headSum[a] += share * hl[a]!;
      const power = out.get(OUTPUT_POWER)! as Float32Array;
      const onProb = out.get(OUTPUT_ON_PROB)! as Float32Array;
      for (let i = 0; i < real * A * L; i++) {
        if (!buffers.known[i]) continue;
        const a = Math.floor(i / L) % A;
        const hAt = valSampler.segmentOf(buffers.windowIds[Math.floor(i / (A * L))]!) * A + a;
        absErr[hAt] += Math.abs(power[i]! - buffers.power[i]!);
        count[hAt]++;
        const p = onProb[i]! >= 0.5;
        const t = buffers.onOff[i]! >= 0.5;
        if (p && t) tp[hAt]++;
        else if (p) fp[hAt]++;
        else if (t) fn[hAt]++;
      }
      batches += share;
    });
    const f1Of = (t: number, p: number, n: number): number | null =>
      2 * t + p + n === 0 ? null : (2 * t) / (2 * t + p + n);
    const sumOver = (x: Float64Array, a: number): number => {
      let v = 0;
      for (let h = 0; h < H; h++) v += x[h * A + a]!;
      return v;
    };
    const byName = <T>(f: (a: number) => T): Record<string, T> =>
      Object.fromEntries(appliances.map((n, a) => [n, f(a)]));
    const val_houses: EpochLog['val_houses'] = {};
    houses.forEach((src, h) => {
      const scores: Record<string, { f1: number | null; mae_w: number }> = {};
      appliances.forEach((n, a) => {
        const j = h * A + a;
        if (count[j]! > 0)
          scores[n] = { f1: f1Of(tp[j]!, fp[j]!, fn[j]!), mae_w: absErr[j]! / count[j]! };
      });
      if (Object.keys(scores).length > 0) val_houses[src] = scores;
    });
    return {
      val_loss: batches ? lossSum / batches : NaN,
      val_head_loss: byName((a) => (batches ? headSum[a]! / batches : NaN)),
      val_f1: byName((a) => f1Of(sumOver(tp, a), sumOver(fp, a), sumOver(fn, a))),
      val_mae_w: byName((a) => {
        const c = sumOver(count, a);
        return c ? sumOver(absErr, a) / c : NaN;
      }),
      val_houses,
    };
  };

  const metricsPath = join(opts.outDir, 'metrics.jsonl');
  if (!resuming) await writeFile(metricsPath, '');
  for (let epoch = state.epoch + 1; epoch <= cfg.schedule.epochs; epoch++) {
    if (state.badEpochs >= cfg.earlyStopping.patience) break;
    if (opts.stopAfterEpoch !== undefined && epoch > opts.stopAfterEpoch) break;
    const t0 = performance.now();
    // Seeds derive from (seed, epoch): a resumed run draws exactly the batches it would have.
    const batches = sampler.random({
      seed: cfg.seed * 100_003 + epoch,
      balance: {
        targetOnFraction: cfg.balance.targetOnFraction,
        appliances: cfg.balance.cycle?.map(canonicalAppliance),
      },
    });
    const rng = new Random(cfg.seed * 7919 + epoch);
    let lossSum = 0;
    for (let s = 0; s < cfg.schedule.stepsPerEpoch; s++) {
      batches.fill(buffers);
      for (const m of maskInputs) fillDropoutMask(rng, masks[m.name]!, arch.dropout);
      const step = await session.run(feeds);
      if (!Number.isFinite(step.loss))
        throw new NilmError(
          'CONFIG_INVALID',
          `training diverged at epoch ${epoch} step ${s} (loss ${step.loss}); lower optimizer.lr`,
        );
      clipGradNorm(step.grads, cfg.optimizer.clipNorm);
      const lr = lrAt(state.step);
      optimizer.step(step.grads, lr);
      state.step++;
      lossSum += step.loss;
      const elapsed = (performance.now() - t0) / 1000;
      const wps = ((s + 1) * B) / elapsed;
      const stepsLeft =
        (cfg.schedule.epochs - epoch) * cfg.schedule.stepsPerEpoch +
        (cfg.schedule.stepsPerEpoch - s - 1);
      opts.progress?.({
        epoch,
        epochs: cfg.schedule.epochs,
        step: s + 1,
        steps: cfg.schedule.stepsPerEpoch,
        loss: lossSum / (s + 1),
        lr,
        windowsPerS: wps,
        etaS: (stepsLeft * B) / wps,
      });
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    const val = await validate();
    const seconds = (performance.now() - t0) / 1000;
    state.seconds += seconds;
    const entry: EpochLog = {
      epoch,
      step: state.step,
      lr: lrAt(state.step),
      train_loss: lossSum / cfg.schedule.stepsPerEpoch,
      ...val,
      windows_per_s: (cfg.schedule.stepsPerEpoch * B) / trainSeconds,
      seconds,
    };
    state.history.push(entry);
    await appendFile(metricsPath, JSON.stringify(entry) + '\n');
    // The monitored value, lower is better (mean F1 enters negated).
    // Heads without validation data (no validation house meters them) are left out.
    const f1s = Object.values(val.val_f1).filter((f): f is number => f !== null);
    const monitored =
      cfg.earlyStopping.metric === 'val_f1'
        ? -f1s.reduce((a, b) => a + b, 0) / Math.max(1, f1s.length)
        : val.val_loss;
    const improved = monitored < state.bestValLoss - cfg.earlyStopping.minDelta;
    if (improved) {
      state.bestValLoss = monitored;
      state.bestEpoch = epoch;
      state.badEpochs = 0;
      await writeAtomic(join(opts.outDir, 'best.bin'), packParams(params));
    } else {
      state.badEpochs++;
    }
    state.epoch = epoch;
    await writeAtomic(join(ckptDir, 'params.bin'), packParams(params));
    await writeAtomic(
      join(ckptDir, 'adam.bin'),
      packAdam(
        optimizer.state(),
        params.map((p) => p.name),
      ),
    );
    await writeAtomic(join(ckptDir, 'state.json'), JSON.stringify(state));
    const xs = state.history.map((h) => h.epoch);
    await writeFile(
      join(opts.outDir, 'curves.svg'),
      trainingCurvesSvg(
        xs,
        [
          { label: 'train loss', values: state.history.map((h) => h.train_loss) },
          { label: 'val loss', values: state.history.map((h) => h.val_loss) },
          ...appliances.map((a) => ({
            label: `val ${a}`,
            values: state.history.map((h) => h.val_head_loss[a] ?? null),
          })),
        ],
        appliances.map((a) => ({
          label: a,
          values: state!.history.map((h) => h.val_f1[a] ?? null),
        })),
      ),
    );
    log(
      `epoch ${epoch}: train ${entry.train_loss.toFixed(4)} val ${entry.val_loss.toFixed(4)} F1 ${appliances.map((a) => `${a} ${(val.val_f1[a] ?? 0).toFixed(2)}`).join(' ')} (${entry.windows_per_s.toFixed(0)} windows/s)${improved ? ' *' : ''}`,
    );
  }
  await session.release();

  // Calibrate on validation data with the best weights (the eval session reads the live arrays).
  unpackParams(await readFile(join(opts.outDir, 'best.bin')), params);
  const calib = await calibrateHeads(
    evalSession,
    valSampler,
    valIds,
    buffers,
    A,
    L,
    B,
    powerScaleW,
  );
  await evalSession.release();
  log(
    `calibration: ${appliances.map((a, i) => `${a} threshold ${calib[i]!.threshold.toFixed(2)} (val F1 ${calib[i]!.f1.toFixed(2)})`).join(', ')}`,
  );
  if (state.bestEpoch === 0)
    throw new NilmError('CONFIG_INVALID', 'no epoch produced a finite validation loss');

  // Export the best epoch as a standalone inference model.
  const weights = new Map(params.map((p) => [p.name, Float32Array.from(p.data)]));
  const inference = buildTransformerGraph(spec, {
    weights,
    calibration: { scale: calib.map((c) => c.scale), offset: calib.map((c) => c.offset) },
  });
  const bytes = exportInferenceModel(inference.graph, [inference.power, inference.onProb]);
  const best = state.history.find((h) => h.epoch === state!.bestEpoch)!;
  const version = cfg.version ?? new Date().toISOString().slice(0, 10).replace(/-/g, '.');
  const card: ModelCard = {
    format: 'nilm-model',
    format_version: 1,
    kind: 'transformer',
    id: cfg.name,
    version,
    created: new Date().toISOString(),
    appliances: appliances.map((a, i) =>
      headCard(a, powerScaleW[i]!, calib[i]!, {
        ...(cfg.groups[a] ? { members: normaliseGroups(cfg.groups)[a] } : {}),
      }),
    ),
    ...(cfg.postprocess ? { postprocess: 'runs-v2' as const } : {}),
    period_s: arch.periodS,
    window: L,
    architecture: arch,
    normalisation: {
      input_scale_w: arch.inputScaleW,
      features: ['mains / input_scale_w', '(mains - min over window) / input_scale_w'],
    },
    inputs: {
      [INPUT_MAINS]: `float32 [batch, ${L}]: mains power in W at ${arch.periodS} s, no missing values`,
    },
    outputs: {
      [OUTPUT_POWER]: `float32 [batch, ${A}, ${L}]: estimated power in W per appliance (${appliances.join(', ')})`,
      [OUTPUT_ON_PROB]: `float32 [batch, ${A}, ${L}]: probability that each appliance is on`,
    },
    parameters: params.reduce((a, p) => a + p.data.length, 0),
    gflop_per_window: forwardFlops(arch, A) / 1e9,
    training: {
      data: data.describe.train,
      licence: data.describe.licence,
      command: opts.command ?? '',
      config: cfg,
      seed: cfg.seed,
      epochs: state.epoch,
      best_epoch: state.bestEpoch,
      windows_seen: state.step * B,
      seconds: Math.round(state.seconds),
    },
    validation: Object.fromEntries(
      appliances.map((a) => [
        a,
        { loss: best.val_head_loss[a]!, f1: best.val_f1[a] ?? null, mae_w: best.val_mae_w[a]! },
      ]),
    ),
    validation_houses: best.val_houses,
    sha256: sha256Hex(bytes),
  };
  if (opts.evaluateTest) card.test = await opts.evaluateTest(bytes, card);
  const modelDir = join(opts.outDir, 'model');
  await mkdir(modelDir, { recursive: true });
  await writeFile(join(modelDir, 'model.onnx'), bytes);
  await writeFile(join(modelDir, 'card.json'), JSON.stringify(card, null, 2) + '\n');
  log(
    `model written to ${modelDir} (best epoch ${state.bestEpoch}, ${cfg.earlyStopping.metric} ${Math.abs(state.bestValLoss).toFixed(4)})`,
  );
  return { modelDir, card, history: state.history };
}

/**
 * Run `session` over the validation windows `ids` in batches of `B`; the last batch is topped
 * up with windows from the start (the graph has a static batch size), and `each` is told how
 * many of a batch's windows are real.
 */
export async function forEachValidationBatch(
  session: Awaited<ReturnType<typeof createForwardSession>>,
  sampler: WindowSampler,
  ids: readonly number[],
  buffers: ReturnType<typeof createBatchBuffers>,
  B: number,
  each: (
    out: Awaited<ReturnType<Awaited<ReturnType<typeof createForwardSession>>['run']>>,
    real: number,
  ) => void,
  /** Called after each batch is filled: may adjust it and returns further inputs to feed. */
  prepare?: () => Record<string, Float32Array>,
): Promise<void> {
  for (let k = 0; k < ids.length; k += B) {
    const real = Math.min(B, ids.length - k);
    sampler.fillWindows(
      Array.from({ length: B }, (_, j) => ids[(k + j) % ids.length]!),
      buffers,
    );
    const out = await session.run({
      ...prepare?.(),
      [INPUT_MAINS]: buffers.mains,
      [INPUT_TARGET_POWER]: buffers.power,
      [INPUT_TARGET_ON]: buffers.onOff,
      [INPUT_TARGET_MASK]: buffers.known,
    });
    each(out, real);
  }
}

/**
 * A head's entry in the model card: its appliance's label and on threshold (unless `from`, a
 * base card's entry, says otherwise), its power scale and its calibration.
 */
export function headCard(
  name: string,
  powerScaleW: number,
  calib: HeadCalibration,
  from: Partial<Pick<ModelCard['appliances'][number], 'label' | 'members' | 'on_threshold_w'>> = {},
): ModelCard['appliances'][number] {
  return {
    name,
    label: from.label ?? applianceSpec(name).label,
    ...(from.members ? { members: from.members } : {}),
    on_threshold_w: from.on_threshold_w ?? applianceSpec(name).onPowerW,
    power_scale_w: powerScaleW,
    on_prob_threshold: calib.threshold,
    calibration: { scale: calib.scale, offset: calib.offset },
    prob_levels: calib.levels,
    band: { edges: BAND_EDGES, q90_w: calib.q90 },
  };
}

/** One head's calibration: Platt scaling, per power level isotonic maps, threshold, band. */
interface HeadCalibration {
  scale: number;
  offset: number;
  levels: { edges_w: number[]; maps: IsotonicMap[] };
  threshold: number;
  f1: number;
  q90: number[];
}

/**
 * Per-head calibration from validation windows, on the samples whose target is known: Platt
 * scaling of the logit (baked into the graph), then per level of estimated power an isotonic
 * map of that probability (applied by the inference code), the F1-best threshold on the result
 * and a band meant to hold on-minutes too.
 */
export async function calibrateHeads(
  session: Awaited<ReturnType<typeof createForwardSession>>,
  sampler: WindowSampler,
  ids: readonly number[],
  buffers: ReturnType<typeof createBatchBuffers>,
  A: number,
  L: number,
  B: number,
  powerScaleW: readonly number[],
  /** As forEachValidationBatch's; a sample whose power it masks (0) adds no power error. */
  prepare?: () => Record<string, Float32Array>,
): Promise<HeadCalibration[]> {
  const logit: number[][] = Array.from({ length: A }, () => []);
  const target: number[][] = Array.from({ length: A }, () => []);
  const absErr: number[][] = Array.from({ length: A }, () => []);
  const est: number[][] = Array.from({ length: A }, () => []);
  // Whether each sample's power is known (the residual band is taken over those only).
  const powerKnown: boolean[][] = Array.from({ length: A }, () => []);
  let powerMask: Float32Array | undefined;
  const prep =
    prepare &&
    ((): Record<string, Float32Array> => {
      const feeds = prepare();
      powerMask = feeds[INPUT_TARGET_POWER_MASK];
      return feeds;
    });
  await forEachValidationBatch(
    session,
    sampler,
    ids,
    buffers,
    B,
    (out, real) => {
      const power = out.get(OUTPUT_POWER)! as Float32Array;
      const onProb = out.get(OUTPUT_ON_PROB)! as Float32Array;
      for (let b = 0; b < real; b++) {
        for (let a = 0; a < A; a++) {
          for (let t = 0; t < L; t++) {
            const i = (b * A + a) * L + t;
            if (!buffers.known[i]) continue;
            const p = Math.min(1 - 1e-7, Math.max(1e-7, onProb[i]!));
            logit[a]!.push(Math.log(p / (1 - p)));
            target[a]!.push(buffers.onOff[i]! >= 0.5 ? 1 : 0);
            absErr[a]!.push(Math.abs(power[i]! - buffers.power[i]!));
            est[a]!.push(power[i]!);
            powerKnown[a]!.push(!powerMask || powerMask[i]! > 0);
          }
        }
      }
    },
    prep,
  );
  return logit.map((x, a) => {
    const y = target[a]!;
    const { scale, offset } = plattFit(x, y);
    const p1 = x.map((v) => 1 / (1 + Math.exp(-(scale * v + offset))));
    const edges_w = LEVEL_FRACTIONS.map((f) => Math.round(f * powerScaleW[a]!));
    const lv = est[a]!.map((w) => levelOf(edges_w, w));
    const maps = edges_w.map((_, k) => {
      const idx = lv.flatMap((l, i) => (l === k ? [i] : []));
      return isotonicFit(
        idx.map((i) => p1[i]!),
        idx.map((i) => y[i]!),
      );
    });
    const p = p1.map((v, i) => applyIsotonic(maps[lv[i]!]!, v));
    const { threshold, f1 } = bestF1Threshold(p, y);
    return {
      scale,
      offset,
      levels: { edges_w, maps },
      threshold,
      f1,
      q90: ((): ReturnType<typeof residualBandOn> => {
        const k = powerKnown[a]!;
        const pick = <T>(v: readonly T[]): T[] => v.filter((_, i) => k[i]);
        return residualBandOn(pick(p), pick(absErr[a]!), pick(y), BAND_EDGES, {
          threshold,
          missW: powerScaleW[a]!,
        });
      })(),
    };
  });
}
