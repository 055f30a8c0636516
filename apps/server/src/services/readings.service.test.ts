// Proves energy period boundaries follow the building's time zone (local midnights, DST days
// of 23 and 25 hours, weeks from Monday, calendar months), the resolution choice, and that
// minutes with readings but no estimates yet are counted as pending (not as "other") with the
// share estimated reported as estimate_coverage, and that a `span` is one period exactly as
// asked (hand-computed values).
import { describe, expect, it } from 'vitest';
import type { Bucket, TimeSeriesStore } from '@nilm/stores';
import { chooseResolution, periodEdges, ReadingsService } from './readings.service.js';

const H = 3_600_000;

describe('periodEdges', () => {
  it('gives UTC days by default', () => {
    expect(periodEdges(Date.UTC(2024, 0, 1, 5), Date.UTC(2024, 0, 2, 1), 'day')).toEqual([
      Date.UTC(2024, 0, 1),
      Date.UTC(2024, 0, 2),
      Date.UTC(2024, 0, 3),
    ]);
  });

  it('starts days at local midnight, with 23 and 25 hour days at the DST changes', () => {
    // Europe/London: BST starts 2024-03-31 01:00 UTC, ends 2024-10-27 01:00 UTC.
    const spring = periodEdges(
      Date.UTC(2024, 2, 30, 12),
      Date.UTC(2024, 2, 31, 12),
      'day',
      'Europe/London',
    );
    expect(spring).toEqual([
      Date.UTC(2024, 2, 30),
      Date.UTC(2024, 2, 31),
      Date.UTC(2024, 2, 31, 23),
    ]);
    expect(spring[2]! - spring[1]!).toBe(23 * H);
    const autumn = periodEdges(
      Date.UTC(2024, 9, 27, 12),
      Date.UTC(2024, 9, 27, 13),
      'day',
      'Europe/London',
    );
    expect(autumn).toEqual([Date.UTC(2024, 9, 26, 23), Date.UTC(2024, 9, 28)]);
    expect(autumn[1]! - autumn[0]!).toBe(25 * H);
  });

  it('starts weeks on Monday and months on the 1st, in the zone', () => {
    // 2024-05-15 is a Wednesday; in Berlin (UTC+2 in May) Monday 13th starts at 22:00 UTC on the 12th.
    expect(
      periodEdges(Date.UTC(2024, 4, 15, 12), Date.UTC(2024, 4, 16), 'week', 'Europe/Berlin'),
    ).toEqual([Date.UTC(2024, 4, 12, 22), Date.UTC(2024, 4, 19, 22)]);
    expect(
      periodEdges(Date.UTC(2024, 1, 10), Date.UTC(2024, 2, 2), 'month', 'America/New_York'),
    ).toEqual([Date.UTC(2024, 1, 1, 5), Date.UTC(2024, 2, 1, 5), Date.UTC(2024, 3, 1, 4)]);
  });
});

describe('chooseResolution', () => {
  it('uses the named resolution, or the smallest step that fits the points', () => {
    expect(chooseResolution(0, 86_400_000, '15m')).toBe(900);
    expect(chooseResolution(0, 86_400_000, 'auto', 1440)).toBe(60);
    expect(chooseResolution(0, 30 * 86_400_000, 'auto', 800)).toBe(3600);
  });
});

describe('estimate coverage', () => {
  // Four minutes with 600 W mains; the first three are estimated (kettle 100 W), the last not.
  const T = Date.UTC(2024, 0, 1, 10);
  const buckets: Bucket[] = [0, 1, 2, 3].map((i) => ({
    ts: T + i * 60_000,
    powerW: 600,
    appliances: (i < 3 ? { kettle: { powerW: 100, onProb: 0.9 } } : {}) as Bucket['appliances'],
  }));
  const store = {
    readBuckets: async () => buckets,
    readGridBuckets: async () => [],
  } as unknown as TimeSeriesStore;
  const service = new ReadingsService(store);

  it('energy: the unestimated minute is pending, other covers only estimated minutes', async () => {
    const [day] = await service.energy('b', T, T + 3_600_000, 'day');
    const kwh = (w: number): number => w / 60 / 1000;
    expect(day!.totalKwh).toBeCloseTo(kwh(2400), 12);
    expect(day!.appliances.kettle).toBeCloseTo(kwh(300), 12);
    expect(day!.pendingKwh).toBeCloseTo(kwh(600), 12);
    // 3 minutes x 600 W estimated, less 3 x 100 W of kettle.
    expect(day!.otherKwh).toBeCloseTo(kwh(1500), 12);
    expect(day!.estimateCoverage).toBe(0.75);
  });

  it('energy span: one period exactly start..end, coverage over its own minutes', async () => {
    // Minutes 1 to 3 have readings; the span is 4 minutes long (one past the data): 3 of 4 covered.
    const periods = await service.energy('b', T + 60_000, T + 5 * 60_000, 'span');
    expect(periods).toHaveLength(1);
    expect(periods[0]!.startMs).toBe(T + 60_000);
    expect(periods[0]!.endMs).toBe(T + 5 * 60_000);
    expect(periods[0]!.totalKwh).toBeCloseTo((3 * 600) / 60 / 1000, 12);
    expect(periods[0]!.coverage).toBe(0.75);
  });

  it('readings: share of points with mains that carry estimates; null without readings', async () => {
    expect((await service.readings('b', T, T + 4 * 60_000, '1m')).estimateCoverage).toBe(0.75);
    const empty = new ReadingsService({
      readBuckets: async () => [],
      readGridBuckets: async () => [],
    } as unknown as TimeSeriesStore);
    expect((await empty.readings('b', T, T + 60_000, '1m')).estimateCoverage).toBeNull();
    const [day] = await empty.energy('b', T, T + 60_000, 'day');
    expect(day!.estimateCoverage).toBeNull();
  });
});
