/**
 * Training the multi-head transformer from TypeScript: windows come from a disk-backed cache
 * through a balanced, seeded sampler; each step runs our generated forward+backward ONNX graph
 * in ONNX Runtime and AdamW updates the weights in JS. Every epoch is validated, logged as one
 * JSON line, plotted, and checkpointed, so a run can resume and gives the same result for the
 * same seed. The best epoch's weights are exported as a plain `model.onnx` with its card.
 *
 * This file is the entry; each stage lives in its own `train.*.ts` file: settings, checkpoint,
 * data (window caches, samplers, head scales), sessions, epoch, validation, calibrate, card and
 * export.
 */
import { restoreWeights, openCheckpoint } from './train.checkpoint.js';
import { headScales, prepareWindows } from './train.data.js';
import { trainEpochs, type TrainingRun } from './train.epoch.js';
import { exportBest } from './train.export.js';
import { buildTrainer } from './train.sessions.js';
import {
  resolveSettings,
  type TrainData,
  type TrainOptions,
  type TrainResult,
} from './train.settings.js';

export { calibrateHeads } from './train.calibrate.js';
export { headCard } from './train.card.js';
export { packAdam, packParams, unpackAdam, unpackParams, writeAtomic } from './train.checkpoint.js';
export { powerScale } from './train.data.js';
export {
  TrainSettingsSchema,
  type EpochLog,
  type TrainData,
  type TrainOptions,
  type TrainResult,
} from './train.settings.js';
export { forEachValidationBatch } from './train.validation.js';

/** Train, validate every epoch, checkpoint, and export the best epoch as a model directory. */
export async function trainTransformer(
  settingsIn: unknown,
  data: TrainData,
  opts: TrainOptions,
): Promise<TrainResult> {
  const resolved = resolveSettings(settingsIn, data);
  const log = opts.log ?? ((): void => undefined);
  const { ckptDir, resuming, saved } = await openCheckpoint(opts.outDir, opts.resume);
  const windows = await prepareWindows(resolved, data, opts.outDir, resuming, log);
  const scales = headScales(resolved, data, saved, windows, log);
  const trainer = await buildTrainer(resolved, scales, windows.buffers);
  if (saved) {
    await restoreWeights(ckptDir, trainer.params, trainer.optimizer);
    log(`resuming after epoch ${saved.epoch} (step ${saved.step})`);
  }
  const state = saved ?? {
    epoch: 0,
    step: 0,
    bestEpoch: 0,
    bestValLoss: Infinity,
    badEpochs: 0,
    history: [],
    posWeight: scales.posWeight,
    powerScaleW: scales.powerScaleW,
    seconds: 0,
  };
  const houses = data.val.map((s) => s.source);
  const run: TrainingRun = { resolved, opts, log, ckptDir, windows, trainer, state, houses };
  await trainEpochs(run, resuming);
  await trainer.session.release();
  return exportBest(run, data);
}
