// Proves run extraction and one-to-one overlap matching against runs counted by hand: pieces,
// merges, misses, invented runs and masked samples.
import { describe, expect, it } from 'vitest';
import * as ev from './events.metrics.js';

describe('runsOf', () => {
  it('finds maximal runs of on samples, ended by off or masked samples and by the end', () => {
    expect(ev.runsOf([0, 1, 1, 0, 1])).toEqual([
      { start: 1, end: 3 },
      { start: 4, end: 5 },
    ]);
    // The masked sample 2 splits the run 1..3 in two.
    expect(ev.runsOf([0, 1, 1, 1, 0], [1, 1, 0, 1, 1])).toEqual([
      { start: 1, end: 2 },
      { start: 3, end: 4 },
    ]);
    expect(ev.runsOf([])).toEqual([]);
  });
});

describe('matchRuns', () => {
  const r = (start: number, end: number): ev.Run => ({ start, end });

  it('matches each run once: a run found in pieces gives one match', () => {
    // truth: one run 0..10; predicted: three pieces inside it.
    expect(ev.matchRuns([r(0, 10)], [r(0, 2), r(4, 6), r(8, 10)])).toBe(1);
  });

  it('one long predicted run covering three true runs matches one of them', () => {
    expect(ev.matchRuns([r(0, 2), r(4, 6), r(8, 10)], [r(0, 10)])).toBe(1);
  });

  it('needs a shared sample: touching runs do not match', () => {
    expect(ev.matchRuns([r(0, 3)], [r(3, 5)])).toBe(0);
    expect(ev.matchRuns([r(0, 3)], [r(2, 5)])).toBe(1);
  });

  it('finds the largest matching when a predicted run overlaps two true runs', () => {
    // Predicted 0..5 overlaps true 0..2 and 4..8; predicted 6..7 overlaps only true 4..8.
    // Pairing 0..5 with 4..8 would leave 0..2 unmatched: the best is 2 pairs.
    expect(ev.matchRuns([r(0, 2), r(4, 8)], [r(0, 5), r(6, 7)])).toBe(2);
    // Predicted 1..5 overlaps both true runs, 6..7 overlaps neither: 1 pair.
    expect(ev.matchRuns([r(0, 2), r(4, 6)], [r(1, 5), r(6, 7)])).toBe(1);
  });
});

describe('event precision, recall, F1', () => {
  it('counts runs over series and scores them', () => {
    const t = ev.emptyEventTotals();
    // Series 1: truth one run 1..4; predicted 1..2 and 3..4 (a run in two pieces) and 6..7.
    ev.accumulateEvents(t, [0, 1, 1, 1, 0, 0, 0], [0, 1, 0, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1, 1]);
    // Series 2: truth two runs, predicted none.
    ev.accumulateEvents(t, [1, 0, 1], [0, 0, 0], [1, 1, 1]);
    expect(t).toEqual({ runsTrue: 3, runsPred: 3, matched: 1 });
    expect(ev.eventPrecision(t)).toBeCloseTo(1 / 3, 12);
    expect(ev.eventRecall(t)).toBeCloseTo(1 / 3, 12);
    expect(ev.eventF1(t)).toBeCloseTo(2 / 6, 12);
  });

  it('is undefined (null) where a denominator is zero, 0 where it is just bad', () => {
    const none = ev.emptyEventTotals();
    expect([ev.eventPrecision(none), ev.eventRecall(none), ev.eventF1(none)]).toEqual([
      null,
      null,
      null,
    ]);
    const missed = { runsTrue: 2, runsPred: 0, matched: 0 };
    expect([ev.eventPrecision(missed), ev.eventRecall(missed), ev.eventF1(missed)]).toEqual([
      null,
      0,
      0,
    ]);
  });
});
