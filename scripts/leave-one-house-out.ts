// Leave one house out (issue 10): for every house that trains or validates a config, one model
// is trained without it (the config's own recipe, that house moved to the test split and taken
// out of the mixing sources) and scored on it with CO fitted on the same data. Houses already in
// the config's test split are scored by the shipped model itself, so together every house is
// scored by a model that never saw it. Prints one table row per house and head: model F1 / CO F1.
//
//   npx tsx scripts/leave-one-house-out.ts --config configs/default.yaml --out runs/loho [--only REFIT_House9,AMPds_House1]
//
// Each fold runs `nilm train` (about 3-8 minutes on this 2-core machine for the shipped
// config) and writes runs/loho/<house>/ with its config (JSON, which is YAML), metrics and model.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTrainConfig } from '../packages/ml/src/transformer/train.config.js';

/** Print what was wrong and what to do, then exit 2 (bad input), without a stack trace. */
function refuse(message: string): never {
  process.stderr.write(`leave-one-house-out: ${message}\n`);
  process.exit(2);
}

let values: { config?: string; out?: string; only?: string };
try {
  ({ values } = parseArgs({
    options: {
      config: { type: 'string', default: 'configs/default.yaml' },
      out: { type: 'string', default: 'runs/loho' },
      only: { type: 'string' },
    },
  }));
} catch (e) {
  refuse(`${(e as Error).message}; options: --config <file> --out <dir> [--only <house,...>]`);
}
// The config as `nilm train` reads it: every path absolute, defaults filled in.
let config: ReturnType<typeof loadTrainConfig>;
try {
  config = loadTrainConfig(values.config!);
} catch (e) {
  refuse(`${(e as Error).message} (--config ${values.config})`);
}
const out = resolve(values.out!);

/** A house's name in a file glob: REFIT_House9, IDEAL_House65, AMPds_House1. */
const houseOf = (glob: string): string => /([A-Za-z]+_House\d+)/.exec(basename(glob))?.[1] ?? glob;

const data = config.data;
const learnt = [...data.train, ...(data.val ?? [])];
// Every house that trains or validates gets a fold; a house only in the test split (REFIT House
// 20, IDEAL House 175) is already unseen and scored in the shipped model's card.
const folds = [...new Set(learnt.map(houseOf))].filter(
  (h) => !values.only || values.only.split(',').includes(h),
);
if (config.base && folds.includes('REFIT_House2'))
  console.log('note: REFIT_House2 trained the base model, so its encoder has seen that house');

for (const house of folds) {
  const dir = join(out, house);
  if (existsSync(join(dir, 'model', 'card.json'))) continue;
  mkdirSync(dir, { recursive: true });
  const without = (list: readonly string[]): string[] => list.filter((g) => houseOf(g) !== house);
  const mix = data.mix && {
    ...data.mix,
    activations: data.mix.activations.map((a) => {
      const from = without(a.from);
      const testFrom = a.testFrom ?? a.from;
      // A source that was only this house: its activations come from the test sources instead.
      return { ...a, from: from.length > 0 ? from : testFrom, testFrom };
    }),
  };
  const fold = {
    ...config,
    version: `loho-${house}`,
    data: {
      ...data,
      train: without(data.train),
      val: without(data.val ?? []),
      // The house's every file, its test-split ones too (AMPds has a training week and a test day).
      test: [...learnt, ...(data.test ?? [])].filter((g) => houseOf(g) === house),
      ...(mix && { mix }),
    },
  };
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(fold, null, 2));
  console.log(`fold ${house}: training without it`);
  execFileSync('npx', ['nilm', 'train', '--config', file, '--out', dir], {
    stdio: ['ignore', 'inherit', 'ignore'],
  });
}

// The table: every fold's held-out house (real, not its mixed copies), then the config's own
// test houses as the shipped model scored them (its card).
interface HouseRow {
  source: string;
  appliances?: Record<string, { f1: number | null }>;
  'baseline:co'?: Record<string, { f1: number | null }>;
}
const rows: Array<[string, HouseRow]> = [];
for (const house of folds) {
  const card = join(out, house, 'model', 'card.json');
  if (!existsSync(card)) continue;
  const test = JSON.parse(readFileSync(card, 'utf8')).test as { houses: HouseRow[] };
  for (const h of test.houses.filter((x) => !x.source.includes('+ mix'))) rows.push([house, h]);
}
const heads = config.appliances;
const cell = (v: number | null | undefined): string =>
  v === null || v === undefined ? '–' : v.toFixed(2);
console.log(`| house | ${heads.join(' | ')} |`);
console.log(`|---${'|---'.repeat(heads.length)}|`);
for (const [house, h] of rows) {
  const cells = heads.map((a) => {
    const m = h.appliances?.[a];
    if (!m) return '';
    return `${cell(m.f1)} / ${cell(h['baseline:co']?.[a]?.f1)}`;
  });
  console.log(`| ${house} (${basename(h.source)}) | ${cells.join(' | ')} |`);
}
