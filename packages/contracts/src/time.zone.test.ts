// Proves the building's wall clock that the server and the web app share (hand-computed
// instants): local fields and weekday of an instant, the zone's offset, the instant of a local
// time on both sides of summer-time changes (Europe/London, America/New_York, Australia/Sydney
// in the southern summer, Australia/Lord_Howe's half-hour change), a skipped local time, field
// roll-over as in Date.UTC, local midnight east and west of UTC, the local date, an unknown
// zone counted as UTC, and the remembered quarter-hour offsets against a formatter minute by
// minute around changes (Newfoundland's at 00:01 local time, inside a quarter hour; an offset
// with seconds).
import { describe, expect, it } from 'vitest';
import { zonedClock, zonedDate, zonedMidnight, zoneOffsetMs, zonedTime } from './time.zone.js';

const H = 3_600_000;

describe('zonedClock', () => {
  it('gives the local fields and weekday (0 = Monday) of an instant', () => {
    // 2024-03-31 00:30 UTC: Sunday 00:30 in London (still GMT), 01:30 in Berlin (CET).
    expect(zonedClock(Date.UTC(2024, 2, 31, 0, 30), 'Europe/London')).toEqual({
      y: 2024,
      m: 3,
      d: 31,
      h: 0,
      mi: 30,
      s: 0,
      weekday: 6,
    });
    expect(zonedClock(new Date(Date.UTC(2024, 2, 31, 0, 30)), 'Europe/Berlin').h).toBe(1);
    // 23:59:59 on New Year's Eve in New York is already 2025 in UTC.
    expect(zonedClock(Date.UTC(2025, 0, 1, 4, 59, 59), 'America/New_York')).toMatchObject({
      y: 2024,
      m: 12,
      d: 31,
      h: 23,
      mi: 59,
      s: 59,
      weekday: 1,
    });
  });
});

describe('zoneOffsetMs', () => {
  it('is local minus UTC, changing with summer time', () => {
    expect(zoneOffsetMs(Date.UTC(2024, 0, 15), 'Europe/London')).toBe(0);
    expect(zoneOffsetMs(Date.UTC(2024, 6, 15), 'Europe/London')).toBe(H);
    expect(zoneOffsetMs(Date.UTC(2024, 6, 15), 'America/New_York')).toBe(-4 * H);
    expect(zoneOffsetMs(Date.UTC(2024, 0, 15), 'Australia/Sydney')).toBe(11 * H);
    expect(zoneOffsetMs(Date.UTC(2024, 0, 15), 'Asia/Kolkata')).toBe(5.5 * H);
  });
});

