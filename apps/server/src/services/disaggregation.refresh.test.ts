import { describe, expect, it } from 'vitest';
import { refreshed } from './disaggregation.service.js';

const P = 60_000;
const HALF = 128;

/** Minutes of the half window before [from, to) that a live run writes again, as distances back. */
function rewritten(newCells: number): number[] {
  const from = 1_000 * P;
  const to = from + newCells * P;
  const out: number[] = [];
  for (let a = 1; a <= HALF; a++)
    if (refreshed(from - a * P, { from, to, fromSeen: false }, P, HALF)) out.push(a);
  return out;
}

describe('refreshed (live runs re-write part of the half window)', () => {
  it('re-writes a minute when the minutes after it reach a power of two, for one new minute', () => {
    // Before the run, the minute a cells back had a - 1 minutes after it; now it has a.
    expect(rewritten(1)).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
  });

  it('re-writes every minute that crossed a power of two when several minutes arrived at once', () => {
    // Three new minutes: a minute a back now sees a + 2 minutes after it, before a - 1.
    expect(rewritten(3)).toEqual([
      1, 2, 3, 4, 6, 7, 8, 14, 15, 16, 30, 31, 32, 62, 63, 64, 126, 127, 128,
    ]);
  });

  it('re-writes the whole half window when a half window or more arrived at once', () => {
    expect(rewritten(HALF)).toHaveLength(HALF);
    expect(rewritten(500)).toHaveLength(HALF);
  });

  it('gives each minute its last write in the run after which no live run reaches it', () => {
    // Minutes arrive in runs of 1 to 4 new minutes; follow every minute's writes over the runs.
    const sizes = [1, 3, 2, 4, 1, 1, 2, 3, 4, 1];
    const lastWrite = new Map<number, number>();
    const lastReach = new Map<number, number>();
    let edge = 0; // cells estimated so far: [0, edge)
    for (let run = 0; edge < 600; run++) {
      const d = sizes[run % sizes.length]!;
      const from = edge * P;
      const to = (edge + d) * P;
      for (let m = Math.max(0, edge - HALF); m < edge; m++) {
        lastReach.set(m, run);
        if (refreshed(m * P, { from, to, fromSeen: false }, P, HALF)) lastWrite.set(m, run);
      }
      edge += d;
    }
    // The whole-window refresh last wrote a minute in the last run that reached it; so do we.
    for (let m = 0; m < 400; m++) expect([m, lastWrite.get(m)]).toEqual([m, lastReach.get(m)]);
  });

  it('re-writes nothing before a minute seen before, and each minute once per power of two, for a meter reporting every 10 s', () => {
    // Six runs per minute: the first sees the minute new, the next five see it again.
    const writes = new Map<number, number>();
    const last = new Map<number, string>();
    for (let minute = 0; minute < 600; minute++)
      for (let k = 0; k < 6; k++) {
        const live = { from: minute * P, to: (minute + 1) * P, fromSeen: k > 0 };
        for (let m = Math.max(0, minute - HALF); m < minute; m++)
          if (refreshed(m * P, live, P, HALF)) {
            writes.set(m, (writes.get(m) ?? 0) + 1);
            last.set(m, `${minute}/${k}`);
          }
      }
    for (let m = 0; m < 400; m++) {
      // 1, 2, 4, ..., 128 minutes seen after it: 8 writes, the last as minute m + 128 arrives.
      expect([m, writes.get(m)]).toEqual([m, 8]);
      expect([m, last.get(m)]).toEqual([m, `${m + HALF}/0`]);
    }
  });

  it('works with a half window that is not a power of two', () => {
    const from = 1_000 * P;
    const at = (a: number, d: number) =>
      refreshed(from - a * P, { from, to: from + d * P, fromSeen: false }, P, 100);
    expect(at(100, 1)).toBe(true);
    expect(at(99, 1)).toBe(false);
    expect(at(64, 1)).toBe(true);
  });
});
