/**
 * Fine-tuning a shipped transformer on one home (issue 13.4): the shared encoder stays frozen
 * and only the heads of the chosen appliances learn, from the home's own sub-metered (or
 * labelled) minutes. A sub-meter's minute teaches a head both its on/off state and its power;
 * a minute inside a "nothing here" label teaches off at 0 W; a minute inside a "this was the
 * <appliance>" label (`onLabelled`) teaches on only: its on/off cross-entropy counts, its power
 * errors are masked (the graph's `target_power_mask`). An appliance the base model lacks gets a head of its own, added beside the
 * others. Gradients flow only as far back as the heads (the training graph differentiates the
 * head parameters alone), the encoder runs without dropout, and the heads of other appliances
 * keep their weights and calibration exactly. Bounded in time (`maxSeconds`), deterministic for
 * a seed, checkpointed every epoch so a stopped job resumes where it was.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { z } from 'zod';
import { canonicalAppliance, findAppliance } from '../data/appliances.js';
import type { OnOffRule } from '../data/window.cache.format.js';
import type { Series } from '../data/series.js';
import { WindowCache } from '../data/window.cache.reader.js';
import { writeWindowCache } from '../data/window.cache.writer.js';
import { createBatchBuffers, WindowSampler } from '../data/window.sampler.js';
import { NilmError } from '../errors.js';
import { AdamW, clipGradNorm } from '../onnx/adamw.optimizer.js';
import { buildTrainingGraph } from '../onnx/graph.autodiff.js';
import { exportInferenceModel } from '../onnx/graph.export.js';
import { createForwardSession, TrainingSession } from '../onnx/graph.session.js';
import { sha256Hex, type ModelCard } from './model.card.js';
import type { ModelSpec } from './transformer.config.js';
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
  type Weights,
} from './transformer.graph.js';
import {
  calibrateHeads,
  headCard,
  forEachValidationBatch,
  packAdam,
  packParams,
  powerScale,
  unpackAdam,
  unpackParams,
  writeAtomic,
} from './transformer.train.js';

/** The head parameters: stacked over appliances, one row per head. */
const HEAD_PARAMS = ['head.w1', 'head.b1', 'head.w2', 'head.b2'] as const;

/**
 * A head outside the appliance vocabulary (a device the owner named, issue 13.4): the caller
 * says what it is called on screens and from what power it counts as on, which the vocabulary
 * says for its own appliances. Its name is used as given (no alias lookup), so it must not be a
 * vocabulary name or alias: those keep their own rules.
 */
export const FinetuneHeadSchema = z
  .object({
    name: z.string().trim().min(1).max(128),
    label: z.string().trim().min(1).max(128),
    onThresholdW: z.number().positive(),
    /** Minimum on and off durations of its on/off rule (default 0: every minute counts). */
    minOnS: z.number().min(0).default(0),
    minOffS: z.number().min(0).default(0),
  })
  .strict();
export type FinetuneHead = z.input<typeof FinetuneHeadSchema>;

export const FinetuneSettingsSchema = z
  .object({
    /** Heads to train: existing ones of the base model, or new appliances (a head is added). */
    appliances: z.array(z.string()).min(1).max(8),
    /** The heads of `appliances` that are not of the vocabulary, with their label and rule. */
    heads: z.array(FinetuneHeadSchema).max(8).default([]),
    epochs: z.number().int().min(1).max(100).default(8),
    stepsPerEpoch: z.number().int().min(1).max(2000).default(40),
    batch: z.number().int().min(1).max(256).default(16),
    lr: z.number().positive().max(1).default(2e-3),
    seed: z.number().int().default(1),
    /** Training stops after the epoch during which this many seconds passed (bounded job). */
    maxSeconds: z.number().positive().default(300),
    /** Samples between training window starts (default: window / 8). */
    stride: z.number().int().min(1).optional(),
  })
  .strict();

export interface FinetuneBase {
  card: ModelCard;
  /** The verified `model.onnx` bytes of the base model. */
  bytes: Uint8Array;
}

