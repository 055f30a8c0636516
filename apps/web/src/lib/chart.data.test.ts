// Proves API reading points become stacked recharts rows: appliance watts, "other" as the unexplained remainder, and nulls kept as gaps.
import { describe, expect, it } from 'vitest';
import type { ReadingsResponse } from '@nilm/contracts';
import { OTHER, rangeQuery, toStackedRows, widthBucket } from './chart.data.js';

describe('toStackedRows', () => {
  const res: Pick<ReadingsResponse, 'appliances' | 'points'> = {
    appliances: ['fridge', 'kettle'],
    points: [
      {
        time: '2026-01-01T00:00:00.000Z',
        power_w: 2300,
        appliances: {
          fridge: { power_w: 90, on_prob: 0.9 },
          kettle: { power_w: 2000, on_prob: 0.99 },
        },
      },
      {
        time: '2026-01-01T00:01:00.000Z',
        power_w: 80,
        appliances: { fridge: { power_w: 100, on_prob: 0.8 } },
      },
      { time: '2026-01-01T00:02:00.000Z', power_w: null, appliances: {} },
    ],
  };

  it('keeps the API order of appliances and stacks other last', () => {
    expect(toStackedRows(res).series).toEqual(['fridge', 'kettle', OTHER]);
  });

  it('makes one row per point with watts per series', () => {
    const { rows } = toStackedRows(res);
    expect(rows[0]).toEqual({ t: Date.UTC(2026, 0, 1), fridge: 90, kettle: 2000, other: 210 });
  });

  it('never makes other negative, and leaves missing estimates as null', () => {
    const { rows } = toStackedRows(res);
    expect(rows[1]).toEqual({ t: Date.UTC(2026, 0, 1, 0, 1), fridge: 100, kettle: null, other: 0 });
    expect(rows[2]).toEqual({
      t: Date.UTC(2026, 0, 1, 0, 2),
      fridge: null,
      kettle: null,
      other: null,
    });
  });

  it('gives an empty chart for no points', () => {
    expect(toStackedRows({ appliances: ['fridge'], points: [] })).toEqual({
      series: ['fridge', OTHER],
      rows: [],
    });
  });
});

describe('rangeQuery', () => {
  it('asks for auto resolution with one point per pixel, clamped to the API limits', () => {
    expect(rangeQuery('30d', 800)).toEqual({ start: '-30d', resolution: 'auto', points: 800 });
    expect(rangeQuery('1h', 3)).toMatchObject({ points: 10 });
    expect(widthBucket(812)).toBe(800);
    expect(widthBucket(20)).toBe(100);
  });
});
