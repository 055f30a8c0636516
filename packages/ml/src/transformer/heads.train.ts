/**
 * Heads trained on a base model's frozen encoder (a training config's `base`): the new heads
 * learn from the config's many houses and mixed copies, the base's own heads and encoder are
 * kept bit for bit, so the new model estimates everything the base did exactly as it did and
 * adds the heads it lacked. The loop is the fine-tune's (`transformer.finetune.ts`: gradients
 * reach the head parameters alone, batches balanced across the trained heads, the best epoch by
 * validation loss, per-head calibration on the validation houses); this file turns its result
 * into a shippable model directory: the card says what was trained on what, scores the held-out
 * houses, and post-processes only the new heads (the base's stay as the base served them).
 * The kept heads' power bands (card data, outside the graph) are refitted on the validation
 * houses with the current band rule, so they hold on-minutes as the new heads' do; their
 * estimates and on/off decisions do not change.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normaliseGroups } from '../data/appliance.groups.js';
import { applianceSpec, canonicalAppliance, onOffStates } from '../data/appliances.js';
import { resampleSeries } from '../data/resample.js';
import type { Series } from '../data/series.js';
import { NilmError } from '../errors.js';
import { BAND_EDGES, residualBandOn } from './calibration.js';
import type { ModelCard } from './model.card.js';
import { ArchitectureSchema } from './transformer.config.js';
import {
  readModelCard,
  readVerifiedWeights,
  TransformerModel,
} from './transformer.disaggregator.js';
import { finetuneTransformer } from './transformer.finetune.js';
import type { TrainData, TrainResult } from './transformer.train.js';
import type { TrainConfig } from './train.config.js';

export interface HeadsTrainOptions {
  outDir: string;
  resume?: boolean;
  /** The command line that trained it, for the card. */
  command?: string;
  log?: (line: string) => void;
  progress?: (p: {
    epoch: number;
    epochs: number;
    step: number;
    steps: number;
    loss: number;
  }) => void;
  /** Score the held-out data into the card (as `nilm train` does for a whole model). */
  evaluateTest?: (bytes: Uint8Array, card: ModelCard) => Promise<ModelCard['test']>;
  /** Score the validation data per house (the card's `validation` and `validation_houses`). */
  evaluateVal?: (
    bytes: Uint8Array,
    card: ModelCard,
  ) => Promise<Pick<ModelCard, 'validation' | 'validation_houses'>>;
}

/**
 * Power bands for `heads` refitted on `val` (the rule of `calibrateHeads`: the 90th percentile of
 * the error per bin of on_prob, widened to hold on-minutes and, below the on threshold, to the
 * head's power scale), from the model's own served estimates. A head `val` never meters keeps
 * its band.
 */
async function refitBands(
  card: ModelCard,
  bytes: Uint8Array,
  val: readonly Series[],
  heads: readonly string[],
): Promise<ModelCard['appliances']> {
  const model = await TransformerModel.fromBytes(card, bytes);
  const p: Record<string, number[]> = {};
  const err: Record<string, number[]> = {};
  const on: Record<string, number[]> = {};
  for (const h of heads) [p[h], err[h], on[h]] = [[], [], []];
  try {
    for (const raw of val) {
      const s = resampleSeries(raw, card.period_s);
      if (!heads.some((h) => s.appliances[h])) continue;
      const out = await model.disaggregate(s);
      for (const h of heads) {
        const truth = s.appliances[h];
        const est = out.appliances[h];
        if (!truth || !est?.onProb) continue;
        const states = onOffStates(truth, s.periodS, applianceSpec(h));
        for (let i = 0; i < truth.length; i++) {
          if (!Number.isFinite(truth[i]) || !Number.isFinite(est.power[i])) continue;
          p[h]!.push(est.onProb[i]!);
          err[h]!.push(Math.abs(est.power[i]! - truth[i]!));
          on[h]!.push(states[i]!);
        }
      }
    }
  } finally {
    await model.release();
  }
  return card.appliances.map((a) =>
    heads.includes(a.name) && p[a.name]!.length > 0
      ? {
          ...a,
          band: {
            edges: BAND_EDGES,
            q90_w: residualBandOn(p[a.name]!, err[a.name]!, on[a.name]!, BAND_EDGES, {
              threshold: a.on_prob_threshold,
              missW: a.power_scale_w,
            }),
          },
        }
      : a,
  );
}

