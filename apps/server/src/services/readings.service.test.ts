// Proves energy period boundaries follow the building's time zone (local midnights, DST days
// of 23 and 25 hours, weeks from Monday, calendar months) and the resolution choice.
import { describe, expect, it } from 'vitest';
import { chooseResolution, periodEdges, zonedMidnight } from './readings.service.js';

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

  it('finds local midnight in zones east and west of UTC', () => {
    expect(zonedMidnight(2024, 7, 1, 'Asia/Tokyo')).toBe(Date.UTC(2024, 5, 30, 15));
    expect(zonedMidnight(2024, 7, 1, 'America/Los_Angeles')).toBe(Date.UTC(2024, 6, 1, 7));
  });
});

describe('chooseResolution', () => {
  it('uses the named resolution, or the smallest step that fits the points', () => {
    expect(chooseResolution(0, 86_400_000, '15m')).toBe(900);
    expect(chooseResolution(0, 86_400_000, 'auto', 1440)).toBe(60);
    expect(chooseResolution(0, 30 * 86_400_000, 'auto', 800)).toBe(3600);
  });
});
