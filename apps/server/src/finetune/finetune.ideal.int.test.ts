// Proves the loop on a real home through the product (issue 13, "Done when"): IDEAL House 65's
// first 14 days of June 2017 (../shared/data/ideal) are stored as the building's mains, and its
// electric shower's sub-meter as a smart plug's readings; the building uses model 2026.11.27
// (the previous default, no shower head), which is the base. An owner queues a fine-tune of the shower through the API, a worker's
// runner makes the building's model, and the scorecard, on the newest fifth of those days (never
// trained on), shows the fine-tuned model's F1 and MAE for the shower beating the base's.
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PinnedModelList } from '@nilm/contracts';
import { readDatasetCsvLenient } from '@nilm/ml';
import { openTestApp, type TestApp } from '../app.fixture.js';
import { FinetuneRunner } from './finetune.runner.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
// The shared data sits beside the repository on developer machines and in CI; not shipped.
const FILE = resolve(ROOT, '../shared/data/ideal/IDEAL_House65_2017-06.csv.gz');
const DAY = 86_400_000;

let t: TestApp;
let end = 0;
const quiet = { info: () => undefined, warn: () => undefined };

beforeAll(async () => {
  const { series } = await readDatasetCsvLenient(FILE);
  end = series.startMs + 14 * DAY;
  t = await openTestApp({ NILM_MODELS_DIR: join(ROOT, 'models') }, { now: () => end });
  const readings = [];
  const plug = [];
  for (let i = 0; i < 14 * 1440; i++) {
    const ts = series.startMs + i * 60_000;
    const m = series.mains[i]!;
    const s = series.appliances.electric_shower![i]!;
    if (Number.isFinite(m)) readings.push({ ts, powerW: m });
    if (Number.isFinite(s)) plug.push({ ts, powerW: s });
  }
  await t.parts.timeseries.writeReadings('home', readings);
  await t.parts.timeseries.writeSubmeter('home', 'electric_shower', plug);
}, 120_000);

afterAll(async () => t?.close(), 60_000);

describe('fine-tuning a real home through the product', () => {
  it('the shower, sub-metered for 14 days, beats the base model on the days it did not see', async () => {
    const headers = await t.auth('admin');
    const pinned = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/buildings/home',
      headers,
      payload: { model_ref: 'nilm-transformer@2026.11.27' },
    });
    expect(pinned.statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/buildings/home/finetune',
      headers,
      payload: { appliances: ['electric_shower'], epochs: 12 },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ base: 'nilm-transformer@2026.11.27' });
    const runner = new FinetuneRunner({ ...t.parts, workDir: join(t.dir, 'ft'), log: quiet });
    const ran = await runner.runNext('home');
    expect(ran?.error ?? null).toBeNull();
    expect(ran).toMatchObject({ status: 'done' });
    const { models } = (
      await t.app.inject({ url: '/api/v1/buildings/home/models', headers })
    ).json() as PinnedModelList;
    const card = models[0]!.scorecard;
    const { base, tuned } = card.appliances.electric_shower!;
    console.log(
      `IDEAL House 65 through the product, held out ${card.held_out.from} .. ${card.held_out.to} (${card.held_out.minutes} minutes):\n` +
        `  base F1 ${base.f1?.toFixed(3)} MAE ${base.mae_w?.toFixed(1)} W; fine-tuned F1 ${tuned.f1?.toFixed(3)} MAE ${tuned.mae_w?.toFixed(1)} W, ` +
        `energy ${tuned.energy_pred_kwh.toFixed(2)} of ${tuned.energy_true_kwh.toFixed(2)} kWh; trained ${models[0]!.training_seconds} s`,
    );
    expect(models[0]!.ref).toBe('nilm-transformer+home@1');
    expect(base.f1).toBe(0);
    expect(tuned.f1!).toBeGreaterThan(0.6);
    expect(tuned.mae_w!).toBeLessThan(base.mae_w!);
  }, 600_000);
});
