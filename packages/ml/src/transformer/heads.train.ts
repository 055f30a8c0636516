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
import { postprocessRuleOf } from './train.settings.js';

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

/** The 99th percentile of `values` (0 when empty). */
function p99(values: number[]): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(0.99 * values.length))]!;
}

/**
 * Power bands for `heads` refitted on `val` (the rule of `calibrateHeads`: the 90th percentile of
 * the error per bin of on_prob, widened to hold on-minutes and, below the on threshold, to what
 * the appliance draws), from the model's own served estimates. A head `val` never meters keeps
 * its band. What the appliance draws, for the bins below the threshold, is the larger of the
 * head's power scale (the training houses' 99th percentile of on-power) and the highest 99th
 * percentile of on-power of any one validation house: the base's heads learnt from one house,
 * and the next house's appliance may draw more (REFIT House 2's microwave 1.2 kW, House 18's
 * 1.44 kW), so its missed on-minutes would fall outside a band as wide as the training house's.
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
  const drawW: Record<string, number> = {};
  for (const h of heads) [p[h], err[h], on[h], drawW[h]] = [[], [], [], 0];
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
        const onW: number[] = [];
        for (let i = 0; i < truth.length; i++) {
          if (!Number.isFinite(truth[i]) || !Number.isFinite(est.power[i])) continue;
          p[h]!.push(est.onProb[i]!);
          err[h]!.push(Math.abs(est.power[i]! - truth[i]!));
          on[h]!.push(states[i]!);
          if (states[i]) onW.push(truth[i]!);
        }
        drawW[h] = Math.max(drawW[h]!, p99(onW));
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
              missW: Math.max(a.power_scale_w, Math.round(drawW[a.name]!)),
            }),
          },
        }
      : a,
  );
}

/**
 * The heads the new model post-processes: the trained ones, and the kept heads the base itself
 * post-processed (a base that was itself trained on a base serves its own new heads with runs),
 * so every kept head serves what the base served.
 */
function processedHeads(
  baseCard: ModelCard,
  names: readonly string[],
  trained: readonly string[],
): string[] {
  const base = baseCard.postprocess
    ? (baseCard.postprocess_heads ?? baseCard.appliances.map((a) => a.name))
    : [];
  return names.filter((n) => trained.includes(n) || base.includes(n));
}

/**
 * Refit the bands of `heads` on `val` (into `card`), score the validation and held-out houses
 * when asked, and write `outDir/model` (model.onnx and card.json); returns that directory.
 */
async function refitScoreWrite(
  card: ModelCard,
  bytes: Uint8Array,
  val: readonly Series[],
  heads: readonly string[],
  opts: HeadsTrainOptions,
): Promise<string> {
  card.appliances = await refitBands(card, bytes, val, heads);
  if (opts.evaluateVal) Object.assign(card, await opts.evaluateVal(bytes, card));
  if (opts.evaluateTest) card.test = await opts.evaluateTest(bytes, card);
  const modelDir = join(opts.outDir, 'model');
  await mkdir(modelDir, { recursive: true });
  await writeFile(join(modelDir, 'model.onnx'), bytes);
  await writeFile(join(modelDir, 'card.json'), JSON.stringify(card, null, 2) + '\n');
  return modelDir;
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
  const version = config.version ?? new Date().toISOString().slice(0, 10).replace(/-/g, '.');
  if (heads.length === 0 && baseCfg.heads !== undefined)
    return reviseCard(config, data, opts, { card: baseCard, bytes, ref: baseRef, version, t0 });
  if (heads.length === 0)
    throw new NilmError(
      'CONFIG_INVALID',
      `base.heads: nothing to train (the base ${baseRef} has every appliance listed; base.heads: [] revises its card)`,
    );
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
    description:
      `${heads.join(', ')} trained on many houses on the frozen encoder of ${baseRef}, whose heads (${baseNames.join(', ')}) are kept as they were` +
      (config.postprocess === 'runs-v3'
        ? '; served with runs-v3 (a tumble dryer is also found by its cool-down in the mains)'
        : ''),
    appliances: result.card.appliances.map((h) =>
      heads.includes(h.name) && groups[h.name] ? { ...h, members: groups[h.name] } : h,
    ),
    ...(config.postprocess
      ? {
          postprocess: postprocessRuleOf(config.postprocess),
          postprocess_heads: processedHeads(
            baseCard,
            result.card.appliances.map((a) => a.name),
            heads,
          ),
        }
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
  const modelDir = await refitScoreWrite(card, result.bytes, data.val, kept, opts);
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

/**
 * A card revision (`base.heads: []`): the base's graph bit for bit (the same model.onnx), every
 * head's power band refitted on the validation houses with the current rule, the validation and
 * held-out houses scored again. The card keeps the base's training record (its weights are the
 * base's) and its post-processing.
 */
async function reviseCard(
  config: TrainConfig,
  data: TrainData,
  opts: HeadsTrainOptions,
  base: { card: ModelCard; bytes: Uint8Array; ref: string; version: string; t0: number },
): Promise<TrainResult> {
  const log = opts.log ?? ((): void => undefined);
  const names = base.card.appliances.map((a) => a.name);
  const { figures: _figures, ...rest } = base.card;
  const card: ModelCard = {
    ...rest,
    id: config.name,
    version: base.version,
    created: new Date().toISOString(),
    description: `the graph of ${base.ref} bit for bit (${base.card.description ?? ''}); every head's power band refitted on the validation houses with the current rule`,
    base: { model: base.ref, heads: [] },
    training: { ...base.card.training, command: opts.command ?? base.card.training.command },
    validation: {},
    validation_houses: undefined,
  };
  log(`revising the card of ${base.ref}: refitting the power bands of ${names.join(', ')}`);
  const modelDir = await refitScoreWrite(card, base.bytes, data.val, names, opts);
  log(`model written to ${modelDir} (${Math.round((performance.now() - base.t0) / 1000)} s)`);
  return { modelDir, card, history: [] };
}
