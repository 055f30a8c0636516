// Proves the replay clock: samples come due at the chosen speed, keep their real spacing,
// are never stamped in the future, end at the wall time of the last send, and skip gaps.
import { describe, expect, it } from 'vitest';
import type { Series } from './series.js';
import { ReplayClock } from './replay.clock.js';

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
