// Proves the training config's data path: a list of houses split by house, the tail of long
// training houses held out for validation (valTailMinDays), group heads summed, and seeded
// mixing that adds a generated load to houses lacking it, in training and held-out data alike;
// untrusted columns left out by house (dropColumns).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTrainConfig, prepareTrainData } from './train.config.js';

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
});
