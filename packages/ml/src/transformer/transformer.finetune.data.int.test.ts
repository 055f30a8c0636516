// Proves fine-tuning on a real home (issue 13): IDEAL House 65 (June 2017, ../shared/data/ideal)
// with its electric shower sub-metered for 7 days. The shipped default model has no shower
// head; fine-tuning adds one from those 7 days alone (the last day held out for choosing the
// epoch and calibrating), and on the 7 days that follow, which it never saw, its F1 and MAE for
// the shower beat the base model's (which estimates nothing for a shower: F1 0, MAE = the
// shower's mean power). The figures are printed; the thresholds are the claim.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDatasetCsvLenient } from '../data/csv.reader.js';
import { sliceSeries, type Series } from '../data/series.js';
import { scoreOnHome } from '../eval/home.scorecard.js';
import { finetuneTransformer } from './transformer.finetune.js';
import { readModelCard, TransformerModel } from './transformer.disaggregator.js';

// The shared data sits beside the repository (../shared/data from its root) on developer
// machines and in CI; it is not shipped, so no user-facing code reads it.
const ROOT = resolve(import.meta.dirname, '../../../..');
const FILE = resolve(ROOT, '../shared/data/ideal/IDEAL_House65_2017-06.csv.gz');
const BASE = join(ROOT, 'models/nilm-transformer/2026.11.27');
const DAY = 1440;
const work = mkdtempSync(join(tmpdir(), 'nilm-finetune-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const only = (s: Series, a: string): Series => ({ ...s, appliances: { [a]: s.appliances[a]! } });

describe('fine-tuning on a real home', () => {
  it('adds an electric shower head from 7 sub-metered days that beats the base model on the 7 days after', async () => {
    const all = (await readDatasetCsvLenient(FILE)).series;
    const a = 'electric_shower';
    expect(all.appliances[a]).toBeDefined();
    const card = await readModelCard(BASE);
    const bytes = new Uint8Array(await readFile(join(BASE, 'model.onnx')));
    expect(card.appliances.map((h) => h.name)).not.toContain(a);
    const train = only(sliceSeries(all, 0, 6 * DAY), a);
    const val = only(sliceSeries(all, 6 * DAY, 7 * DAY), a);
    const after = only(sliceSeries(all, 7 * DAY, 14 * DAY), a);
    const t0 = performance.now();
    const r = await finetuneTransformer(
      { card, bytes },
      { appliances: [a], epochs: 12, stepsPerEpoch: 40, seed: 1 },
      { train: [train], val: [val] },
      { workDir: join(work, 'shower'), id: `${card.id}+house65`, version: '1' },
    );
    const seconds = (performance.now() - t0) / 1000;
    const tuned = await TransformerModel.fromBytes(r.card, r.bytes);
    const baseModel = await TransformerModel.fromBytes(card, bytes);
    const before = (await scoreOnHome(baseModel, [after], [a]))[a]!;
    const now = (await scoreOnHome(tuned, [after], [a]))[a]!;
    console.log(
      `IDEAL House 65 electric shower, 7 days after the 7 it was tuned on (${now.minutes} minutes):\n` +
        `  base ${card.id}@${card.version}: F1 ${before.f1?.toFixed(3)}, MAE ${before.mae_w?.toFixed(1)} W, energy ${before.energy_pred_kwh.toFixed(2)} of ${before.energy_true_kwh.toFixed(2)} kWh\n` +
        `  fine-tuned: F1 ${now.f1?.toFixed(3)}, MAE ${now.mae_w?.toFixed(1)} W, energy ${now.energy_pred_kwh.toFixed(2)} kWh; ${r.history.length} epochs, best ${r.card.finetune?.best_epoch}, ${seconds.toFixed(1)} s`,
    );
    expect(r.card.appliances.map((h) => h.name)).toEqual([
      ...card.appliances.map((h) => h.name),
      a,
    ]);
    expect(before.f1).toBe(0);
    expect(now.f1!).toBeGreaterThan(0.7);
    expect(now.mae_w!).toBeLessThan(0.6 * before.mae_w!);
    expect(Math.abs(now.energy_error!)).toBeLessThan(0.25);
  }, 600_000);
});
