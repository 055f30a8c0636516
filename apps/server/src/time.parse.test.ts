// Proves that request times parse to epoch ms that a Date and every store can hold, and that
// anything else is NaN (ingest) or a VALIDATION_TIME error (queries): never a RangeError later.
import { describe, expect, it } from 'vitest';
import { MAX_TS_MS } from '@nilm/stores';
import { ApiError } from './errors.js';
import { parseQueryTime, parseReadingTime } from './time.parse.js';

const now = Date.UTC(2026, 0, 2, 3, 4, 5);

describe('parseReadingTime', () => {
  it('reads epoch ms and ISO-8601 with a zone', () => {
    expect(parseReadingTime(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(parseReadingTime('2024-05-01T12:00:00Z')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseReadingTime('2024-05-01T14:00+02:00')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseReadingTime(MAX_TS_MS)).toBe(MAX_TS_MS);
    // Before 2000 is still a time: the caller says why it is refused.
    expect(parseReadingTime(-1)).toBe(-1);
  });

  it.each([
    ['1e308', 1e308],
    ['-1e308', -1e308],
    ['8.64e15 + 1', 8.64e15 + 1],
    ['one past MAX_TS_MS (April 2262)', MAX_TS_MS + 1],
    ['-8.64e15 - 1', -8.64e15 - 1],
    ['Infinity', Infinity],
    ['NaN', NaN],
    ['a fraction', 1.5],
    ['a time without zone', '2024-05-01T12:00:00'],
    ['a date only', '2024-05-01'],
    ['an impossible month', '2024-13-01T00:00:00Z'],
    ['year 9999 (past 2262)', '9999-12-31T23:59:59Z'],
  ])('is NaN for %s', (_what, ts) => {
    expect(parseReadingTime(ts)).toBeNaN();
  });

  it('returns only times that format', () => {
    for (const ts of [MAX_TS_MS, -8.64e15, 0]) {
      expect(() => new Date(parseReadingTime(ts)).toISOString()).not.toThrow();
    }
  });
});

describe('parseQueryTime', () => {
  it('reads now, relative times, epoch ms and ISO-8601 (UTC without a zone)', () => {
    expect(parseQueryTime('now', 'start', now)).toBe(now);
    expect(parseQueryTime('-24h', 'start', now)).toBe(now - 86_400_000);
    expect(parseQueryTime('1700000000000', 'start', now)).toBe(1_700_000_000_000);
    expect(parseQueryTime('2024-05-01', 'start', now)).toBe(Date.UTC(2024, 4, 1));
    expect(parseQueryTime(' 2024-05-01T12:00 ', 'start', now)).toBe(Date.UTC(2024, 4, 1, 12));
  });

  it.each(['-99999999999999w', '999999999999999999d', 'yesterday', '2024-02-31T99:00Z', ''])(
    'refuses %j with VALIDATION_TIME naming the field',
    (value) => {
      let thrown: unknown;
      try {
        parseQueryTime(value, 'end', now);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ApiError);
      expect(thrown).toMatchObject({ code: 'VALIDATION_TIME', details: { field: 'end' } });
    },
  );
});
