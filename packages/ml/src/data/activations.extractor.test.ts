// Proves activations are cut where the on/off rule finds runs, padded by the partly covered
// edge minutes without reaching into a neighbour, with the standby level removed, runs over
// missing data left out, and tracebase traces read with their attribution.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  activationKwh,
  activationsFromSeries,
  activationsFromTrace,
  extractActivations,
} from './activations.extractor.js';
import type { Series } from './series.js';
import { readTracebaseTrace, TRACEBASE_ATTRIBUTION } from './tracebase.reader.js';

const dir = mkdtempSync(join(tmpdir(), 'nilm-act-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('extractActivations', () => {
  // A kettle (on at >= 1000 W, no bridging) at 60 s with 2 W standby: two boils, the second
  // with a partly covered last minute (600 W) that the threshold alone would drop.
  const kettle = [2, 2, 2200, 2400, 2, 2, 2, 1800, 2600, 600, 2, 2];
  const info = { appliance: 'kettle', periodS: 60, startMs: 0, source: 'k' };

  it('cuts each run with one padding sample each side and removes the standby', () => {
    const acts = extractActivations(kettle, info);
    expect(acts.map((a) => Array.from(a.power))).toEqual([
      [0, 2198, 2398, 0],
      [0, 1798, 2598, 598],
    ]);
    expect(acts.map((a) => a.startMs)).toEqual([60_000, 6 * 60_000]);
    // (2198 + 2398) W-minutes = 4596 / 60 Wh.
    expect(activationKwh(acts[0]!)).toBeCloseTo(4596 / 60 / 1000, 9);
  });

  it('never pads into the neighbouring run', () => {
    const close = [0, 2000, 0, 2000, 0];
    const acts = extractActivations(close, info, { padSamples: 3 });
    // Padding stops at the other run: the off sample between them may pad both, no more.
    expect(acts.map((a) => Array.from(a.power))).toEqual([
      [0, 2000, 0],
      [0, 2000, 0],
    ]);
    expect(acts.map((a) => a.startMs / 60_000)).toEqual([0, 2]);
  });

  it('leaves out a run that touches missing data', () => {
    const gap = [0, 2000, NaN, 0, 2000, 2000, 0];
    const acts = extractActivations(gap, info);
    expect(acts).toHaveLength(1);
    expect(Array.from(acts[0]!.power)).toEqual([0, 2000, 2000, 0]);
  });

  it('uses the appliance rule: a washing machine pause is bridged into one run', () => {
    // 20 W threshold, 30 min min on, 3 min min off: a 2-minute pause stays inside the run.
    const p = [0, ...Array(20).fill(500), 0, 0, ...Array(20).fill(300), 0];
    const acts = extractActivations(p, { ...info, appliance: 'washing_machine' });
    expect(acts).toHaveLength(1);
    expect(acts[0]!.power).toHaveLength(44);
  });

  it('takes a series channel by alias, and nothing when the series lacks it', () => {
    const s: Series = {
      startMs: 0,
      periodS: 60,
      mains: new Float32Array(kettle.length),
      appliances: { kettle: Float32Array.from(kettle) },
      source: 'house',
    };
    expect(activationsFromSeries(s, 'Kettle')).toHaveLength(2);
    expect(activationsFromSeries(s, 'toaster')).toEqual([]);
  });
});

describe('readTracebaseTrace', () => {
  it('reads a trace, holds one missing minute, and keeps the ODbL attribution', async () => {
    const folder = join(dir, 'Toaster');
    const file = join(folder, 'tracebase_Toaster_x.csv.gz');
    const rows = [
      'Time,Toaster',
      '2011-11-28 07:00:00,0.0',
      '2011-11-28 07:01:00,700.0',
      // 07:02 has no samples in the source: held from 07:01.
      '2011-11-28 07:03:00,650.0',
      '2011-11-28 07:04:00,0.0',
    ];
    mkdirSync(folder);
    writeFileSync(file, gzipSync(rows.join('\n') + '\n'));
    const t = await readTracebaseTrace(file);
    expect(t).toMatchObject({
      appliance: 'toaster',
      periodS: 60,
      startMs: Date.UTC(2011, 10, 28, 7, 0),
      attribution: TRACEBASE_ATTRIBUTION,
    });
    expect(Array.from(t.power)).toEqual([0, 700, 700, 650, 0]);
    const acts = activationsFromTrace(t);
    expect(acts).toHaveLength(1);
    expect(Array.from(acts[0]!.power)).toEqual([0, 700, 700, 650, 0]);
    expect(acts[0]!.attribution).toContain('Open Database License (ODbL)');
  });

  it('needs the appliance named for a folder outside the vocabulary', async () => {
    const file = join(dir, 'tracebase_Iron_x.csv');
    writeFileSync(file, 'Time,Iron\n2011-12-24 10:00:00,1000\n2011-12-24 10:01:00,0\n');
    await expect(readTracebaseTrace(file)).rejects.toMatchObject({ code: 'APPLIANCE_UNKNOWN' });
    const bad = join(dir, 'not-a-trace.csv');
    writeFileSync(bad, 'Time,Aggregate,Kettle\n2011-12-24 10:00:00,1,1\n');
    await expect(readTracebaseTrace(bad)).rejects.toMatchObject({ code: 'DATA_MISSING_COLUMN' });
  });
});