/**
 * A home's minutes: per trained appliance its true power where known (a sub-meter's reading, or
 * 0 inside a "nothing here" label; NaN where unknown), and, where the owner said "this was the
 * <appliance>" and no sub-meter reads it, 1 in `onLabelled` (its power there is not known).
 */
export interface FinetuneSeries extends Series {
  onLabelled?: Record<string, Uint8Array>;
}

export interface FinetuneData {
  /** The home's minutes to learn from. */
  train: FinetuneSeries[];
  /** Held out for choosing the best epoch and calibrating the trained heads. */
  val: FinetuneSeries[];
}

/** The minutes of `s` where `appliance` is labelled on and its power is not read. */
function onOnly(s: FinetuneSeries, appliance: string): Uint8Array | undefined {
  const on = s.onLabelled?.[appliance];
  if (!on || !on.includes(1)) return undefined;
  const ch = s.appliances[appliance];
  const out = new Uint8Array(s.mains.length);
  for (let i = 0; i < out.length; i++) out[i] = on[i] && !Number.isFinite(ch?.[i]) ? 1 : 0;
  return out;
}

export interface FinetuneEpoch {
  epoch: number;
  train_loss: number;
  val_loss: number;
  seconds: number;
}

export interface FinetuneResult {
  bytes: Uint8Array;
  card: ModelCard;
  history: FinetuneEpoch[];
  /** Whether `maxSeconds` cut training short of its epochs. */
  stoppedByTime: boolean;
}

export interface FinetuneOptions {
  /** Where the window caches and the checkpoint live; resuming needs the same folder. */
  workDir: string;
  resume?: boolean;
  /** The new model's id and version (the registry's `<base>+<building>` and `<n>`). */
  id: string;
  version: string;
  progress?: (p: {
    epoch: number;
    epochs: number;
    step: number;
    steps: number;
    loss: number;
  }) => void;
  log?: (line: string) => void;
  /** Stop (checkpointed, resumable) after this epoch; used to test resuming. */
  stopAfterEpoch?: number;
}

interface FinetuneState {
  epoch: number;
  step: number;
  bestEpoch: number;
  bestValLoss: number;
  history: FinetuneEpoch[];
  seconds: number;
}

/** The float initializers of an ONNX model by name: the trained weights of a model we exported. */
export function readModelWeights(bytes: Uint8Array): Map<string, Float32Array> {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new NilmError('MODEL_FILE_INVALID', `not an ONNX model: ${(e as Error).message}`);
  }
  const out = new Map<string, Float32Array>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== onnxProto.onnx.TensorProto.DataType.FLOAT || !t.name) continue;
    const raw = t.rawData;
    if (raw && raw.length > 0)
      out.set(
        t.name,
        new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)),
      );
    else if (t.floatData && t.floatData.length > 0) out.set(t.name, Float32Array.from(t.floatData));
  }
  return out;
}

