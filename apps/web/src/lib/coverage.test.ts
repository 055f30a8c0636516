// Proves how much of a period counts as having data: the API's share for a past period, the share of the time so far (with two minutes' grace for readings on their way) for the running one, and when a share is short enough to say so.
import { describe, expect, it } from 'vitest';
import { isPartial, periodCoverage } from './coverage.js';

const day = { start: '2026-01-02T00:00:00.000Z', end: '2026-01-03T00:00:00.000Z' };
const at = (hhmm: string) => Date.parse(`2026-01-02T${hhmm}:00.000Z`);

describe('periodCoverage', () => {
  it("is the API's share for a period that has ended", () => {
    expect(periodCoverage({ ...day, coverage: 0.83 }, Date.parse('2026-01-05T00:00:00Z'))).toBe(
      0.83,
    );
  });

  it('is the share of the time so far for the running period', () => {
    // 12:00 with readings all morning: the API says half the day, the page says all of it.
    expect(periodCoverage({ ...day, coverage: 0.5 }, at('12:00'))).toBe(1);
    // 12:00 with 9 hours of readings: 540 of the 718 minutes lived (less the 2-minute grace).
    expect(periodCoverage({ ...day, coverage: 540 / 1440 }, at('12:00'))).toBeCloseTo(540 / 718, 9);
  });

  it('is 0 before the period begins and never above 1', () => {
    expect(periodCoverage({ ...day, coverage: 0 }, at('00:00') - 1)).toBe(0);
    expect(periodCoverage({ ...day, coverage: 2 / 1440 }, at('00:01'))).toBe(1);
  });
});

describe('isPartial', () => {
  it('says so only for shares that would not round to 100 %', () => {
    expect(isPartial(0.83)).toBe(true);
    expect(isPartial(0.994)).toBe(true);
    expect(isPartial(0.996)).toBe(false);
    expect(isPartial(1)).toBe(false);
    expect(isPartial(null)).toBe(false);
    expect(isPartial(undefined)).toBe(false);
  });
});
