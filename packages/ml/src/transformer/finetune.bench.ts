/**
 * How long a fine-tune takes on a month of one home (issue 13.4's bound: under 5 minutes on 2
 * cores): IDEAL House 65's June 2017 (../shared/data, present on developer machines only), its
 * electric shower sub-metered, the shipped default model as the base (which has no shower head,
 * so one is added), the job's default settings; 27 days to learn from, the next 3 held out.
 * Prints wall time, peak memory and the held-out F1/MAE, for each of `ROUNDS` runs.
 * Run: `npx tsx packages/ml/src/transformer/finetune.bench.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readDatasetCsvLenient } from '../data/csv.reader.js';
import { sliceSeries, type Series } from '../data/series.js';
import { scoreOnHome } from '../eval/home.scorecard.js';
import { readModelCard, TransformerModel } from './transformer.disaggregator.js';
import { finetuneTransformer } from './transformer.finetune.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const FILE = resolve(ROOT, '../shared/data/ideal/IDEAL_House65_2017-06.csv.gz');
const BASE = join(ROOT, 'models/nilm-transformer/2026.11.27');
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DAY = 1440;
const A = 'electric_shower';

const only = (s: Series): Series => ({ ...s, appliances: { [A]: s.appliances[A]! } });
const all = (await readDatasetCsvLenient(FILE)).series;
const card = await readModelCard(BASE);
const bytes = new Uint8Array(await readFile(join(BASE, 'model.onnx')));
const train = only(sliceSeries(all, 0, 24 * DAY));
const val = only(sliceSeries(all, 24 * DAY, 27 * DAY));
const after = only(sliceSeries(all, 27 * DAY, all.mains.length));
for (let r = 0; r < ROUNDS; r++) {
  const work = mkdtempSync(join(tmpdir(), 'nilm-finetune-bench-'));
  const t0 = performance.now();
  const out = await finetuneTransformer(
    { card, bytes },
    { appliances: [A] },
    { train: [train], val: [val] },
    { workDir: work, id: 'bench', version: '1' },
  );
  const seconds = (performance.now() - t0) / 1000;
  const score = (
    await scoreOnHome(await TransformerModel.fromBytes(out.card, out.bytes), [after], [A])
  )[A]!;
  console.log(
    `round ${r + 1}: ${seconds.toFixed(1)} s for ${out.history.length} epochs on 24 days, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; ` +
      `held-out ${score.minutes} minutes: F1 ${score.f1?.toFixed(3)}, MAE ${score.mae_w?.toFixed(1)} W`,
  );
  rmSync(work, { recursive: true, force: true });
}
