/**
 * The training config file (`nilm train --config <file.yaml>`): data files and split plus the
 * training settings, validated by one schema. Paths are relative to the config file.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  activationsFromSeries,
  activationsFromTrace,
  type Activation,
} from '../data/activations.extractor.js';
import { groupAppliances, normaliseGroups } from '../data/appliance.groups.js';
import { canonicalAppliance } from '../data/appliances.js';
import { loadDataset, resolveDataFiles } from '../data/dataset.js';
import { generateTumbleDryerRuns } from '../data/dryer.generator.js';
import { readTracebaseTrace } from '../data/tracebase.reader.js';
import { GENERATED_LOADS, mixHouses, type MixPlan } from '../data/training.mix.js';
import { sliceSeries, type Series } from '../data/series.js';
import { NilmError } from '../errors.js';
import { ArchitectureSchema } from './transformer.config.js';
import { TrainSettingsSchema, type TrainData } from './transformer.train.js';

export const TrainConfigSchema = TrainSettingsSchema.extend({
  /**
   * Train only some heads, on the frozen encoder of this model (`heads.train.ts`): `model` is
   * its directory (holding card.json and model.onnx), `heads` the heads that learn (default: the
   * config's appliances the base lacks). The base's heads are kept bit for bit. `heads: []`
   * trains nothing: a card revision of the base (its graph bit for bit, every head's power band
   * refitted on the validation houses with the current rule, the held-out houses rescored).
   */
  base: z
    .object({ model: z.string().min(1), heads: z.array(z.string()).optional() })
    .strict()
    .optional(),
  data: z
    .object({
      /** Files, directories or globs to train on. */
      train: z.array(z.string()).min(1),
      /** Validation data; default: the last `valFraction` of each training house. */
      val: z.array(z.string()).optional(),
      valFraction: z.number().min(0.01).max(0.5).default(0.1),
      /**
       * With `val` given: also hold out the last `valFraction` (in time) of every training house
       * with at least this many days of samples, so that long houses validate the heads they
       * meter while short ones stay whole (default: off).
       */
      valTailMinDays: z.number().positive().optional(),
      /** Held-out data (a house never seen) scored into the model card. */
      test: z.array(z.string()).optional(),
      /**
       * Sub-meters not to trust, by house: a key is part of a house's source (its file name or
       * `<DATASET>_House<N>`), the value the appliances whose columns are left out there (that
       * head's loss is then masked in that house). For example IDEAL's washing machine and
       * dishwasher columns, which often equal the whole-house value (clipping).
       */
      dropColumns: z.record(z.string(), z.array(z.string())).default({}),
      licence: z.string().min(1),
      /**
       * Synthetic mixing (see `training.mix.ts`): copies of each house with activations and
       * generated loads of appliances it does not meter. Validation and test houses are mixed
       * too, with their own seeds and (for the test) their own activation sources.
       */
      mix: z
        .object({
          seed: z.number().int().default(1),
          copies: z.number().int().min(0).max(8).default(1),
          activations: z
            .array(
              z
                .object({
                  appliance: z.string(),
                  /** Files or globs: single-appliance traces (tracebase) or houses that meter it. */
                  from: z.array(z.string()).min(1),
                  /** Sources for the test houses' copies (default: `from`). */
                  testFrom: z.array(z.string()).optional(),
                  perDay: z.number().positive().default(1),
                  share: z.number().min(0).max(1).default(0.5),
                  /**
                   * Amplitude augmentation [lo, hi] for the training and validation copies: each
                   * activation is scaled by a factor drawn in it. The test copies get their
                   * activations as recorded.
                   */
                  scale: z
                    .tuple([z.number().positive(), z.number().positive()])
                    .refine(([lo, hi]) => lo <= hi, 'scale is [lo, hi] with lo <= hi')
                    .optional(),
                  /**
                   * Runs made by the appliance's physical model (tumble_dryer:
                   * `dryer.generator.ts`) that join the recorded ones in the training and
                   * validation pool, seeded by `mix.seed`. The test copies get recorded runs only.
                   */
                  generated: z.number().int().min(0).max(10_000).optional(),
                })
                .strict(),
            )
            .default([]),
          generators: z
            .array(
              z
                .object({
                  load: z.enum(GENERATED_LOADS),
                  share: z.number().min(0).max(1).default(0.3),
                })
                .strict(),
            )
            .default([]),
        })
        .strict()
        .optional(),
    })
    .strict(),
});

export type TrainConfig = z.infer<typeof TrainConfigSchema>;

