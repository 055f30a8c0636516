/**
 * The training config file (`nilm train --config <file.yaml>`): data files and split plus the
 * training settings, validated by one schema. Paths are relative to the config file.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadDataset } from '../data/dataset.js';
import { sliceSeries, type Series } from '../data/series.js';
import { NilmError } from '../errors.js';
import { ArchitectureSchema } from './transformer.config.js';
import { TrainSettingsSchema, type TrainData } from './transformer.train.js';

export const TrainConfigSchema = TrainSettingsSchema.extend({
  data: z
    .object({
      /** Files, directories or globs to train on. */
      train: z.array(z.string()).min(1),
      /** Validation data; default: the last `valFraction` of each training house. */
      val: z.array(z.string()).optional(),
      valFraction: z.number().min(0.01).max(0.5).default(0.1),
      /** Held-out data (a house never seen) scored into the model card. */
      test: z.array(z.string()).optional(),
      licence: z.string().min(1),
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
    data: { ...d, train: d.train.map(abs), val: d.val?.map(abs), test: d.test?.map(abs) },
  };
}

async function loadAll(
  specs: readonly string[],
  periodS: number,
  log?: (m: string) => void,
): Promise<Series[]> {
  const out: Series[] = [];
  for (const spec of specs) out.push(...(await loadDataset(spec, { periodS, log })));
  return out;
}

/** Load the config's data at the model's period and split off validation data. */
export async function prepareTrainData(
  config: TrainConfig,
  log?: (m: string) => void,
): Promise<TrainData> {
  const periodS = ArchitectureSchema.parse(config.model ?? {}).periodS;
  const all = await loadAll(config.data.train, periodS, log);
  let train = all;
  let val: Series[];
  if (config.data.val) {
    val = await loadAll(config.data.val, periodS, log);
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
  const test = config.data.test ? await loadAll(config.data.test, periodS, log) : undefined;
  const shown = (ps: readonly string[]): string[] => ps.map((p) => relative(process.cwd(), p) || p);
  return {
    train,
    val,
    test,
    describe: {
      train: shown(config.data.train),
      test: config.data.test && shown(config.data.test),
      licence: config.data.licence,
    },
  };
}
