// Proves the training config's data path: a list of houses split by house, the tail of long
// training houses held out for validation (valTailMinDays), group heads summed, and seeded
// mixing that adds a generated load to houses lacking it, in training and held-out data alike;
// untrusted columns left out by house (dropColumns); generated and amplitude-scaled tumble dryer
// runs in training and validation copies only, and generated runs refused where no model exists;
// the post-processing rule a config names (true is runs-v2), and one it cannot name refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTrainConfig, prepareTrainData } from './train.config.js';
import { postprocessRuleOf } from './train.settings.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const tmp = mkdtempSync(join(tmpdir(), 'nilm-cfg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One day of a house with a fridge and a freezer sub-meter. */
function writeDay(file: string): void {
  const rows = ['Time,Aggregate,Fridge,Freezer'];
  for (let i = 0; i < 1440; i++) {
    const t = new Date(Date.UTC(2015, 0, 8) + i * 60_000)
      .toISOString()
      .slice(0, 19)
      .replace('T', ' ');
    rows.push(`${t},${300 + (i % 30)},${i % 40 < 15 ? 90 : 0},${i % 50 < 20 ? 80 : 0}`);
  }
  writeFileSync(file, gzipSync(rows.join('\n') + '\n'));
}

describe('prepareTrainData', () => {
  it("splits by house, holds out long houses' tails, groups heads and mixes loads", async () => {
    writeDay(join(tmp, 'TEST_House7_2015-01-08.csv.gz'));
    const config = join(tmp, 'train.yaml');
    writeFileSync(
      config,
      [
        'appliances: [kettle, fridge_freezer, ev_charger]',
        'groups: { fridge_freezer: [fridge, freezer] }',
        'data:',
        `  train: ['${join(ROOT, 'data')}']`,
        "  val: ['TEST_House7_*']",
        '  valFraction: 0.1',
        '  valTailMinDays: 10',
        '  dropColumns: { TEST_House7: [freezer] }',
        '  licence: test',
        '  mix:',
        '    seed: 3',
        '    copies: 1',
        '    generators: [{ load: ev_charger, share: 1 }]',
      ].join('\n'),
    );
    const data = await prepareTrainData(loadTrainConfig(config));
    // Training: the 14-day excerpt without its last 10 %, plus its mixed copy with an EV.
    expect(data.train).toHaveLength(2);
    const n = data.train[0]!.mains.length;
    expect(n).toBe(Math.floor(14 * 1440 * 0.9));
    expect(data.train[1]!.source).toMatch(/\+ mix 1 \(ev_charger\)$/);
    const ev = data.train[1]!.appliances.ev_charger!;
    expect(ev.some((v) => v > 3000)).toBe(true);
    for (let i = 0; i < n; i += 97)
      if (Number.isFinite(data.train[0]!.mains[i]))
        expect(data.train[1]!.mains[i]).toBeCloseTo(data.train[0]!.mains[i]! + ev[i]!, 2);
    // Validation: the tail first, then the day house (fridge + freezer summed), then copies.
    expect(data.val[0]!.source).toMatch(/\(last 10 %\)$/);
    expect(data.val[0]!.mains.length).toBe(14 * 1440 - n);
    const day = data.val.find((s) => /TEST_House7/.test(s.source) && !/mix/.test(s.source))!;
    expect(Object.keys(day.appliances)).toEqual(['fridge_freezer']);
    // Its freezer column is left out (dropColumns): the head holds the fridge alone.
    expect(day.appliances.fridge_freezer![0]).toBe(90);
    expect(data.val.filter((s) => /mix/.test(s.source))).toHaveLength(2);
  });

  it('mixes generated, scaled dryer runs into training and validation copies, not the test', async () => {
    const file = join(tmp, 'TEST_House8_2015-01-08.csv.gz');
    writeDay(file);
    const yaml = (extra: string): string => {
      const config = join(tmp, 'dryer.yaml');
      writeFileSync(
        config,
        [
          'appliances: [fridge_freezer, tumble_dryer]',
          'groups: { fridge_freezer: [fridge, freezer] }',
          'data:',
          "  train: ['TEST_House8_*']",
          "  val: ['TEST_House8_*']",
          "  test: ['TEST_House8_*']",
          '  licence: test',
          '  mix:',
          '    seed: 5',
          '    copies: 1',
          '    activations:',
          // The house meters no dryer: its pool is the generated runs alone.
          `      - { appliance: ${extra}, from: ['TEST_House8_*'], perDay: 3, share: 1, scale: [0.6, 1.4], generated: 8 }`,
        ].join('\n'),
      );
      return config;
    };
    const data = await prepareTrainData(loadTrainConfig(yaml('tumble_dryer')));
    for (const split of [data.train, data.val]) {
      expect(split).toHaveLength(2);
      expect(split[1]!.source).toMatch(/\+ mix 1 \(3 tumble_dryer\)$/);
      const dryer = split[1]!.appliances.tumble_dryer!;
      expect(Math.max(...dryer)).toBeGreaterThan(1000);
      for (let i = 0; i < dryer.length; i += 7)
        expect(split[1]!.mains[i]).toBeCloseTo(split[0]!.mains[i]! + dryer[i]!, 2);
    }
    // The test copies take recorded runs only (here none: no copy is made).
    expect(data.test).toHaveLength(1);
    await expect(prepareTrainData(loadTrainConfig(yaml('cooker')))).rejects.toThrow(
      /generated runs exist for tumble_dryer only, not cooker/,
    );
  });

  it('names the post-processing rule the card records, and refuses an unknown one', () => {
    const write = (postprocess: string): string => {
      const file = join(tmp, `pp-${postprocess}.yaml`);
      writeFileSync(
        file,
        [
          'appliances: [kettle]',
          `postprocess: ${postprocess}`,
          'data:',
          `  train: ['${join(ROOT, 'data')}']`,
          '  licence: test',
        ].join('\n'),
      );
      return file;
    };
    expect(postprocessRuleOf(loadTrainConfig(write('true')).postprocess)).toBe('runs-v2');
    expect(postprocessRuleOf(loadTrainConfig(write('runs-v2')).postprocess)).toBe('runs-v2');
    expect(postprocessRuleOf(loadTrainConfig(write('runs-v3')).postprocess)).toBe('runs-v3');
    expect(loadTrainConfig(write('false')).postprocess).toBe(false);
    expect(() => loadTrainConfig(write('runs-v9'))).toThrow(/postprocess/);
  });
});
