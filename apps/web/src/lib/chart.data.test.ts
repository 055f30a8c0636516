// Proves API readings (the columnar shape) become stacked recharts rows (appliance watts, "other" as the unexplained remainder, nulls kept as gaps), and that stretches without readings are found on the API's bucket grid and break the rows with a marked gap instead of flat power.
import { describe, expect, it } from 'vitest';
import {
  applianceRows,
  findGaps,
  markedGaps,
  NO_READINGS_UNTIL,
  OTHER,
  rangeQuery,
  readingsCoverage,
  toStackedRows,
  widthBucket,
  type ChartReadings,
} from './chart.data.js';
import { columnsOf } from '../test/readings.fixture.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

describe('toStackedRows', () => {
  const meta = {
    start: '2026-01-01T00:00:00.000Z',
    end: '2026-01-01T00:03:00.000Z',
    resolution_s: 60,
  };
  const res: ChartReadings = columnsOf(
    [
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
    { ...meta, appliances: ['fridge', 'kettle'] },
  );

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
    expect(toStackedRows(columnsOf([], { ...meta, appliances: ['fridge'] }))).toEqual({
      series: ['fridge', OTHER],
      rows: [],
      gaps: [],
    });
  });
});

describe('findGaps', () => {
  // Buckets of a minute from T0; `at(...)` lists the minutes that have readings.
  const at = (...minutes: number[]) => minutes.map((m) => T0 + m * MIN);

  it('finds none when every bucket, or all but single ones, has readings', () => {
    expect(findGaps(at(0, 1, 2, 3, 4), T0, T0 + 5 * MIN, MIN)).toEqual([]);
    // A reading every other minute: one missing bucket at a time is jitter, not a gap.
    expect(findGaps(at(0, 2, 4), T0, T0 + 5 * MIN, MIN)).toEqual([]);
  });

  it('finds two or more missing buckets in a row, from the first missing to the next reading', () => {
    expect(findGaps(at(0, 1, 4, 5, 9), T0, T0 + 10 * MIN, MIN)).toEqual([
      { from: T0 + 2 * MIN, to: T0 + 4 * MIN },
      { from: T0 + 6 * MIN, to: T0 + 9 * MIN },
    ]);
  });

  it('finds gaps at either edge, clipped to the range', () => {
    // The range starts and ends mid-bucket (00:00:30 to 00:09:30).
    const start = T0 + 30_000;
    const end = T0 + 9 * MIN + 30_000;
    expect(findGaps(at(3, 4, 5), start, end, MIN)).toEqual([
      { from: start, to: T0 + 3 * MIN },
      { from: T0 + 6 * MIN, to: end },
    ]);
    // One missing bucket at either edge (the newest may still be on its way) is no gap.
    expect(findGaps(at(1, 2, 3, 4, 5, 6, 7, 8), T0, end, MIN)).toEqual([]);
  });

  it('is the whole range when nothing was read', () => {
    expect(findGaps([], T0, T0 + 60 * MIN, 15 * MIN)).toEqual([{ from: T0, to: T0 + 60 * MIN }]);
  });

  it('works on the epoch grid in UTC, across a daylight-saving change', () => {
    // 29 Mar 2026 01:00 UTC: clocks in Europe go forward; hourly buckets stay an hour apart.
    const h = 3_600_000;
    const dst = Date.UTC(2026, 2, 29, 0);
    const hours = [0, 1, 4].map((i) => dst + i * h);
    expect(findGaps(hours, dst, dst + 5 * h, h)).toEqual([{ from: dst + 2 * h, to: dst + 4 * h }]);
  });

  it('ignores times outside the range and repeated ones', () => {
    expect(findGaps(at(-5, 0, 0, 1, 2, 3, 12), T0, T0 + 4 * MIN, MIN)).toEqual([]);
  });
});

describe('rows broken at gaps', () => {
  // 00:00-00:10 in minutes: a 100 W kettle read at 00:00-00:02 and 00:06-00:07; an estimate
  // without mains at 00:04 (inside the gap) must not be drawn.
  const point = (m: number, w: number | null) => ({
    time: new Date(T0 + m * MIN).toISOString(),
    power_w: w,
    appliances: { kettle: { power_w: 60, on_prob: 0.9 } },
  });
  const meta = {
    start: new Date(T0).toISOString(),
    end: new Date(T0 + 10 * MIN).toISOString(),
    resolution_s: 60,
    appliances: ['kettle'],
  };
  const res: ChartReadings = columnsOf(
    [point(0, 100), point(1, 100), point(2, 100), point(4, null), point(6, 100), point(7, 100)],
    meta,
  );

  it('carries the last value through its bucket, then a null marker row, then the next reading', () => {
    const { rows, gaps } = toStackedRows(res);
    expect(gaps).toEqual([
      { from: T0 + 3 * MIN, to: T0 + 6 * MIN },
      { from: T0 + 8 * MIN, to: T0 + 10 * MIN },
    ]);
    expect(rows.map((r) => r.t - T0)).toEqual([0, 1, 2, 3, 3, 6, 7, 8, 8, 10].map((m) => m * MIN));
    expect(rows[3]).toEqual({ t: T0 + 3 * MIN, kettle: 60, other: 40 });
    expect(rows[4]).toEqual({
      t: T0 + 3 * MIN,
      kettle: null,
      other: null,
      [NO_READINGS_UNTIL]: T0 + 6 * MIN,
    });
    // The gap at the end reaches the range's end, so the axis shows it.
    expect(rows.at(-1)).toEqual({ t: T0 + 10 * MIN, kettle: null, other: null });
    expect(markedGaps(rows)).toEqual(gaps);
  });

  it("breaks one appliance's rows the same way", () => {
    const { rows, gaps } = applianceRows(res, 'kettle');
    expect(gaps).toHaveLength(2);
    expect(rows.filter((r) => r.kettle === null)).toHaveLength(3);
    expect(rows[4]).toEqual({ t: T0 + 3 * MIN, kettle: null, [NO_READINGS_UNTIL]: T0 + 6 * MIN });
    expect(markedGaps(rows)).toEqual(gaps);
  });

  it('says what share of the range had readings', () => {
    // 5 of the 10 minutes are in gaps.
    expect(readingsCoverage(res)).toBeCloseTo(0.5, 9);
    expect(readingsCoverage(columnsOf([], meta))).toBe(0);
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