/** Read, parse and validate a config file; every problem names the file and the key. */
export function loadTrainConfig(file: string): TrainConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new NilmError('CONFIG_INVALID', `${file}: cannot read the config file`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new NilmError('CONFIG_INVALID', `${file}: not valid YAML: ${(e as Error).message}`);
  }
  const parsed = TrainConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new NilmError(
      'CONFIG_INVALID',
      `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const arch = ArchitectureSchema.safeParse(parsed.data.model ?? {});
  if (!arch.success) {
    const issue = arch.error.issues[0]!;
    throw new NilmError(
      'CONFIG_INVALID',
      `${file}: model.${issue.path.join('.')}: ${issue.message}`,
    );
  }
  const base = dirname(resolve(file));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const d = parsed.data.data;
  return {
    ...parsed.data,
    ...(parsed.data.base && { base: { ...parsed.data.base, model: abs(parsed.data.base.model) } }),
    data: {
      ...d,
      train: d.train.map(abs),
      val: d.val?.map(abs),
      test: d.test?.map(abs),
      mix: d.mix && {
        ...d.mix,
        activations: d.mix.activations.map((a) => ({
          ...a,
          from: a.from.map(abs),
          testFrom: a.testFrom?.map(abs),
        })),
      },
    },
  };
}

async function loadAll(
  specs: readonly string[],
  periodS: number,
  log?: (m: string) => void,
  dropColumns: Readonly<Record<string, readonly string[]>> = {},
): Promise<Series[]> {
  const out: Series[] = [];
  // Columns outside the vocabulary (REFIT's HiFi, KettleToaster...) are left out with a note.
  for (const spec of specs)
    for (const s of await loadDataset(spec, { periodS, log, unknownColumns: 'warn' })) {
      const drop = Object.entries(dropColumns)
        .filter(([key]) => s.source.includes(key))
        .flatMap(([, names]) => names.map(canonicalAppliance));
      if (drop.length === 0) {
        out.push(s);
        continue;
      }
      const appliances = { ...s.appliances };
      for (const a of drop) delete appliances[a];
      log?.(`${s.source}: left out ${drop.join(', ')} (data.dropColumns)`);
      out.push({ ...s, appliances });
    }
  return out;
}

/** `count` runs of `appliance` from its physical model; refused for one without a model. */
function generatedActivations(
  appliance: string,
  count: number,
  periodS: number,
  seed: number,
): Activation[] {
  const name = canonicalAppliance(appliance);
  if (name !== 'tumble_dryer')
    throw new NilmError(
      'CONFIG_INVALID',
      `data.mix.activations: generated runs exist for tumble_dryer only, not ${name}; remove generated`,
    );
  return generateTumbleDryerRuns(count, periodS, seed);
}

/** Activations of `appliance` from trace files (tracebase) or houses that meter it. */
async function loadActivations(
  appliance: string,
  specs: readonly string[],
  periodS: number,
  log?: (m: string) => void,
): Promise<Activation[]> {
  const name = canonicalAppliance(appliance);
  const out: Activation[] = [];
  for (const spec of specs) {
    const files = resolveDataFiles(spec);
    const traces = files.filter((f) => /tracebase_/i.test(basename(f)));
    for (const f of traces) {
      const t = await readTracebaseTrace(f);
      if (t.periodS === periodS) out.push(...activationsFromTrace({ ...t, appliance: name }));
    }
    if (traces.length < files.length)
      for (const s of await loadDataset(spec, { periodS, log, unknownColumns: 'warn' }))
        out.push(...activationsFromSeries(s, name));
  }
  return out;
}

/**
 * Load the config's data at the model's period, split off validation data, mix synthetic loads
 * into houses that lack them (when `data.mix` asks), and sum grouped appliances into their
 * heads' channels (`groups`).
 */
export async function prepareTrainData(
  config: TrainConfig,
  log?: (m: string) => void,
): Promise<TrainData> {
  const periodS = ArchitectureSchema.parse(config.model ?? {}).periodS;
  const drop = config.data.dropColumns;
  const all = await loadAll(config.data.train, periodS, log, drop);
  let train = all;
  let val: Series[];
  if (config.data.val) {
    val = await loadAll(config.data.val, periodS, log, drop);
    const minDays = config.data.valTailMinDays;
    if (minDays !== undefined) {
      train = [];
      const tails: Series[] = [];
      for (const s of all) {
        if ((s.mains.length * s.periodS) / 86_400 < minDays) {
          train.push(s);
          continue;
        }
        const cut = Math.floor(s.mains.length * (1 - config.data.valFraction));
        train.push(sliceSeries(s, 0, cut));
        tails.push({
          ...sliceSeries(s, cut, s.mains.length),
          source: `${s.source} (last ${Math.round(100 * config.data.valFraction)} %)`,
        });
      }
      val = [...tails, ...val];
    }
  } else {
    // Hold out the end of each house in time: validation never overlaps the training windows.
    train = [];
    val = [];
    for (const s of all) {
      const cut = Math.floor(s.mains.length * (1 - config.data.valFraction));
      train.push(sliceSeries(s, 0, cut));
      val.push(sliceSeries(s, cut, s.mains.length));
    }
  }
  let test = config.data.test ? await loadAll(config.data.test, periodS, log, drop) : undefined;
  const groups = normaliseGroups(config.groups);
  const mix = config.data.mix;
  if (mix) {
    const pools = async (which: 'from' | 'testFrom'): Promise<MixPlan['activations']> =>
      Promise.all(
        mix.activations.map(async (a) => ({
          appliance: a.appliance,
          pool: [
            ...(await loadActivations(
              a.appliance,
              (which === 'testFrom' && a.testFrom) || a.from,
              periodS,
              log,
            )),
            ...(which === 'from' && a.generated
              ? generatedActivations(a.appliance, a.generated, periodS, mix.seed)
              : []),
          ],
          perDay: a.perDay,
          share: a.share,
          ...(which === 'from' && a.scale && { scale: a.scale }),
        })),
      );
    const trainPools = await pools('from');
    for (const p of trainPools) log?.(`mixing: ${p.pool.length} ${p.appliance} activations`);
    const plan = (seed: number, activations: MixPlan['activations']): MixPlan => ({
      seed,
      copies: mix.copies,
      activations,
      generators: mix.generators,
    });
    train = mixHouses(train, plan(mix.seed, trainPools), groups);
    val = mixHouses(val, plan(mix.seed + 1, trainPools), groups);
    if (test) test = mixHouses(test, plan(mix.seed + 2, await pools('testFrom')), groups);
  }
  const grouped = (list: Series[]): Series[] => list.map((s) => groupAppliances(s, groups));
  const shown = (ps: readonly string[]): string[] => ps.map((p) => relative(process.cwd(), p) || p);
  return {
    train: grouped(train),
    val: grouped(val),
    test: test && grouped(test),
    describe: {
      train: shown(config.data.train),
      test: config.data.test && shown(config.data.test),
      licence: config.data.licence,
    },
  };
}
