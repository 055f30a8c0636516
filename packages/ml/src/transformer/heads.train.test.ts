// Proves what a training config's `base` does (heads.train.ts) on a tiny model and a synthetic
// home: the new model keeps the base's heads (outputs bit for bit, not post-processed) and adds
// the trained one after them, the kept heads' power bands are refitted on validation data, its
// card says what was trained on what (and passes the card schema when read back from the model
// directory), a model trained on such a model retrains one of its heads and keeps post-processing
// the heads its base post-processed, `base.heads: []` revises the card alone (same graph bytes,
// every band refitted), and a config that would drop a base head, change the
// architecture or train a head it does not list is refused before anything is trained.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BAND_EDGES } from './calibration.js';
import { trainHeadsOnBase } from './heads.train.js';
import type { ModelCard } from './model.card.js';
import { syntheticHome } from './home.fixture.js';
import { writeRandomModel } from './model.fixture.js';
import { TrainConfigSchema, type TrainConfig } from './train.config.js';
import { readModelCard, TransformerModel } from './transformer.disaggregator.js';
import type { TrainData } from './transformer.train.js';

const work = mkdtempSync(join(tmpdir(), 'nilm-heads-train-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let base: ModelCard;
let baseBytes: Uint8Array;
/** The first test's model, the base of the third. */
let firstDir = '';
beforeAll(async () => {
  base = await writeRandomModel(join(work, 'base'));
  baseBytes = new Uint8Array(await readFile(join(work, 'base', 'model.onnx')));
});

/** `days` of a home: 150 W baseload with noise, a 120 W fridge on 15 of every 40 minutes. */
// The validation home also meters the kettle (never on), so the kept kettle head's band is refitted.
const valHome = syntheticHome(1, 7, 'val');
const data: TrainData = {
  train: [syntheticHome(2, 3, 'train')],
  val: [{ ...valHome, appliances: { ...valHome.appliances, kettle: new Float32Array(1440) } }],
  describe: { train: ['synthetic home'], licence: 'test' },
};

const config = (extra: object = {}): TrainConfig =>
  TrainConfigSchema.parse({
    name: 'tiny-many',
    version: '2',
    appliances: ['kettle', 'washing_machine', 'fridge'],
    base: { model: join(work, 'base') },
    postprocess: true,
    batch: 8,
    optimizer: { lr: 1e-2 },
    schedule: { epochs: 2, stepsPerEpoch: 5 },
    seed: 3,
    data: { train: ['unused'], licence: 'test' },
    ...extra,
  });

/** Expect `after` to estimate `heads` on a probe home exactly as `before` does. */
async function expectSameHeads(
  before: TransformerModel,
  after: TransformerModel,
  heads: readonly string[],
): Promise<void> {
  const probe = syntheticHome(1, 11, 'probe');
  const b = await before.disaggregate(probe);
  const a = await after.disaggregate(probe);
  for (const name of heads) {
    expect(a.appliances[name]!.power).toEqual(b.appliances[name]!.power);
    expect(a.appliances[name]!.onProb).toEqual(b.appliances[name]!.onProb);
  }
  await before.release();
  await after.release();
}

describe('trainHeadsOnBase', () => {
  it("keeps the base's heads bit for bit and unprocessed, adds the new one, and writes a valid card", async () => {
    const out = join(work, 'run');
    const r = await trainHeadsOnBase(config(), data, { outDir: out, command: 'test' });
    firstDir = r.modelDir;
    const card = await readModelCard(r.modelDir);
    expect(card.appliances.map((a) => a.name)).toEqual(['kettle', 'washing_machine', 'fridge']);
    expect(card).toMatchObject({
      id: 'tiny-many',
      version: '2',
      base: { model: 'tiny@1', heads: ['fridge'] },
      postprocess: 'runs-v2',
      postprocess_heads: ['fridge'],
      training: { data: ['synthetic home'], epochs: 2, windows_seen: 2 * 5 * 8, command: 'test' },
    });
    expect(card.finetune).toBeUndefined();
    // Three heads' parameters and work, not the two-head base's.
    expect(card.parameters).toBeGreaterThan(base.parameters);
    expect(card.gflop_per_window).toBeGreaterThan(base.gflop_per_window);
    // A kept head's band is refitted where validation meters it (kettle), kept where not.
    expect(card.appliances[0]!.band?.edges).toEqual(BAND_EDGES);
    expect(card.appliances[1]!.band).toEqual(base.appliances[1]!.band);
    const probe = syntheticHome(1, 11, 'probe');
    const after = await TransformerModel.load(r.modelDir);
    expect((await after.disaggregate(probe)).appliances.fridge!.power.length).toBe(
      probe.mains.length,
    );
    await expectSameHeads(await TransformerModel.fromBytes(base, baseBytes), after, [
      'kettle',
      'washing_machine',
    ]);
  });

  it("retrains a head of a base that was itself trained on a base, and keeps the base's runs", async () => {
    // A home whose kettle boils 3 minutes every hour, so the kettle head has data to learn from.
    const kettle = { name: 'kettle', watts: 2400, everyMin: 60, onMin: 3, phasePerSeed: 7 };
    const withKettle: TrainData = {
      ...data,
      train: [...data.train, syntheticHome(2, 5, 'kettle home', kettle)],
    };
    const r = await trainHeadsOnBase(
      config({ version: '3', base: { model: firstDir, heads: ['kettle'] } }),
      withKettle,
      { outDir: join(work, 'run3'), command: 'test' },
    );
    const card = await readModelCard(r.modelDir);
    expect(card).toMatchObject({
      version: '3',
      base: { model: 'tiny-many@2', heads: ['kettle'] },
      postprocess: 'runs-v2',
      postprocess_heads: ['kettle', 'fridge'],
    });
    // The kept heads serve what the base served, the post-processed fridge included.
    await expectSameHeads(
      await TransformerModel.load(firstDir),
      await TransformerModel.load(r.modelDir),
      ['washing_machine', 'fridge'],
    );
  });

  it('revises the card alone with base.heads: [] (same graph, bands refitted, rescored)', async () => {
    const r = await trainHeadsOnBase(
      config({ version: '4', base: { model: firstDir, heads: [] } }),
      data,
      { outDir: join(work, 'run4'), command: 'revise' },
    );
    const first = await readModelCard(firstDir);
    const card = await readModelCard(r.modelDir);
    expect(r.history).toEqual([]);
    expect(card).toMatchObject({
      version: '4',
      base: { model: 'tiny-many@2', heads: [] },
      sha256: first.sha256,
      postprocess: 'runs-v2',
      postprocess_heads: first.postprocess_heads,
      training: { ...first.training, command: 'revise' },
    });
    expect(new Uint8Array(await readFile(join(r.modelDir, 'model.onnx')))).toEqual(
      new Uint8Array(await readFile(join(firstDir, 'model.onnx'))),
    );
    // Kettle and fridge are metered on validation: refitted; the washing machine is not: kept.
    expect(card.appliances[0]!.band?.edges).toEqual(BAND_EDGES);
    expect(card.appliances[1]!.band).toEqual(first.appliances[1]!.band);
    await expectSameHeads(
      await TransformerModel.load(firstDir),
      await TransformerModel.load(r.modelDir),
      ['kettle', 'washing_machine', 'fridge'],
    );
  });

  it('refuses a config that drops a base head, changes the architecture or trains an unlisted head', async () => {
    const refused = async (extra: object, message: RegExp): Promise<void> => {
      await expect(
        trainHeadsOnBase(config(extra), data, { outDir: join(work, 'refused') }),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) });
    };
    await refused({ appliances: ['kettle', 'fridge'] }, /keeps its heads; add washing_machine/);
    await refused({ model: { window: 64 } }, /architecture is the base's/);
    await refused(
      { base: { model: join(work, 'base'), heads: ['microwave'] } },
      /base.heads: microwave not among/,
    );
  });
});
