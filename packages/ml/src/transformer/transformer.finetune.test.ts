// Proves the fine-tune job's rules on a tiny model and a synthetic home (a 2-head model, a
// fridge-like load it has no head for): the new head is added after the others, the other heads'
// outputs do not change by a single bit, the same seed gives the same model byte for byte, a run
// stopped after an epoch and resumed gives the model an uninterrupted run gives, the time bound
// stops it, and bad input is refused with a clear error before anything is trained.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreOnHome } from '../eval/home.scorecard.js';
import type { ModelCard } from './model.card.js';
import { syntheticHome } from './home.fixture.js';
import { writeRandomModel } from './model.fixture.js';
import {
  finetuneTransformer,
  readModelWeights,
  type FinetuneData,
} from './transformer.finetune.js';
import { TransformerModel } from './transformer.disaggregator.js';

const work = mkdtempSync(join(tmpdir(), 'nilm-finetune-unit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let card: ModelCard;
let bytes: Uint8Array;
beforeAll(async () => {
  card = await writeRandomModel(join(work, 'base'));
  bytes = new Uint8Array(await readFile(join(work, 'base', 'model.onnx')));
});

/** `days` of a home: 150 W baseload with noise, a 120 W fridge on 15 of every 40 minutes. */
const data: FinetuneData = {
  train: [syntheticHome(2, 3, 'train')],
  val: [syntheticHome(1, 7, 'val')],
};
const settings = { appliances: ['fridge'], epochs: 3, stepsPerEpoch: 6, batch: 8, seed: 5 };
const run = (
  dir: string,
  extra: object = {},
  more: Partial<Parameters<typeof finetuneTransformer>[3]> = {},
) =>
  finetuneTransformer({ card, bytes }, { ...settings, ...extra }, data, {
    workDir: join(work, dir),
    id: 'tiny+home',
    version: '1',
    ...more,
  });

describe('finetuneTransformer', () => {
  it('adds a head after the others, leaves their outputs bit for bit, and learns the new load', async () => {
    const r = await run('a', { epochs: 15, stepsPerEpoch: 20, lr: 1e-2 });
    expect(r.card.appliances.map((a) => a.name)).toEqual(['kettle', 'washing_machine', 'fridge']);
    expect(r.card.finetune).toMatchObject({ base: 'tiny@1', heads: ['fridge'], added: ['fridge'] });
    expect(r.card.id).toBe('tiny+home');
    // A third head's weights and work are counted, not the two-head base's.
    expect(r.card.gflop_per_window).toBeGreaterThan(card.gflop_per_window);
    expect(r.card.parameters).toBeGreaterThan(0);
    const before = await TransformerModel.fromBytes(card, bytes);
    const after = await TransformerModel.fromBytes(r.card, r.bytes);
    const probe = syntheticHome(1, 11, 'probe');
    const b = await before.disaggregate(probe);
    const a = await after.disaggregate(probe);
    for (const name of ['kettle', 'washing_machine']) {
      expect(a.appliances[name]!.power).toEqual(b.appliances[name]!.power);
      expect(a.appliances[name]!.onProb).toEqual(b.appliances[name]!.onProb);
    }
    // The encoder's weights are the base's.
    const w0 = readModelWeights(bytes);
    const w1 = readModelWeights(r.bytes);
    for (const [k, v] of w0)
      if (!k.startsWith('head.') && !k.startsWith('const_')) expect(w1.get(k)).toEqual(v);
    const score = (await scoreOnHome(after, [probe], ['fridge'])).fridge!;
    const base = (await scoreOnHome(before, [probe], ['fridge'])).fridge!;
    expect(base.f1).toBe(0);
    expect(score.mae_w!).toBeLessThan(base.mae_w!);
  }, 300_000);

  it('gives the same model for the same seed, and a resumed run gives what an uninterrupted one does', async () => {
    const one = await run('b1');
    const two = await run('b2');
    expect(two.card.sha256).toBe(one.card.sha256);
    await run('b3', {}, { stopAfterEpoch: 1 });
    const resumed = await run('b3', {}, { resume: true });
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(resumed.card.sha256).toBe(one.card.sha256);
  }, 300_000);

  it('stops at its time bound after the epoch that passed it', async () => {
    const r = await run('c', { maxSeconds: 1e-6 });
    expect(r.stoppedByTime).toBe(true);
    expect(r.history).toHaveLength(1);
    expect(r.card.finetune?.stopped_by_time).toBe(true);
  }, 300_000);

  it('refuses bad input with a clear error', async () => {
    await expect(run('d1', { appliances: [] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(
      finetuneTransformer(
        { card, bytes },
        settings,
        { train: [], val: data.val },
        {
          workDir: join(work, 'd2'),
          id: 'x',
          version: '1',
        },
      ),
    ).rejects.toMatchObject({ code: 'DATA_EMPTY', message: /no training data/ });
    await expect(run('d3', { appliances: ['toaster'] })).rejects.toMatchObject({
      code: 'DATA_MISSING_COLUMN',
      message: /no training data for "toaster"/,
    });
    const short = {
      ...syntheticHome(1, 1, 's'),
      mains: new Float32Array(20),
      appliances: { fridge: new Float32Array(20) },
    };
    await expect(
      finetuneTransformer(
        { card, bytes },
        settings,
        { train: [short], val: [short] },
        {
          workDir: join(work, 'd4'),
          id: 'x',
          version: '1',
        },
      ),
    ).rejects.toMatchObject({ code: 'DATA_EMPTY', message: /no stretch of 32 minutes/ });
    const hourly = { ...syntheticHome(1, 1, 'h'), periodS: 3600 };
    await expect(
      finetuneTransformer(
        { card, bytes },
        settings,
        { train: [hourly], val: data.val },
        {
          workDir: join(work, 'd5'),
          id: 'x',
          version: '1',
        },
      ),
    ).rejects.toMatchObject({ code: 'DATA_MISMATCH' });
    await run('d6', { epochs: 1 });
    await expect(run('d6', { epochs: 1 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: /already holds/,
    });
    expect(() => readModelWeights(new Uint8Array([1, 2, 3]))).toThrow(/not an ONNX model/);
  }, 300_000);
});
