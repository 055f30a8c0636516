// Proves that a fine-tune adds a head outside the appliance vocabulary (a device the owner
// named) when the caller gives its label and on threshold: the head comes after the others,
// their outputs stay bit for bit, the card head carries the label and threshold given and a
// power scale from the data, the home scorecard scores it by that rule, and a heads entry that
// names a vocabulary appliance or is not trained is refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreOnHome } from '../eval/home.scorecard.js';
import type { ModelCard } from './model.card.js';
import { syntheticHome } from './home.fixture.js';
import { writeRandomModel } from './model.fixture.js';
import { finetuneTransformer, type FinetuneData } from './transformer.finetune.js';
import { TransformerModel } from './transformer.disaggregator.js';

const work = mkdtempSync(join(tmpdir(), 'nilm-finetune-heads-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let card: ModelCard;
let bytes: Uint8Array;
beforeAll(async () => {
  card = await writeRandomModel(join(work, 'base'));
  bytes = new Uint8Array(await readFile(join(work, 'base', 'model.onnx')));
});

const PUMP = 'Pond pump';
/** A 900 W pump on 20 of every 180 minutes. */
const pumpHome = (days: number, seed: number, source: string) =>
  syntheticHome(days, seed, source, {
    name: PUMP,
    watts: 900,
    everyMin: 180,
    onMin: 20,
    phasePerSeed: 13,
  });
/** `days` of a home: 150 W baseload with noise, a 900 W pump for 20 of every 180 minutes. */
const data: FinetuneData = { train: [pumpHome(3, 3, 'train')], val: [pumpHome(1, 7, 'val')] };
const head = { name: PUMP, label: PUMP, onThresholdW: 270 };
const settings = { appliances: [PUMP], heads: [head], epochs: 3, stepsPerEpoch: 6, batch: 8 };

describe('finetuneTransformer with a head outside the vocabulary', () => {
  it('adds it after the others with the label and threshold given, the others bit for bit', async () => {
    const r = await finetuneTransformer(
      { card, bytes },
      { ...settings, epochs: 12, stepsPerEpoch: 20, lr: 1e-2 },
      data,
      { workDir: join(work, 'a'), id: 'tiny+home', version: '1' },
    );
    expect(r.card.appliances.map((a) => a.name)).toEqual(['kettle', 'washing_machine', PUMP]);
    expect(r.card.finetune).toMatchObject({ heads: [PUMP], added: [PUMP] });
    const h = r.card.appliances[2]!;
    expect(h.label).toBe(PUMP);
    expect(h.on_threshold_w).toBe(270);
    expect(h.power_scale_w).toBe(900);
    // The kept heads' cards are the base's, as they were.
    expect(r.card.appliances.slice(0, 2)).toEqual(card.appliances);
    const before = await TransformerModel.fromBytes(card, bytes);
    const after = await TransformerModel.fromBytes(r.card, r.bytes);
    const probe = pumpHome(1, 11, 'probe');
    const b = await before.disaggregate(probe);
    const a = await after.disaggregate(probe);
    for (const name of ['kettle', 'washing_machine']) {
      expect(a.appliances[name]!.power).toEqual(b.appliances[name]!.power);
      expect(a.appliances[name]!.onProb).toEqual(b.appliances[name]!.onProb);
    }
    const rule = { onPowerW: 270, minOnS: 0, minOffS: 0 };
    const tuned = (await scoreOnHome(after, [probe], [PUMP], { [PUMP]: rule }))[PUMP]!;
    const base = (await scoreOnHome(before, [probe], [PUMP], { [PUMP]: rule }))[PUMP]!;
    expect(base.f1).toBe(0);
    expect(tuned.f1!).toBeGreaterThan(0.8);
    await after.release();
    await before.release();
  }, 300_000);

  it('refuses a heads entry that is a vocabulary appliance or is not trained', async () => {
    const run = (extra: object, dir: string) =>
      finetuneTransformer({ card, bytes }, { ...settings, ...extra }, data, {
        workDir: join(work, dir),
        id: 'x',
        version: '1',
      });
    await expect(
      run({ appliances: ['fridge'], heads: [{ ...head, name: 'Fridge' }] }, 'b1'),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: /vocabulary/ });
    await expect(run({ appliances: ['fridge'] }, 'b2')).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: /not among the appliances/,
    });
    // Without its heads entry the name is looked up in the vocabulary, as before.
    await expect(run({ heads: [] }, 'b3')).rejects.toMatchObject({ code: 'APPLIANCE_UNKNOWN' });
  }, 60_000);
});
