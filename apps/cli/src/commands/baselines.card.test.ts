// Proves the model card's baselines and `nilm eval --model baseline:* --config` are one
// computation (same fit data, same heads, same numbers), that fitting on a whole house instead
// (`--train`, validation part included) is what made them differ, and that each shipped card
// names a config that reproduces it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CARD_BASELINES,
  ModelCardSchema,
  loadTrainConfig,
  prepareTrainData,
  scoreBaselines,
} from '@nilm/ml';
import { runEval } from './eval.command.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const EXCERPT = resolve(ROOT, 'data/REFIT_House20_2014-09-03_14d.csv.gz');
const MODELS = resolve(ROOT, 'models');
// Three of the excerpt's four sub-meters: a baseline must be fitted for the heads only, as on the card.
const HEADS = ['kettle', 'dishwasher', 'washing_machine'];
const tmp = mkdtempSync(join(tmpdir(), 'nilm-baselines-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A config like the shipped 2026.11.27 one, on the committed 14-day excerpt: train on its first
// 90 % (the last 10 % is validation), score on the whole excerpt.
const CONFIG = join(tmp, 'tiny.yaml');
writeFileSync(
  CONFIG,
  [
    'name: tiny',
    "version: '1'",
    'data:',
    `  train: ['${EXCERPT}']`,
    '  valFraction: 0.1',
    "  licence: 'REFIT, CC BY 4.0'",
    `  test: ['${EXCERPT}']`,
    `appliances: [${HEADS.join(', ')}]`,
    '',
  ].join('\n'),
);
const quiet = (): void => undefined;

describe('baselines on the card and in nilm eval', () => {
  it('nilm eval --config prints the numbers the card gets, per baseline and appliance', async () => {
    const prepared = await prepareTrainData(loadTrainConfig(CONFIG));
    const card = await scoreBaselines(prepared.train, prepared.test!, HEADS);
    for (const kind of CARD_BASELINES) {
      const cli = await runEval({ model: kind, config: CONFIG }, { modelsDir: MODELS }, quiet);
      expect(Object.keys(cli.appliances).sort()).toEqual([...HEADS].sort());
      expect(card.baselines[kind]).toEqual({
        mae_w: cli.mean.mae_w,
        f1: cli.mean.f1,
        sae: cli.mean.sae,
        nde: cli.mean.nde,
      });
      for (const [a, s] of Object.entries(cli.appliances))
        expect(card.baselines[`${kind}:${a}`]).toEqual({ mae_w: s.mae_w, f1: s.f1 });
    }
  });

  it('fitting on the whole house (--train, validation part included) gives other numbers', async () => {
    const prepared = await prepareTrainData(loadTrainConfig(CONFIG));
    const card = await scoreBaselines(prepared.train, prepared.test!, HEADS);
    const whole = await runEval(
      { model: 'baseline:mean', train: EXCERPT, data: EXCERPT },
      { modelsDir: MODELS },
      quiet,
    );
    expect(whole.mean.mae_w).not.toBeNull();
    expect(Math.abs(whole.mean.mae_w! - card.baselines['baseline:mean']!.mae_w!)).toBeGreaterThan(
      1e-6,
    );
  });

  it('every shipped card with baselines names the config of its own version and test data', () => {
    const registry = JSON.parse(readFileSync(join(MODELS, 'registry.json'), 'utf8')) as {
      models: Array<{ path: string }>;
    };
    let checked = 0;
    for (const m of registry.models) {
      const card = ModelCardSchema.parse(
        JSON.parse(readFileSync(join(MODELS, m.path, 'card.json'), 'utf8')),
      );
      if (!card.test?.baselines) continue;
      const file = card.test.baselines_config;
      expect(file, `${m.path}: test.baselines_config`).toBeDefined();
      expect(existsSync(resolve(ROOT, file!))).toBe(true);
      const config = loadTrainConfig(resolve(ROOT, file!));
      expect(config.version).toBe(card.version);
      const tail = (p: string): string => p.split(/[\\/]/).slice(-2).join('/');
      expect(config.data.test?.map(tail)).toEqual(card.test.data.map(tail));
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});
