// Proves on/off runs are found from on-probabilities with hand-computed lengths and energies.
import type { ReadingsResponse } from '@nilm/contracts';
import { describe, expect, it } from 'vitest';
import { runStats, runsOf } from './appliance.runs.js';

const t0 = Date.UTC(2026, 0, 1);
const pt = (
  min: number,
  v?: { power_w: number; on_prob: number },
): ReadingsResponse['points'][number] => ({
  time: new Date(t0 + min * 60_000).toISOString(),
  power_w: 100,
  appliances: v ? { kettle: v } : {},
});

// 1-minute buckets: on 2 min at 2000 W, off, gap, on 1 min at 3000 W until the end.
const res: Pick<ReadingsResponse, 'points' | 'resolution_s'> = {
  resolution_s: 60,
  points: [
    pt(0, { power_w: 2000, on_prob: 0.9 }),
    pt(1, { power_w: 2000, on_prob: 0.6 }),
    pt(2, { power_w: 5, on_prob: 0.1 }),
    pt(3),
    pt(4, { power_w: 3000, on_prob: 0.5 }),
  ],
};

describe('runsOf', () => {
  it('finds runs with their span and energy (2 kW x 2 min = 1/15 kWh)', () => {
    const runs = runsOf(res, 'kettle');
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ start: t0, end: t0 + 120_000 });
    expect(runs[0]!.kwh).toBeCloseTo(2 * (2 / 60), 10);
    expect(runs[1]).toMatchObject({ start: t0 + 240_000, end: t0 + 300_000 });
    expect(runs[1]!.kwh).toBeCloseTo(0.05, 10);
  });

  it('summarises runs: median 1.5 min, mean (1/15 + 1/20)/2 kWh', () => {
    const s = runStats(runsOf(res, 'kettle'));
    expect(s?.count).toBe(2);
    expect(s?.medianMs).toBe(90_000);
    expect(s?.meanKwh).toBeCloseTo((1 / 15 + 1 / 20) / 2, 10);
    expect(runStats([])).toBeUndefined();
  });
});