/** Train `config.base.heads` on the frozen encoder of `config.base.model`; writes `outDir/model`. */
export async function trainHeadsOnBase(
  config: TrainConfig,
  data: TrainData,
  opts: HeadsTrainOptions,
): Promise<TrainResult> {
  const t0 = performance.now();
  const log = opts.log ?? ((): void => undefined);
  const baseCfg = config.base;
  if (!baseCfg) throw new NilmError('CONFIG_INVALID', 'base: the config names no base model');
  const baseCard = await readModelCard(baseCfg.model);
  const bytes = await readVerifiedWeights(baseCfg.model, baseCard);
  const baseRef = `${baseCard.id}@${baseCard.version}`;
  const baseNames = baseCard.appliances.map((a) => a.name);
  const wanted = config.appliances.map(canonicalAppliance);
  const missing = baseNames.filter((a) => !wanted.includes(a));
  if (missing.length > 0)
    throw new NilmError(
      'CONFIG_INVALID',
      `appliances: a model on base ${baseRef} keeps its heads; add ${missing.join(', ')} to the list`,
    );
  if (config.model !== undefined) {
    const own = JSON.stringify(ArchitectureSchema.parse(config.model));
    if (own !== JSON.stringify(baseCard.architecture))
      throw new NilmError(
        'CONFIG_INVALID',
        `model: the architecture is the base's (${baseRef}); leave model out of a config with base`,
      );
  }
  const heads = (baseCfg.heads ?? wanted.filter((a) => !baseNames.includes(a))).map(
    canonicalAppliance,
  );
  const stray = heads.filter((a) => !wanted.includes(a));
  if (stray.length > 0)
    throw new NilmError(
      'CONFIG_INVALID',
      `base.heads: ${stray.join(', ')} not among the config's appliances`,
    );
  if (heads.length === 0)
    throw new NilmError(
      'CONFIG_INVALID',
      `base.heads: nothing to train (the base ${baseRef} has every appliance listed)`,
    );
  const version = config.version ?? new Date().toISOString().slice(0, 10).replace(/-/g, '.');
  const settings = {
    appliances: heads,
    epochs: config.schedule.epochs,
    stepsPerEpoch: config.schedule.stepsPerEpoch,
    batch: config.batch,
    lr: config.optimizer.lr,
    seed: config.seed,
    maxSeconds: 7 * 24 * 3600,
    ...(config.stride ? { stride: config.stride } : {}),
  };
  log(`training ${heads.join(', ')} on the frozen encoder of ${baseRef}`);
  const result = await finetuneTransformer({ card: baseCard, bytes }, settings, data, {
    workDir: opts.outDir,
    resume: opts.resume,
    id: config.name,
    version,
    log,
    progress: opts.progress,
  });
  const groups = normaliseGroups(config.groups);
  const { finetune, figures: _figures, ...rest } = result.card;
  const card: ModelCard = {
    ...rest,
    created: new Date().toISOString(),
    description: `${heads.join(', ')} trained on many houses on the frozen encoder of ${baseRef}, whose heads (${baseNames.join(', ')}) are kept as they were`,
    appliances: result.card.appliances.map((h) =>
      heads.includes(h.name) && groups[h.name] ? { ...h, members: groups[h.name] } : h,
    ),
    ...(config.postprocess
      ? { postprocess: 'runs-v2' as const, postprocess_heads: heads }
      : { postprocess: undefined }),
    base: { model: baseRef, heads },
    training: {
      data: data.describe.train,
      licence: data.describe.licence,
      command: opts.command ?? '',
      // The base is in `base` by its reference (its directory is a path on the training machine).
      config: (({ data: _d, base: _b, ...c }) => c)(config),
      seed: config.seed,
      epochs: finetune!.epochs,
      best_epoch: finetune!.best_epoch,
      windows_seen: finetune!.epochs * config.schedule.stepsPerEpoch * config.batch,
      seconds: Math.round((performance.now() - t0) / 1000),
    },
    validation: {},
    validation_houses: undefined,
  };
  if (card.postprocess === undefined) delete card.postprocess;
  const kept = baseNames.filter((a) => !heads.includes(a));
  log(`refitting the power bands of ${kept.join(', ')} on the validation houses`);
  card.appliances = await refitBands(card, result.bytes, data.val, kept);
  if (opts.evaluateVal) Object.assign(card, await opts.evaluateVal(result.bytes, card));
  if (opts.evaluateTest) card.test = await opts.evaluateTest(result.bytes, card);
  const modelDir = join(opts.outDir, 'model');
  await mkdir(modelDir, { recursive: true });
  await writeFile(join(modelDir, 'model.onnx'), result.bytes);
  await writeFile(join(modelDir, 'card.json'), JSON.stringify(card, null, 2) + '\n');
  await writeFile(
    join(opts.outDir, 'metrics.jsonl'),
    result.history.map((h) => JSON.stringify(h)).join('\n') + '\n',
  );
  log(`model written to ${modelDir} (best epoch ${card.training.best_epoch})`);
  return {
    modelDir,
    card,
    history: result.history.map((h) => ({
      epoch: h.epoch,
      step: h.epoch * config.schedule.stepsPerEpoch,
      lr: config.optimizer.lr,
      train_loss: h.train_loss,
      val_loss: h.val_loss,
      val_head_loss: {},
      val_f1: {},
      val_mae_w: {},
      val_houses: {},
      windows_per_s: (config.schedule.stepsPerEpoch * config.batch) / h.seconds,
      seconds: h.seconds,
    })),
  };
}
