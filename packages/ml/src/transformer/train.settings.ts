/**
 * What a training run is told: its settings (one schema, validated once), its data and options,
 * and what it reports per epoch and at the end. `resolveSettings` turns raw settings into the
 * validated settings and architecture and checks the data fits them.
 */
import { z } from 'zod';
import { canonicalAppliance } from '../data/appliances.js';
import type { Series } from '../data/series.js';
import { NilmError } from '../errors.js';
import type { ModelCard } from './model.card.js';
import { ArchitectureSchema, type Architecture } from './transformer.config.js';

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
    /**
     * Post-process estimates into runs at inference (`runs.postprocess.ts`); recorded in the card:
     * true is `runs-v2`; `runs-v3` adds the tumble dryer's cool-down rule.
     */
    postprocess: z.union([z.boolean(), z.enum(['runs-v2', 'runs-v3'])]).default(false),
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
/** Validated training settings. */
type TrainSettings = z.infer<typeof TrainSettingsSchema>;

/** A run's validated settings, architecture and head names (canonical). */
export interface ResolvedSettings {
  cfg: TrainSettings;
  arch: Architecture;
  appliances: string[];
}

/**
 * Validates the settings and the architecture, and checks that the data has the model's period
 * and meters every head somewhere; throws CONFIG_INVALID or a DATA_* error naming what is wrong.
 */
export function resolveSettings(settingsIn: unknown, data: TrainData): ResolvedSettings {
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
  checkData(data, arch, appliances);
  return { cfg, arch, appliances };
}

function checkData(data: TrainData, arch: Architecture, appliances: readonly string[]): void {
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
}

/** The card's post-processing rule of a config's `postprocess` (true: `runs-v2`). */
export function postprocessRuleOf(value: boolean | 'runs-v2' | 'runs-v3'): 'runs-v2' | 'runs-v3' {
  return value === 'runs-v3' ? 'runs-v3' : 'runs-v2';
}
