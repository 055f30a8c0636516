// Proves the energy report with finished days cached equals the report computed from minutes
// (days, weeks, months, spans, DST days, zones ahead of and behind UTC) on a real DuckDB store;
// that a warm report reads minutes only for the unfinished day; that long stretches of minutes are
// read a few days at a time with the same report; that a day rewritten after
// caching (readings, estimates of a new model, grid points) or a changed view is recomputed; and
// that the baseload's merged percentile is the one of all minutes sorted together.
import { describe, expect, it } from 'vitest';
import { DuckDbTimeSeriesStore, type TimeSeriesStore } from '@nilm/stores';
import type { ApplianceView } from './appliances.service.js';
import { EnergyDayCache, nthSmallest } from './energy.days.js';
import { ReadingsService } from './readings.service.js';

const MIN = 60_000;
const DAY = 86_400_000;
// 2024-03-25 .. 2024-04-09 UTC: Europe/London's spring change (2024-03-31) is inside.
const T0 = Date.UTC(2024, 2, 25);
const DAYS = 15;
const END = T0 + DAYS * DAY;

/** A deterministic value in [0, 1) for minute `i` and stream `s`. */
const noise = (i: number, s: number): number => {
  const x = Math.sin(i * 12.9898 + s * 78.233) * 43758.5453;
  return x - Math.floor(x);
};

async function filled(): Promise<DuckDbTimeSeriesStore> {
  const store = await DuckDbTimeSeriesStore.open();
  const idx = (ts: number) => (ts - T0) / MIN;
  const dayOf = (ts: number) => Math.floor(idx(ts) / 1440);
  // A gap of an hour on day 3: coverage below 1.
  const minutes = Array.from({ length: DAYS * 1440 }, (_, k) => T0 + k * MIN).filter(
    (ts) => dayOf(ts) !== 3 || ts % DAY >= 3_600_000,
  );
  await store.writeReadings(
    'home',
    minutes.map((ts) => ({ ts, powerW: 120 + 900 * noise(idx(ts), 1) })),
  );
  // Estimates lag the readings: the last 30 minutes of day 9 have none (pending).
  await store.writeEstimates(
    'home',
    'model@1',
    minutes
      .filter((ts) => dayOf(ts) !== 9 || ts % DAY < DAY - 30 * MIN)
      .flatMap((ts) => {
        const on = noise(idx(ts), 2) > 0.8;
        const kettle = on ? 1800 + 100 * noise(idx(ts), 3) : 2;
        return [
          {
            ts,
            appliance: 'kettle',
            powerW: kettle,
            onProb: on ? 0.9 : 0.1,
            lowW: kettle * 0.8,
            highW: kettle * 1.2,
          },
          // No band: its range is unknown wherever it is on.
          { ts, appliance: 'fridge', powerW: 60 + 20 * noise(idx(ts), 4), onProb: 0.7 },
          { ts, appliance: 'shower', powerW: 5, onProb: 0.1, lowW: 0, highW: 10 },
        ];
      }),
  );
  await store.writeGrid(
    'home',
    Array.from({ length: 120 }, (_, k) => ({
      ts: T0 + 5 * DAY + k * MIN,
      importW: 400 + k,
      exportW: k % 2 ? 0 : 50,
      productionW: null,
    })),
  );
  return store;
}

/** The store, with the ranges of the minute reads it answered. */
function watched(store: TimeSeriesStore): { store: TimeSeriesStore; minuteReads: number[][] } {
  const minuteReads: number[][] = [];
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (name !== 'readBuckets' || typeof value !== 'function') return value;
      return (b: string, s: number, e: number, size: number) => {
        if (size === 60) minuteReads.push([s, e]);
        return store.readBuckets(b, s, e, size);
      };
    },
  });
  return { store: proxy, minuteReads };
}

const kettleOnly: ApplianceView = {
  present: new Set(['kettle', 'fridge']),
  onProbThreshold: new Map([['kettle', 0.6]]),
};

