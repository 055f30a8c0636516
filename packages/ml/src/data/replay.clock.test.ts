// Proves the replay clock: samples come due at the chosen speed, keep their real spacing,
// are never stamped in the future, end at the wall time of the last send, and skip gaps; and the
// time-of-day replay keeps each sample's local wall-clock time, across DST changes too.
import { describe, expect, it } from 'vitest';
import type { Series } from './series.js';
import { ReplayClock, TimeOfDayReplay, WallClock } from './replay.clock.js';

const series = (values: number[]): Series => ({
  startMs: Date.UTC(2014, 8, 3),
  periodS: 60,
  mains: Float32Array.from(values),
  appliances: {},
  source: 'test',
});

describe('ReplayClock', () => {
  it('at speed 1 replays in real time from the start', () => {
    const c = new ReplayClock(series([1, 2, 3]), 1, 1_000_000);
    expect(c.due(1_000_000)).toEqual([{ ts: 1_000_000, powerW: 1 }]);
    expect(c.due(1_059_999)).toEqual([]);
    expect(c.due(1_060_000)).toEqual([{ ts: 1_060_000, powerW: 2 }]);
    expect(c.due(2_000_000)).toEqual([{ ts: 1_120_000, powerW: 3 }]);
    expect(c.done).toBe(true);
  });

  it('at speed 60 sends a recorded minute per second, 60 s apart, never in the future', () => {
    const start = 5_000_000_000;
    const c = new ReplayClock(series([10, 20, 30, 40]), 60, start);
    const sent: Array<{ ts: number; powerW: number; at: number }> = [];
    for (let w = start; !c.done; w += 250) for (const r of c.due(w)) sent.push({ ...r, at: w });
    expect(sent.map((r) => r.powerW)).toEqual([10, 20, 30, 40]);
    expect(sent.map((r) => r.at - start)).toEqual([0, 1000, 2000, 3000]);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.ts - sent[i - 1]!.ts).toBe(60_000);
    for (const r of sent) expect(r.ts).toBeLessThanOrEqual(r.at);
    // The recording is 4 minutes long; the last sample is due 3 s in and stamped 1 s before it,
    // which is where the 4th minute starts once the whole 4 minutes end at the 4 s mark.
    expect(c.endsAtMs).toBe(start + 4000);
    expect(sent[3]!.ts).toBe(start + 4000 - 60_000);
  });

  it('skips missing samples and refuses a speed below 1', () => {
    const c = new ReplayClock(series([1, NaN, 3]), 1, 0);
    expect(c.due(1e9).map((r) => r.powerW)).toEqual([1, 3]);
    expect(() => new ReplayClock(series([1]), 0.5, 0)).toThrow(/speed must be >= 1/);
  });
});

const LONDON = 'Europe/London';
/** Local wall-clock time "YYYY-MM-DD HH:MM" in London at an instant. */
const london = (ms: number): string =>
  new Date(new WallClock(LONDON).naiveAt(ms)).toISOString().slice(0, 16).replace('T', ' ');
/** `days` days of one-minute samples from 2014-09-03 00:00 (naive): 100 W, but `w` at minute `at` of each day. */
function day(marks: Record<number, number>, days = 1): Series {
  const mains = new Float32Array(days * 1440).fill(100);
  for (let d = 0; d < days; d++)
    for (const [at, w] of Object.entries(marks)) mains[d * 1440 + Number(at)] = w;
  return { startMs: Date.UTC(2014, 8, 3), periodS: 60, mains, appliances: {}, source: 'test' };
}
const KETTLE_AT = 7 * 60 + 40; // 07:40