/** Fine-tune `base` on one home's data; see the module comment. */
export async function finetuneTransformer(
  base: FinetuneBase,
  settingsIn: unknown,
  data: FinetuneData,
  opts: FinetuneOptions,
): Promise<FinetuneResult> {
  const parsed = FinetuneSettingsSchema.safeParse(settingsIn);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new NilmError(
      'CONFIG_INVALID',
      `fine-tune settings: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const cfg = parsed.data;
  const log = opts.log ?? ((): void => undefined);
  const card = base.card;
  const arch = card.architecture;
  // A head the caller describes keeps its name as given; every other name is the vocabulary's.
  const own = new Map(cfg.heads.map((h) => [h.name, h]));
  for (const h of cfg.heads) {
    if (findAppliance(h.name))
      throw new NilmError(
        'CONFIG_INVALID',
        `fine-tune settings: heads: "${h.name}" is an appliance of the vocabulary; train it by that name without a heads entry`,
      );
    if (!cfg.appliances.includes(h.name))
      throw new NilmError(
        'CONFIG_INVALID',
        `fine-tune settings: heads: "${h.name}" is not among the appliances to train`,
      );
  }
  const trained = [...new Set(cfg.appliances.map((a) => (own.has(a) ? a : canonicalAppliance(a))))];
  // On/off rules of the caller's heads; the vocabulary's rules hold for every other head.
  const rules: Record<string, OnOffRule> = Object.fromEntries(
    cfg.heads.map((h) => [
      h.name,
      { onPowerW: h.onThresholdW, minOnS: h.minOnS, minOffS: h.minOffS },
    ]),
  );
  const baseNames = card.appliances.map((a) => a.name);
  const added = trained.filter((a) => !baseNames.includes(a));
  const appliances = [...baseNames, ...added];
  const A = appliances.length;
  const L = arch.window;
  const B = cfg.batch;
  for (const [what, list] of [
    ['training', data.train],
    ['validation', data.val],
  ] as const) {
    if (list.length === 0)
      throw new NilmError(
        'DATA_EMPTY',
        `no ${what} data: the home has no sub-metered or labelled minutes for it`,
      );
    for (const s of list)
      if (s.periodS !== card.period_s)
        throw new NilmError(
          'DATA_MISMATCH',
          `${what} series ${s.source} has period ${s.periodS} s, the model ${card.period_s} s`,
        );
    for (const s of list)
      for (const [a, on] of Object.entries(s.onLabelled ?? {}))
        if (on.length !== s.mains.length)
          throw new NilmError(
            'DATA_MISMATCH',
            `${what} series ${s.source}: the "${a}" on-labels cover ${on.length} minutes, the mains ${s.mains.length}`,
          );
    for (const a of trained)
      if (!list.some((s) => s.appliances[a] || onOnly(s, a)))
        throw new NilmError(
          'DATA_MISSING_COLUMN',
          `no ${what} data for "${a}": attach a sub-meter or label some of its runs first`,
        );
  }
  // Only the trained appliances' columns are kept: the loss of every other head is masked, so
  // their weights get no gradient and stay as they are. A minute labelled on (power unknown)
  // carries the mains power as a stand-in, so the cache counts it as a reading and as on; its
  // power error is masked in training and it is marked on in every batch (labelPatch).
  const keepTrained = (list: FinetuneSeries[]): Series[] =>
    list.map((s) => ({
      ...s,
      appliances: Object.fromEntries(
        trained.flatMap((a) => {
          const on = onOnly(s, a);
          const ch = s.appliances[a];
          if (!on) return ch ? [[a, ch]] : [];
          const out = ch ? Float32Array.from(ch) : new Float32Array(s.mains.length).fill(NaN);
          for (let i = 0; i < out.length; i++) if (on[i]) out[i] = s.mains[i]!;
          return [[a, out]];
        }),
      ),
    }));
  const usesLabels = [...data.train, ...data.val].some((s) => trained.some((a) => onOnly(s, a)));

  await mkdir(join(opts.workDir, 'checkpoint'), { recursive: true });
  const ckpt = join(opts.workDir, 'checkpoint');
  const resuming = !!opts.resume && existsSync(join(ckpt, 'state.json'));
  if (!opts.resume && existsSync(join(ckpt, 'state.json')))
    throw new NilmError(
      'CONFIG_INVALID',
      `${opts.workDir} already holds a fine-tune; resume it or use another folder`,
    );
  let state: FinetuneState | undefined = resuming
    ? (JSON.parse(await readFile(join(ckpt, 'state.json'), 'utf8')) as FinetuneState)
    : undefined;

  const trainPath = join(opts.workDir, 'train.win');
  const valPath = join(opts.workDir, 'val.win');
  if (!resuming || !existsSync(trainPath))
    await writeWindowCache(trainPath, keepTrained(data.train), {
      appliances,
      periodS: card.period_s,
      allowMissing: true,
      rules,
    });
  if (!resuming || !existsSync(valPath))
    await writeWindowCache(valPath, keepTrained(data.val), {
      appliances,
      periodS: card.period_s,
      allowMissing: true,
      rules,
    });
  const sampler = new WindowSampler(WindowCache.open(trainPath), {
    length: L,
    stride: cfg.stride ?? Math.max(1, Math.floor(L / 8)),
    appliances,
  });
  const valSampler = new WindowSampler(WindowCache.open(valPath), {
    length: L,
    stride: Math.max(1, Math.floor(L / 4)),
    appliances,
  });
  for (const [what, s] of [
    ['training', sampler],
    ['validation', valSampler],
  ] as const)
    if (s.windowCount === 0)
      throw new NilmError(
        'DATA_EMPTY',
        `the ${what} data has no stretch of ${L} minutes with readings and the appliance's power; more sub-metered time is needed`,
      );
  for (const a of trained)
    if (sampler.onWindowCount(appliances.indexOf(a)) === 0)
      throw new NilmError(
        'DATA_EMPTY',
        `nothing in the training data says when "${a}" ran (only "nothing here" labels, or a sub-meter that never reads it on): label some of its runs ("this was the ${a}") or attach a sub-meter, then try again`,
      );
  log(`windows: ${sampler.windowCount} train, ${valSampler.windowCount} validation`);

  // Weights: the base model's; a new head's rows start from the seeded initialisation.
  const baseWeights = readModelWeights(base.bytes);
  const powerScaleW = appliances.map((a, i) =>
    i < baseNames.length
      ? card.appliances[i]!.power_scale_w
      : own.has(a)
        ? powerScale(keepTrained(data.train), a, rules[a]!)
        : // A head learnt from labels alone scales to the mains power of its labelled minutes.
          powerScale(keepTrained(data.train), a),
  );
  const spec: ModelSpec = { arch, appliances, powerScaleW };
  const weights = new Map(baseWeights);
  if (added.length > 0) {
    const fresh = buildTransformerGraph(spec, { seed: cfg.seed }).graph.initializers;
    for (const name of HEAD_PARAMS) {
      const init = fresh.find((i) => i.name === name)!;
      const row = init.data.length / A;
      const rows = Float32Array.from(init.data as ArrayLike<number>);
      rows.set(baseWeights.get(name)!.subarray(0, row * baseNames.length), 0);
      weights.set(name, rows);
    }
  }
  const posWeight = appliances.map(() => 4);
  const built = buildTransformerGraph(spec, {
    batch: B,
    seed: cfg.seed,
    weights: weights as Weights,
    loss: { bce: 1, posWeight },
    powerMask: usesLabels,
  });
  const training = buildTrainingGraph(built.graph, {
    loss: built.loss!,
    outputs: [built.headLoss!],
    params: [...HEAD_PARAMS],
  });
  const session = await TrainingSession.create(training);
  const evalSession = await createForwardSession(built.graph, [
    OUTPUT_LOSS,
    OUTPUT_HEAD_LOSS,
    OUTPUT_POWER,
    OUTPUT_ON_PROB,
  ]);
  const params = training.params;
  // No weight decay: a head with no data must not drift towards zero.
  const optimizer = new AdamW(
    params.map((p) => ({ name: p.name, data: p.data, decay: false })),
    { lr: cfg.lr, weightDecay: 0, beta1: 0.9, beta2: 0.999 },
  );
  if (state) {
    unpackParams(await readFile(join(ckpt, 'params.bin')), params);
    optimizer.load(unpackAdam(await readFile(join(ckpt, 'adam.bin')), params));
    log(`resuming after epoch ${state.epoch}`);
  }
  state ??= { epoch: 0, step: 0, bestEpoch: 0, bestValLoss: Infinity, history: [], seconds: 0 };

  const buffers = createBatchBuffers(B, L, A);
  // The frozen encoder runs without dropout: every mask is all ones.
  const masks: Record<string, Float32Array> = {};
  for (const m of session.inputs.filter((i) => i.name.endsWith('.mask')))
    masks[m.name] = new Float32Array(m.shape.reduce<number>((a, d) => a * (d as number), 1)).fill(
      1,
    );
  const trainedRows = trained.map((a) => appliances.indexOf(a));
  // Per cache segment (one per series, in order), per appliance row: its on-only minutes.
  const onRows = (list: FinetuneSeries[]): (Uint8Array | undefined)[][] =>
    list.map((s) => appliances.map((a) => (trained.includes(a) ? onOnly(s, a) : undefined)));
  const powerMask = new Float32Array(B * A * L);
  const labelPatch =
    (s: WindowSampler, rows: (Uint8Array | undefined)[][]) => (): Record<string, Float32Array> => {
      powerMask.fill(1);
      for (let b = 0; b < B; b++) {
        const id = buffers.windowIds[b]!;
        if (id < 0) continue;
        const { segment, offset } = s.window(id);
        for (const r of trainedRows) {
          const on = rows[segment]?.[r];
          if (!on) continue;
          const base = (b * A + r) * L;
          for (let t = 0; t < L; t++)
            if (on[offset + t]) {
              buffers.onOff[base + t] = 1;
              powerMask[base + t] = 0;
            }
        }
      }
      return { [INPUT_TARGET_POWER_MASK]: powerMask };
    };
  const trainPatch = usesLabels ? labelPatch(sampler, onRows(data.train)) : undefined;
  const valPatch = usesLabels ? labelPatch(valSampler, onRows(data.val)) : undefined;
  const feeds: Record<string, Float32Array> = {
    [INPUT_MAINS]: buffers.mains,
    [INPUT_TARGET_POWER]: buffers.power,
    [INPUT_TARGET_ON]: buffers.onOff,
    [INPUT_TARGET_MASK]: buffers.known,
    ...masks,
  };
  const valIds = Array.from({ length: Math.min(valSampler.windowCount, 400) }, (_, k) =>
    Math.floor((k * valSampler.windowCount) / Math.min(valSampler.windowCount, 400)),
  );
  const validate = async (): Promise<number> => {
    let sum = 0;
    let n = 0;
    await forEachValidationBatch(
      evalSession,
      valSampler,
      valIds,
      buffers,
      B,
      (out, real) => {
        const hl = out.get(OUTPUT_HEAD_LOSS)! as Float32Array;
        for (const a of trainedRows) sum += (real / B) * hl[a]!;
        n += real / B;
      },
      valPatch,
    );
    return sum / Math.max(1e-9, n * trainedRows.length);
  };

  let stoppedByTime = false;
  try {
    for (let epoch = state.epoch + 1; epoch <= cfg.epochs; epoch++) {
      if (opts.stopAfterEpoch !== undefined && epoch > opts.stopAfterEpoch) break;
      if (state.seconds >= cfg.maxSeconds) {
        stoppedByTime = true;
        break;
      }
      const t0 = performance.now();
      // Seeds derive from (seed, epoch): a resumed run draws exactly the batches it would have.
      const batches = sampler.random({
        seed: cfg.seed * 100_003 + epoch,
        balance: { targetOnFraction: 0.5, appliances: trained },
      });
      let lossSum = 0;
      for (let s = 0; s < cfg.stepsPerEpoch; s++) {
        batches.fill(buffers);
        const step = await session.run({ ...feeds, ...trainPatch?.() });
        if (!Number.isFinite(step.loss))
          throw new NilmError(
            'CONFIG_INVALID',
            `fine-tuning diverged at epoch ${epoch} (loss ${step.loss}); lower lr`,
          );
        clipGradNorm(step.grads, 1);
        optimizer.step(step.grads, cfg.lr);
        state.step++;
        lossSum += step.loss;
        opts.progress?.({
          epoch,
          epochs: cfg.epochs,
          step: s + 1,
          steps: cfg.stepsPerEpoch,
          loss: lossSum / (s + 1),
        });
      }
      const valLoss = await validate();
      const seconds = (performance.now() - t0) / 1000;
      state.seconds += seconds;
      const entry = { epoch, train_loss: lossSum / cfg.stepsPerEpoch, val_loss: valLoss, seconds };
      state.history.push(entry);
      if (valLoss < state.bestValLoss) {
        state.bestValLoss = valLoss;
        state.bestEpoch = epoch;
        await writeAtomic(join(opts.workDir, 'best.bin'), packParams(params));
      }
      state.epoch = epoch;
      await writeAtomic(join(ckpt, 'params.bin'), packParams(params));
      await writeAtomic(
        join(ckpt, 'adam.bin'),
        packAdam(
          optimizer.state(),
          params.map((p) => p.name),
        ),
      );
      await writeAtomic(join(ckpt, 'state.json'), JSON.stringify(state));
      log(
        `epoch ${epoch}: train ${entry.train_loss.toFixed(4)} val ${valLoss.toFixed(4)} (${seconds.toFixed(1)} s)`,
      );
    }
  } catch (e) {
    // A stopped run (an error, or a caller's progress callback that throws) frees its sessions.
    await session.release();
    await evalSession.release();
    throw e;
  }
  await session.release();
  if (state.bestEpoch === 0) {
    await evalSession.release();
    throw new NilmError('CONFIG_INVALID', 'no epoch produced a finite validation loss');
  }
  // The trained heads are calibrated on the home's validation minutes; the others keep the base's.
  unpackParams(await readFile(join(opts.workDir, 'best.bin')), params);
  const calib = await calibrateHeads(
    evalSession,
    valSampler,
    valIds,
    buffers,
    A,
    L,
    B,
    powerScaleW,
    valPatch,
  );
  await evalSession.release();
  const cardHeads: ModelCard['appliances'] = appliances.map((a, i) => {
    const before = card.appliances[i];
    if (before && !trained.includes(a)) return before;
    // A trained head keeps its base's label, members and on threshold; a head the caller
    // describes takes the label and threshold it was given.
    const given = own.get(a);
    return headCard(
      a,
      powerScaleW[i]!,
      calib[i]!,
      given
        ? { ...before, label: given.label, on_threshold_w: given.onThresholdW }
        : (before ?? {}),
    );
  });
  const finalWeights = new Map(weights);
  for (const p of params) finalWeights.set(p.name, Float32Array.from(p.data));
  const inference = buildTransformerGraph(spec, {
    weights: finalWeights,
    calibration: {
      scale: cardHeads.map((h) => h.calibration?.scale ?? 1),
      offset: cardHeads.map((h) => h.calibration?.offset ?? 0),
    },
  });
  const bytes = exportInferenceModel(inference.graph, [inference.power, inference.onProb]);
  const best = state.history.find((h) => h.epoch === state!.bestEpoch)!;
  const out: ModelCard = {
    ...card,
    id: opts.id,
    version: opts.version,
    created: new Date().toISOString(),
    description: `${card.id}@${card.version} fine-tuned on one home for ${trained.join(', ')}`,
    appliances: cardHeads,
    outputs: {
      ...card.outputs,
      [OUTPUT_POWER]: `float32 [batch, ${A}, ${L}]: estimated power in W per appliance (${appliances.join(', ')})`,
      [OUTPUT_ON_PROB]: `float32 [batch, ${A}, ${L}]: probability that each appliance is on`,
    },
    // An added head adds weights and work: the base's counts are for its own heads.
    parameters: [...finalWeights]
      .filter(([name]) => !name.startsWith('const_'))
      .reduce((n, [, w]) => n + w.length, 0),
    gflop_per_window: forwardFlops(arch, A) / 1e9,
    finetune: {
      base: `${card.id}@${card.version}`,
      heads: trained,
      added,
      // A vocabulary-only fine-tune's card reads as it did before heads existed.
      settings: cfg.heads.length > 0 ? cfg : { ...cfg, heads: undefined },
      epochs: state.epoch,
      best_epoch: state.bestEpoch,
      val_loss: best.val_loss,
      seconds: Math.round(state.seconds),
      stopped_by_time: stoppedByTime,
    },
    sha256: sha256Hex(bytes),
  };
  await writeFile(join(opts.workDir, 'history.json'), JSON.stringify(state.history));
  return { bytes, card: out, history: state.history, stoppedByTime };
}