describe('energy with finished days cached', () => {
  it('equals the report from minutes for days, weeks, months and spans, in three zones', async () => {
    const store = await filled();
    const now = END - 6 * 3_600_000; // the last UTC day is today, unfinished
    const view = () => Promise.resolve(kettleOnly);
    // Same clock: today is read as its finished quarters and the open one, cached or not.
    const plain = new ReadingsService(store, view, { energyCache: null, now: () => now });
    const { store: spied, minuteReads } = watched(store);
    const cached = new ReadingsService(spied, view, { now: () => now });
    const cases = [
      ['day', T0, END],
      ['week', T0, END],
      ['month', T0, END],
      ['span', T0 + 3 * DAY + 7 * MIN, T0 + 11 * DAY + 13 * MIN],
    ] as const;
    for (const zone of ['Europe/London', 'America/New_York', 'Asia/Kolkata']) {
      for (const [period, from, to] of cases) {
        const want = await plain.energy('home', from, to, period, zone);
        expect(await cached.energy('home', from, to, period, zone)).toEqual(want);
        minuteReads.length = 0;
        // Warm: the same numbers, with minutes read only where no whole finished day is.
        expect(await cached.energy('home', from, to, period, zone)).toEqual(want);
        for (const [s, e] of minuteReads) {
          const finishedInside = e - s >= DAY && s < now - DAY;
          expect({ zone, period, s, e, finishedInside }).toMatchObject({ finishedInside: false });
        }
      }
    }
    // London's 23-hour day is one of the periods, and its numbers came from the cache.
    const days = await cached.energy('home', T0, END, 'day', 'Europe/London');
    const spring = days.find((p) => p.startMs === Date.UTC(2024, 2, 31))!;
    expect(spring.endMs - spring.startMs).toBe(23 * 3_600_000);
    expect(spring.coverage).toBe(1);
    await store.close();
  }, 300_000);

  it('recomputes a day rewritten after caching: readings, a new model, grid points', async () => {
    const store = await filled();
    const now = END + 10 * DAY; // every day of the report finished
    const view = () => Promise.resolve(kettleOnly);
    const plain = new ReadingsService(store, view, { energyCache: null });
    const { store: spied, minuteReads } = watched(store);
    const cached = new ReadingsService(spied, view, { now: () => now });
    const report = () => cached.energy('home', T0, END, 'week', 'Europe/Berlin');
    const before = await report();
    expect(before).toEqual(await plain.energy('home', T0, END, 'week', 'Europe/Berlin'));
    minuteReads.length = 0;
    expect(await report()).toEqual(before);
    expect(minuteReads).toEqual([]);

    // One minute's reading rewritten at noon UTC on 2024-03-31 (Berlin's 23-hour day): the two
    // local days that share that UTC day's rollup row are read again, no other.
    const at = T0 + 6 * DAY + 12 * 3_600_000;
    await store.writeReadings('home', [{ ts: at, powerW: 5000 }]);
    minuteReads.length = 0;
    const afterReading = await report();
    expect(afterReading).toEqual(await plain.energy('home', T0, END, 'week', 'Europe/Berlin'));
    expect(afterReading).not.toEqual(before);
    expect(minuteReads).toEqual([[T0 + 5 * DAY + 23 * 3_600_000, T0 + 7 * DAY + 22 * 3_600_000]]);

    // A new model's estimates for day 2's afternoon.
    await store.writeEstimates(
      'home',
      'model@2',
      Array.from({ length: 60 }, (_, k) => ({
        ts: T0 + 2 * DAY + 14 * 3_600_000 + k * MIN,
        appliance: 'kettle',
        powerW: 2500,
        onProb: 0.95,
        lowW: 2000,
        highW: 3000,
      })),
    );
    // Grid points on day 11, which had none.
    await store.writeGrid('home', [
      { ts: T0 + 11 * DAY + 3 * MIN, importW: 1000, exportW: 0, productionW: 300 },
    ]);
    minuteReads.length = 0;
    const afterModel = await report();
    expect(afterModel).toEqual(await plain.energy('home', T0, END, 'week', 'Europe/Berlin'));
    expect(afterModel).not.toEqual(afterReading);
    // Two runs of two local days each (the UTC days 03-27 and 04-05 each touch two).
    expect(minuteReads).toHaveLength(2);

    // Another view (the shower shown, the kettle's threshold changed): computed for it.
    const other: ApplianceView = {
      present: null,
      onProbThreshold: new Map([['kettle', 0.95]]),
    };
    const plainOther = new ReadingsService(store, () => Promise.resolve(other), {
      energyCache: null,
    });
    const cachedOther = new ReadingsService(store, () => Promise.resolve(other), {
      now: () => now,
    });
    expect(await cachedOther.energy('home', T0, END, 'day', 'Europe/Berlin')).toEqual(
      await plainOther.energy('home', T0, END, 'day', 'Europe/Berlin'),
    );
    await store.close();
  }, 300_000);

  it('keeps yesterday cached while today is written, in a zone behind UTC', async () => {
    const store = await filled();
    // New York: local 2024-04-08 ends at 04:00 UTC on the 9th; now is 15:07 UTC on the 9th.
    const today = Date.UTC(2024, 3, 9, 4);
    const now = Date.UTC(2024, 3, 9, 15, 7);
    const { store: spied, minuteReads } = watched(store);
    const cached = new ReadingsService(spied, undefined, { now: () => now });
    const plain = new ReadingsService(store, undefined, { energyCache: null, now: () => now });
    const report = () => cached.energy('home', T0, now, 'day', 'America/New_York');
    const want = () => plain.energy('home', T0, now, 'day', 'America/New_York');
    await report();
    await store.writeReadings('home', [{ ts: now - MIN, powerW: 700 }]);
    minuteReads.length = 0;
    expect(await report()).toEqual(await want());
    // Today's finished quarters (04:00-15:00 UTC) come from the cache too: only the open
    // quarter's minutes are read.
    const open = Date.UTC(2024, 3, 9, 15);
    expect(minuteReads).toEqual([[open, today + DAY]]);
    // A write in a finished quarter of today: those quarters are read again.
    await store.writeReadings('home', [{ ts: Date.UTC(2024, 3, 9, 10, 3), powerW: 3100 }]);
    minuteReads.length = 0;
    const rewritten = await report();
    expect(rewritten).toEqual(await want());
    expect(rewritten.at(-1)!.totalKwh).toBeGreaterThan(0);
    expect(minuteReads).toEqual([
      [open, today + DAY],
      [today, open],
    ]);
    await store.close();
  }, 300_000);

  it("keeps one cached stretch of today's quarters per building, the newest", async () => {
    const store = await filled();
    const cache = new EnergyDayCache();
    let now = END - 6 * 3_600_000 + 7 * MIN; // 18:07 UTC on the data's last day
    const cached = new ReadingsService(store, undefined, { energyCache: cache, now: () => now });
    const plain = new ReadingsService(store, undefined, { energyCache: null, now: () => now });
    const report = () => cached.energy('home', T0, now, 'day', 'UTC');
    expect(await report()).toEqual(await plain.energy('home', T0, now, 'day', 'UTC'));
    const before = cache.bytes;
    // An hour later: today's stretch is four quarters longer (60 minutes of mains, 480 bytes),
    // and the stretch up to 18:00 is gone from the cache instead of kept beside it (1,080
    // minutes, about 8.6 KB).
    now += 3_600_000;
    expect(await report()).toEqual(await plain.energy('home', T0, now, 'day', 'UTC'));
    expect(cache.bytes - before).toBeGreaterThan(0);
    expect(cache.bytes - before).toBeLessThan(4_000);
    await store.close();
  }, 300_000);

  it('stays within its size, least recently used out first, and still answers right', async () => {
    const store = await filled();
    const cache = new EnergyDayCache(5 * 14_000);
    const cached = new ReadingsService(store, undefined, { energyCache: cache, now: () => END });
    const plain = new ReadingsService(store, undefined, { energyCache: null });
    for (let i = 0; i < 2; i++)
      expect(await cached.energy('home', T0, END, 'day')).toEqual(
        await plain.energy('home', T0, END, 'day'),
      );
    expect(cache.bytes).toBeLessThanOrEqual(5 * 14_000);
    expect(cache.bytes).toBeGreaterThan(0);
    expect(() => new EnergyDayCache(0)).toThrow(/positive whole number/);
    await store.close();
  }, 300_000);

  it('reads long stretches of minutes a few days at a time, with the same report', async () => {
    const store = await filled();
    const view = () => Promise.resolve(kettleOnly);
    const plain = new ReadingsService(store, view, { energyCache: null });
    const { store: spied, minuteReads } = watched(store);
    for (const energyCache of [null, undefined]) {
      for (const period of ['day', 'month'] as const) {
        // Cold each time; a whole number of minutes that does not divide a day: reads end mid-day.
        const chunked = new ReadingsService(spied, view, {
          energyCache,
          now: () => END + DAY,
          minuteReadMs: 2 * DAY + 7 * MIN,
        });
        minuteReads.length = 0;
        const got = await chunked.energy('home', T0, END, period, 'Europe/London');
        expect(got).toEqual(await plain.energy('home', T0, END, period, 'Europe/London'));
        expect(minuteReads.length).toBeGreaterThan(1);
        for (const [s, e] of minuteReads) expect(e - s).toBeLessThanOrEqual(2 * DAY + 7 * MIN);
      }
    }
    for (const minuteReadMs of [0, -MIN, 90_000, NaN])
      expect(() => new ReadingsService(store, view, { minuteReadMs })).toThrow(
        /positive whole number of minutes/,
      );
    await store.close();
  }, 300_000);
});

describe('nthSmallest', () => {
  it('picks the rank-th value of several sorted lists merged, ties and empties included', () => {
    const lists = [[3, 5, 5, 9], [], [1, 5, 8], [0.5, 2, 2, 2, 10, 11]].map((l) =>
      Float64Array.from(l),
    );
    const all = lists.flatMap((l) => [...l]).sort((a, b) => a - b);
    all.forEach((v, rank) => expect(nthSmallest(lists, rank)).toBe(v));
    expect(() => nthSmallest(lists, all.length)).toThrow(/past the values' end/);
  });
});
