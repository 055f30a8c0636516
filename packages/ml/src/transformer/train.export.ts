/**
 * The end of a training run: the best epoch's weights are calibrated on the validation windows
 * and exported as a standalone inference model with its card in `<out>/model`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NilmError } from '../errors.js';
import { exportInferenceModel } from '../onnx/graph.export.js';
import { calibrateHeads } from './train.calibrate.js';
import { trainedCard } from './train.card.js';
import { unpackParams } from './train.checkpoint.js';
import type { TrainingRun } from './train.epoch.js';
import type { TrainData, TrainResult } from './train.settings.js';
import { buildTransformerGraph } from './transformer.graph.js';

/**
 * Calibrates and exports the best epoch, adds the caller's test scores to the card, and writes
 * `model.onnx` and `card.json`; throws CONFIG_INVALID if no epoch was ever best.
 */
export async function exportBest(run: TrainingRun, data: TrainData): Promise<TrainResult> {
  const { resolved, opts, state, trainer, windows, log } = run;
  const { cfg, arch, appliances } = resolved;
  const { params, evalSession, spec } = trainer;
  // Calibrate on validation data with the best weights (the eval session reads the live arrays).
  unpackParams(await readFile(join(opts.outDir, 'best.bin')), params);
  const calib = await calibrateHeads(
    evalSession,
    windows.valSampler,
    windows.valIds,
    windows.buffers,
    appliances.length,
    arch.window,
    cfg.batch,
    spec.powerScaleW,
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
  const card = trainedCard(run, data, calib, bytes);
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
