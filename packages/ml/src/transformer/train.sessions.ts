/**
 * The graphs and sessions a run trains with: the transformer's forward graph and its generated
 * forward+backward graph, a training session and a forward session for validation (both read
 * the live weight arrays), AdamW over those arrays, the learning-rate schedule, and the feeds a
 * step fills.
 */
import type { createBatchBuffers } from '../data/window.sampler.js';
import { AdamW } from '../onnx/adamw.optimizer.js';
import { buildTrainingGraph, type TrainingGraph } from '../onnx/graph.autodiff.js';
import { createForwardSession, TrainingSession } from '../onnx/graph.session.js';
import { warmupCosine } from '../onnx/lr.schedule.js';
import type { ModelSpec } from './transformer.config.js';
import {
  buildTransformerGraph,
  INPUT_MAINS,
  INPUT_TARGET_MASK,
  INPUT_TARGET_ON,
  INPUT_TARGET_POWER,
  OUTPUT_HEAD_LOSS,
  OUTPUT_LOSS,
  OUTPUT_ON_PROB,
  OUTPUT_POWER,
} from './transformer.graph.js';
import type { HeadScales } from './train.data.js';
import type { ResolvedSettings } from './train.settings.js';

/** Everything a training step and a validation pass run on. */
export interface Trainer {
  spec: ModelSpec;
  session: TrainingSession;
  evalSession: Awaited<ReturnType<typeof createForwardSession>>;
  params: TrainingGraph['params'];
  optimizer: AdamW;
  /** Learning rate at a global step. */
  lrAt: (step: number) => number;
  /** Dropout masks, refilled every step, by input name. */
  masks: Record<string, Float32Array>;
  /** A step's inputs: the batch buffers and the dropout masks (filled in place). */
  feeds: Record<string, Float32Array>;
}

/** Builds the graphs, sessions, optimizer and schedule for fresh weights from `cfg.seed`. */
export async function buildTrainer(
  { cfg, arch, appliances }: ResolvedSettings,
  { powerScaleW, posWeight }: HeadScales,
  buffers: ReturnType<typeof createBatchBuffers>,
): Promise<Trainer> {
  const spec: ModelSpec = { arch, appliances, powerScaleW };
  const built = buildTransformerGraph(spec, {
    batch: cfg.batch,
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
  const masks = dropoutMasks(session);
  const feeds = {
    [INPUT_MAINS]: buffers.mains,
    [INPUT_TARGET_POWER]: buffers.power,
    [INPUT_TARGET_ON]: buffers.onOff,
    [INPUT_TARGET_MASK]: buffers.known,
    ...masks,
  };
  return { spec, session, evalSession, params, optimizer, lrAt, masks, feeds };
}

/** One buffer per dropout-mask input of the training graph, in the session's input order. */
function dropoutMasks(session: TrainingSession): Record<string, Float32Array> {
  const masks: Record<string, Float32Array> = {};
  for (const m of session.inputs.filter((i) => i.name.endsWith('.mask')))
    masks[m.name] = new Float32Array(m.shape.reduce<number>((a, d) => a * (d as number), 1));
  return masks;
}
