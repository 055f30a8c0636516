/**
 * The model card of a trained model: per head its label, thresholds, power scale and
 * calibration; the architecture, inputs and outputs; how it was trained; and its validation
 * scores at the best epoch.
 */
import { normaliseGroups } from '../data/appliance.groups.js';
import { applianceSpec } from '../data/appliances.js';
import { BAND_EDGES } from './calibration.js';
import { sha256Hex, type ModelCard } from './model.card.js';
import { forwardFlops } from './transformer.flops.js';
import { INPUT_MAINS, OUTPUT_ON_PROB, OUTPUT_POWER } from './transformer.graph.js';
import type { HeadCalibration } from './train.calibrate.js';
import type { TrainingRun } from './train.epoch.js';
import { postprocessRuleOf, type TrainData } from './train.settings.js';

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

/** The card of a finished run whose best epoch was exported as `bytes` (without test scores). */
export function trainedCard(
  run: TrainingRun,
  data: TrainData,
  calib: readonly HeadCalibration[],
  bytes: Uint8Array,
): ModelCard {
  const { cfg, arch, appliances } = run.resolved;
  const { state } = run;
  const { powerScaleW } = run.trainer.spec;
  const L = arch.window;
  const A = appliances.length;
  const best = state.history.find((h) => h.epoch === state.bestEpoch)!;
  const version = cfg.version ?? new Date().toISOString().slice(0, 10).replace(/-/g, '.');
  return {
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
    ...(cfg.postprocess ? { postprocess: postprocessRuleOf(cfg.postprocess) } : {}),
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
    parameters: run.trainer.params.reduce((a, p) => a + p.data.length, 0),
    gflop_per_window: forwardFlops(arch, A) / 1e9,
    training: {
      data: data.describe.train,
      licence: data.describe.licence,
      command: run.opts.command ?? '',
      config: cfg,
      seed: cfg.seed,
      epochs: state.epoch,
      best_epoch: state.bestEpoch,
      windows_seen: state.step * cfg.batch,
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
}
