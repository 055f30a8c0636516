// Proves that an owner's labels alone teach a head (issue 13.2/13.4), with no sub-meter: IDEAL
// House 65 (June 2017, ../shared/data/ideal), whose electric shower the shipped default model
// lacks. Its sub-meter is used only to place the labels an owner would draw: each shower run of
// the first 7 days becomes a "this was the electric shower" label (on/off only: its power stays
// unknown), and the 3 hours either side of each run where the shower is off become "nothing of
// it here" labels. Fine-tuned from those labels (6 days to learn, the 7th to choose the epoch and
// calibrate), the added shower head is scored on the 7 days after, which it never saw, against
// the sub-meter, beside the base model (which estimates no shower: F1 0, MAE the shower's mean
// power). The figures are printed; the thresholds are the claim. Integration tier: the
// fine-tune trains for about a minute on 2 cores.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDatasetCsvLenient } from '../data/csv.reader.js';
import { sliceSeries, type Series } from '../data/series.js';
import { scoreOnHome } from '../eval/home.scorecard.js';
import { finetuneTransformer, type FinetuneSeries } from './transformer.finetune.js';
import { readModelCard, TransformerModel } from './transformer.disaggregator.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const FILE = resolve(ROOT, '../shared/data/ideal/IDEAL_House65_2017-06.csv.gz');
const BASE = join(ROOT, 'models/nilm-transformer/2026.11.27');
const DAY = 1440;
/** The sub-meter reads the shower on above this (it draws about 8 kW when it runs). */
const ON_W = 1000;
/** Minutes of "nothing here" either side of a labelled run. */
const MARGIN = 180;
const work = mkdtempSync(join(tmpdir(), 'nilm-finetune-labels-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The labels an owner would draw over `days` of `s`: its runs on, the hours around them off. */
function labelled(s: Series, a: string, days: number): { series: FinetuneSeries; runs: number } {
  const n = days * DAY;
  const truth = s.appliances[a]!;
  const power = new Float32Array(n).fill(NaN);
  const on = new Uint8Array(n);
  let runs = 0;
  for (let i = 0; i < n; i++) {
    if (!(truth[i]! > ON_W) || truth[i - 1]! > ON_W) continue;
    runs++;
    let j = i;
    while (j < n && truth[j]! > ON_W) on[j++] = 1;
    for (let k = Math.max(0, i - MARGIN); k < Math.min(n, j + MARGIN); k++)
      if (!on[k] && !(truth[k]! > ON_W)) power[k] = 0;
  }
  // A minute between a run's label and its margin that the sub-meter reads between 0 and ON_W
  // (the shower ramping) is left unknown rather than called off.
  for (let i = 0; i < n; i++) if (power[i] === 0 && truth[i]! > 50) power[i] = NaN;
  const head = sliceSeries(s, 0, n);
  return {
    series: { ...head, appliances: { [a]: power }, onLabelled: { [a]: on } },
    runs,
  };
}

function part(s: FinetuneSeries, a: string, from: number, to: number): FinetuneSeries {
  return {
    ...sliceSeries(s, from, to),
    onLabelled: { [a]: s.onLabelled![a]!.subarray(from, to) },
  };
}

describe('fine-tuning from labels alone', () => {
  it('adds an electric shower head from on and off labels that beats the base model on the 7 days after', async () => {
    const all = (await readDatasetCsvLenient(FILE)).series;
    const a = 'electric_shower';
    const card = await readModelCard(BASE);
    const bytes = new Uint8Array(await readFile(join(BASE, 'model.onnx')));
    expect(card.appliances.map((h) => h.name)).not.toContain(a);
    const { series, runs } = labelled(all, a, 7);
    const t0 = performance.now();
    const r = await finetuneTransformer(
      { card, bytes },
      { appliances: [a], epochs: 12, stepsPerEpoch: 40, seed: 1 },
      { train: [part(series, a, 0, 6 * DAY)], val: [part(series, a, 6 * DAY, 7 * DAY)] },
      { workDir: join(work, 'shower'), id: `${card.id}+house65`, version: '1' },
    );
    const seconds = (performance.now() - t0) / 1000;
    const after = sliceSeries(all, 7 * DAY, 14 * DAY);
    const scored = { ...after, appliances: { [a]: after.appliances[a]! } };
    const tuned = await TransformerModel.fromBytes(r.card, r.bytes);
    const baseModel = await TransformerModel.fromBytes(card, bytes);
    const before = (await scoreOnHome(baseModel, [scored], [a]))[a]!;
    const now = (await scoreOnHome(tuned, [scored], [a]))[a]!;
    const labelledOn = series.onLabelled![a]!.reduce((n, v) => n + v, 0);
    const labelledOff = series.appliances[a]!.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
    console.log(
      `IDEAL House 65 electric shower from labels alone (${runs} runs labelled on, ${labelledOn} minutes; ${labelledOff} minutes labelled off; no sub-meter), scored on the 7 days after (${now.minutes} minutes):\n` +
        `  base ${card.id}@${card.version}: F1 ${before.f1?.toFixed(3)}, MAE ${before.mae_w?.toFixed(1)} W, energy ${before.energy_pred_kwh.toFixed(2)} of ${before.energy_true_kwh.toFixed(2)} kWh\n` +
        `  fine-tuned: F1 ${now.f1?.toFixed(3)}, MAE ${now.mae_w?.toFixed(1)} W, energy ${now.energy_pred_kwh.toFixed(2)} kWh; power scale ${r.card.appliances.at(-1)!.power_scale_w} W; ${r.history.length} epochs, best ${r.card.finetune?.best_epoch}, ${seconds.toFixed(1)} s`,
    );
    expect(runs).toBeGreaterThanOrEqual(6);
    expect(before.f1).toBe(0);
    expect(now.f1!).toBeGreaterThan(0.6);
    expect(now.mae_w!).toBeLessThan(before.mae_w!);
  }, 600_000);

  it('refuses labels that only say "nothing here"', async () => {
    const all = (await readDatasetCsvLenient(FILE)).series;
    const a = 'electric_shower';
    const card = await readModelCard(BASE);
    const bytes = new Uint8Array(await readFile(join(BASE, 'model.onnx')));
    const { series } = labelled(all, a, 7);
    const offOnly = (s: FinetuneSeries): FinetuneSeries => {
      const p = Float32Array.from(s.appliances[a]!, (v, i) => (s.onLabelled![a]![i] ? NaN : v));
      return { ...s, appliances: { [a]: p }, onLabelled: {} };
    };
    await expect(
      finetuneTransformer(
        { card, bytes },
        { appliances: ['dishwasher'], epochs: 1, stepsPerEpoch: 1, seed: 1 },
        {
          train: [offOnly(part(series, a, 0, 6 * DAY))].map((s) => ({
            ...s,
            appliances: { dishwasher: s.appliances[a]! },
          })),
          val: [offOnly(part(series, a, 6 * DAY, 7 * DAY))].map((s) => ({
            ...s,
            appliances: { dishwasher: s.appliances[a]! },
          })),
        },
        { workDir: join(work, 'off-only'), id: `${card.id}+house65`, version: '1' },
      ),
    ).rejects.toMatchObject({
      code: 'DATA_EMPTY',
      message: /nothing in the training data says when "dishwasher" ran/,
    });
  }, 120_000);
});
