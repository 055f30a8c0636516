// Proves the demo home replays its recording at the local time of day it was recorded at: a kettle
// run recorded at 07:06 (UK) is stamped 07:06 in London, and the minute sent now is the one
// recorded at this time of day; then it streams a reading a minute. The home it makes says which
// appliances it has (once, when made: an owner's later choice stays).
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetadataStore, TimeSeriesStore } from '@nilm/stores';
import type { IngestService } from '../services/ingest.service.js';
import { DEMO_APPLIANCES, DEMO_BUILDING_ID, DemoHome } from './demo.home.js';

const DATA = fileURLToPath(
  new URL('../../../../data/REFIT_House20_2014-09-03_14d.csv.gz', import.meta.url),
);
const silent = { info: () => undefined, warn: () => undefined };
let demo: DemoHome | undefined;
afterEach(() => demo?.stop());

/** A demo home on fakes with the wall clock at `clock.now`; what it ingests lands in `stored`. */
function demoAt(clock: { now: number }, backfillHours = 312, exists = false) {
  const stored = new Map<number, number>();
  const created: Array<{ id: string; timezone: string }> = [];
  const present: string[][] = [];
  const metadata = {
    getBuilding: async () => (exists ? { id: DEMO_BUILDING_ID } : null),
    createBuilding: async (b: { id: string; timezone: string }) => void created.push(b),
    setAppliancesPresent: async (_b: string, list: readonly string[]) => {
      present.push([...list]);
      return [...list];
    },
    setMember: async () => undefined,
  } as unknown as MetadataStore;
  const timeseries = { deleteBuilding: async () => undefined } as unknown as TimeSeriesStore;
  const ingest = {
    ingest: async (_b: string, rows: Array<{ ts: number; power_w: number }>) => {
      for (const r of rows) stored.set(r.ts, r.power_w);
      return rows.length;
    },
  } as unknown as IngestService;
  demo = new DemoHome({
    dataFile: DATA,
    speed: 1,
    backfillHours,
    ownerId: 'admin',
    metadata,
    timeseries,
    ingest,
    now: () => clock.now,
    log: silent,
  });
  return { demo, stored, created, present };
}

describe('DemoHome', () => {
  it('keeps the recording’s local time of day and streams the minute recorded at this time', async () => {
    // 09:00 in London (GMT) on 2026-12-05; the recording is 2014-09-03 .. 16, in BST.
    const clock = { now: Date.UTC(2026, 11, 5, 9, 0) };
    const { demo: d, stored, created, present } = demoAt(clock);
    await d.start();
    expect(created).toEqual([
      expect.objectContaining({ id: DEMO_BUILDING_ID, timezone: 'Europe/London' }),
    ]);
    expect(present).toEqual([[...DEMO_APPLIANCES]]);
    const stamps = [...stored.keys()].sort((a, b) => a - b);
    // At least 312 h of history, starting at a local midnight: 2026-11-22 00:00 is 2014-09-03 00:00.
    expect(stamps[0]).toBe(Date.UTC(2026, 10, 22, 0, 0));
    expect(clock.now - stamps[0]!).toBeGreaterThanOrEqual(312 * 3_600_000);
    // The kettle run of 2014-09-03 07:06 (4688.5 W at the meter) at 07:06 London time.
    expect(stored.get(Date.UTC(2026, 10, 22, 7, 6))).toBe(4688.5);
    // The last reading is now, and it is the recording's 09:00 (2014-09-16 09:00, 617.58 W).
    expect(stamps[stamps.length - 1]).toBe(clock.now);
    expect(stored.get(clock.now)).toBe(617.6);
    // A minute later the recording's next minute (09:01, 598.33 W) is sent, stamped 09:01.
    clock.now += 60_000;
    await expect.poll(() => stored.get(clock.now), { timeout: 10_000 }).toBe(598.3);
  });

  it('loops on with no gap and no repeat, still at the local time of day', async () => {
    // 330 h of history reach back past the 14-day recording's start: the replay starts on
    // 2026-11-21, ends on 2026-12-04 at 23:59, and loops from its first day at 00:00 today.
    const clock = { now: Date.UTC(2026, 11, 5, 9, 0) };
    const { demo: d, stored } = demoAt(clock, 330);
    await d.start();
    // The loop begins on the next tick (a second later) and catches up to now at once.
    await expect.poll(() => stored.has(clock.now), { timeout: 10_000 }).toBe(true);
    const stamps = [...stored.keys()].sort((a, b) => a - b);
    expect(stamps[0]).toBe(Date.UTC(2026, 10, 21, 0, 0));
    expect(stamps[stamps.length - 1]).toBe(clock.now);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! - stamps[i - 1]!).toBe(60_000);
    // Now is the recording's 2014-09-03 09:00 again (and so was 2026-11-21 09:00).
    expect(stored.get(clock.now)).toBe(stored.get(Date.UTC(2026, 10, 21, 9, 0)));
  });

  it('leaves the appliances of a demo home that exists as its owner set them', async () => {
    const { demo: d, created, present } = demoAt({ now: Date.UTC(2026, 11, 5, 9, 0) }, 1, true);
    await d.start();
    expect(created).toEqual([]);
    expect(present).toEqual([]);
  });
});