describe('zonedTime', () => {
  it('finds local times on both sides of a change', () => {
    // London springs forward at 01:00 UTC on 2024-03-31 (01:00 GMT -> 02:00 BST).
    expect(zonedTime(2024, 3, 31, 0, 30, 'Europe/London')).toBe(Date.UTC(2024, 2, 31, 0, 30));
    expect(zonedTime(2024, 3, 31, 3, 0, 'Europe/London')).toBe(Date.UTC(2024, 2, 31, 2));
    // ... and falls back at 01:00 UTC on 2024-10-27 (02:00 BST -> 01:00 GMT).
    expect(zonedTime(2024, 10, 27, 0, 0, 'Europe/London')).toBe(Date.UTC(2024, 9, 26, 23));
    expect(zonedTime(2024, 10, 27, 12, 0, 'Europe/London')).toBe(Date.UTC(2024, 9, 27, 12));
    // New York: 2024-03-10 02:00 EST -> 03:00 EDT.
    expect(zonedTime(2024, 3, 10, 1, 0, 'America/New_York')).toBe(Date.UTC(2024, 2, 10, 6));
    expect(zonedTime(2024, 3, 10, 4, 0, 'America/New_York')).toBe(Date.UTC(2024, 2, 10, 8));
    // Sydney's summer is January (UTC+11); its clocks go back on 2024-04-07 at 03:00 -> 02:00.
    expect(zonedTime(2024, 1, 15, 9, 0, 'Australia/Sydney')).toBe(Date.UTC(2024, 0, 14, 22));
    expect(zonedTime(2024, 4, 8, 9, 0, 'Australia/Sydney')).toBe(Date.UTC(2024, 3, 7, 23));
    // Lord Howe Island changes by half an hour (UTC+11 in summer, +10:30 in winter).
    expect(zonedTime(2024, 1, 15, 0, 0, 'Australia/Lord_Howe')).toBe(Date.UTC(2024, 0, 14, 13));
    expect(zonedTime(2024, 7, 15, 0, 0, 'Australia/Lord_Howe')).toBe(Date.UTC(2024, 6, 14, 13, 30));
  });

  it('places a skipped local time at the hour after, and rolls fields over as Date.UTC', () => {
    // 01:30 does not happen in London on 2024-03-31: it reads as 02:30 BST, 01:30 UTC.
    expect(zonedTime(2024, 3, 31, 1, 30, 'Europe/London')).toBe(Date.UTC(2024, 2, 31, 1, 30));
    // Day 0 is the last of the month before; d - 7 is a week earlier.
    expect(zonedTime(2024, 3, 0, 12, 0, 'Europe/London')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(zonedTime(2024, 4, 3 - 7, 12, 0, 'Europe/London')).toBe(Date.UTC(2024, 2, 27, 12));
  });
});

describe('zonedMidnight and zonedDate', () => {
  it('find local midnight east and west of UTC, and the local date', () => {
    expect(zonedMidnight(2024, 7, 1, 'Asia/Tokyo')).toBe(Date.UTC(2024, 5, 30, 15));
    expect(zonedMidnight(2024, 7, 1, 'America/Los_Angeles')).toBe(Date.UTC(2024, 6, 1, 7));
    // The day the clocks go forward in London is 23 hours long.
    expect(
      zonedMidnight(2024, 4, 1, 'Europe/London') - zonedMidnight(2024, 3, 31, 'Europe/London'),
    ).toBe(23 * H);
    expect(zonedDate(Date.UTC(2024, 5, 30, 15), 'Asia/Tokyo')).toBe('2024-07-01');
    expect(zonedDate(new Date(Date.UTC(2024, 5, 30, 14, 59)), 'Asia/Tokyo')).toBe('2024-06-30');
  });

  it('counts an unknown zone as UTC', () => {
    expect(zonedTime(2024, 7, 1, 12, 0, 'Mars/Olympus_Mons')).toBe(Date.UTC(2024, 6, 1, 12));
    expect(zonedDate(Date.UTC(2024, 6, 1, 23), 'not a zone')).toBe('2024-07-01');
  });
});

describe('remembered quarter-hour offsets', () => {
  /** The wall clock from the runtime's own locale string (sv-SE: "2008-03-09 01:01:07"). */
  const formatted = (ms: number, timeZone: string) => {
    const text = new Date(ms).toLocaleString('sv-SE', { timeZone });
    const [y, m, d, h, mi, s] = text.split(/[^0-9]+/).map(Number);
    return { y, m, d, h: h! % 24, mi, s };
  };

  it('agrees with the formatter minute by minute around changes, also off the quarter hour', () => {
    const cases: Array<[string, number]> = [
      // Newfoundland changed at 00:01 local time until 2011: 03:31 UTC, inside a quarter hour.
      ['America/St_Johns', Date.UTC(2008, 2, 9, 3, 31)],
      ['America/St_Johns', Date.UTC(2008, 10, 2, 2, 31)],
      ['Australia/Lord_Howe', Date.UTC(2024, 3, 6, 14, 30)],
      ['Asia/Kathmandu', Date.UTC(1986, 0, 1)],
      ['Europe/London', Date.UTC(2024, 2, 31, 1)],
      ['Europe/Amsterdam', Date.UTC(1937, 6, 1)], // +00:19:32 to +00:20, seconds in the offset
      ['Pacific/Chatham', Date.UTC(2024, 8, 28, 14)],
    ];
    for (const [zone, at] of cases) {
      // Twice over: the first pass fills the memo, the second reads it.
      for (let pass = 0; pass < 2; pass++)
        for (let ms = at - 2 * H; ms <= at + 2 * H; ms += 60_000 + 7_000) {
          const { weekday: _, ...clock } = zonedClock(ms, zone);
          expect({ zone, ms, clock }).toEqual({ zone, ms, clock: formatted(ms, zone) });
        }
    }
  });
});