describe('TimeOfDayReplay', () => {
  it('replays a kettle run recorded at 07:40 at 07:40 local, in winter (GMT) and summer (BST)', () => {
    // 09:00 local in winter (GMT) and in summer (BST).
    for (const now of [Date.UTC(2026, 11, 5, 9, 0), Date.UTC(2026, 6, 5, 8, 0)]) {
      const s = day({ [KETTLE_AT]: 3000 }, 2);
      const days = TimeOfDayReplay.daysFor(s, LONDON, now, 2 * 3_600_000);
      const r = new TimeOfDayReplay(s, LONDON, days);
      const sent = r.due(now);
      const kettle = sent.filter((x) => x.powerW === 3000);
      expect(kettle).toHaveLength(1);
      expect(london(kettle[0]!.ts)).toMatch(/ 07:40$/);
      // Today's date: 2 h of history before 09:00 start the replay at today's 00:00.
      expect(london(kettle[0]!.ts).slice(0, 10)).toBe(new Date(now).toISOString().slice(0, 10));
      // The live minute sent now is the recording's 09:00.
      const last = sent[sent.length - 1]!;
      expect(last.ts).toBe(now);
      expect(london(last.ts)).toMatch(/ 09:00$/);
      // Nothing in the future; the next minute comes due a minute later.
      expect(r.due(now + 59_999)).toEqual([]);
      expect(r.due(now + 60_000)).toEqual([{ ts: now + 60_000, powerW: 100 }]);
    }
  });

  it('keeps at least the asked history, less than a day more', () => {
    const s = day({}, 14);
    const now = Date.UTC(2026, 11, 5, 9, 0);
    const history = 312 * 3_600_000;
    const r = new TimeOfDayReplay(s, LONDON, TimeOfDayReplay.daysFor(s, LONDON, now, history));
    const sent = r.due(now);
    const span = now - sent[0]!.ts;
    expect(span).toBeGreaterThanOrEqual(history);
    expect(span).toBeLessThan(history + 86_400_000);
    expect(london(sent[0]!.ts)).toMatch(/ 00:00$/);
  });

  it('keeps local time across the spring change: the skipped hour is dropped, the rest keep their time', () => {
    // Clocks go forward at 01:00 GMT on 2026-03-29 (01:00-01:59 local does not exist).
    const s = day({ [KETTLE_AT]: 3000, [60 + 30]: 555 }, 2);
    const now = Date.UTC(2026, 2, 29, 8, 0); // 09:00 BST
    const r = new TimeOfDayReplay(
      s,
      LONDON,
      TimeOfDayReplay.daysFor(s, LONDON, now, 30 * 3_600_000),
    );
    const sent = r.due(now);
    const kettles = sent.filter((x) => x.powerW === 3000).map((x) => london(x.ts));
    expect(kettles).toEqual(['2026-03-28 07:40', '2026-03-29 07:40']);
    // 01:30 exists on the 28th but not on the 29th.
    expect(sent.filter((x) => x.powerW === 555).map((x) => london(x.ts))).toEqual([
      '2026-03-28 01:30',
    ]);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.ts).toBeGreaterThan(sent[i - 1]!.ts);
    expect(london(sent[sent.length - 1]!.ts)).toBe('2026-03-29 09:00');
  });

  it('keeps local time across the autumn change: the repeated hour is played once', () => {
    // Clocks go back at 01:00 GMT on 2026-10-25 (01:00-01:59 local happens twice).
    const s = day({ [KETTLE_AT]: 3000, [60 + 30]: 555 }, 2);
    const now = Date.UTC(2026, 9, 25, 9, 0); // 09:00 GMT
    const r = new TimeOfDayReplay(
      s,
      LONDON,
      TimeOfDayReplay.daysFor(s, LONDON, now, 30 * 3_600_000),
    );
    const sent = r.due(now);
    expect(sent.filter((x) => x.powerW === 3000).map((x) => london(x.ts))).toEqual([
      '2026-10-24 07:40',
      '2026-10-25 07:40',
    ]);
    const repeated = sent.filter((x) => x.powerW === 555);
    expect(repeated.map((x) => london(x.ts))).toEqual(['2026-10-24 01:30', '2026-10-25 01:30']);
    expect(repeated[1]!.ts).toBe(Date.UTC(2026, 9, 25, 0, 30)); // the first 01:30, still BST
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.ts).toBeGreaterThan(sent[i - 1]!.ts);
    expect(sent[sent.length - 1]!.ts).toBe(now);
  });

  it('skips what an earlier pass sent and missing samples', () => {
    const s = day({ 1: NaN }, 1);
    const r = new TimeOfDayReplay(s, 'UTC', 0, Date.UTC(2014, 8, 3, 0, 1));
    expect(r.due(Date.UTC(2014, 8, 3, 0, 3)).map((x) => x.ts)).toEqual([
      Date.UTC(2014, 8, 3, 0, 2),
      Date.UTC(2014, 8, 3, 0, 3),
    ]);
  });
});
